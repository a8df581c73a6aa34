/**
 * The four timeouts of one upstream call (connect, first token, idle gap, total), enforced by
 * aborting the upstream request; the error says which one fired. The caller leaving aborts it too.
 */
import { LanguruError, TimeoutError, UpstreamError, type ChatCompletion, type ChatCompletionChunk } from "../../shared/index.js";
import type { TimeoutSettings } from "../config.js";
import type { UpstreamRequest } from "../providers/types.js";
import type { Deployment } from "./deployment.js";
import { timeUpstream } from "../observability/hooks.js";

/** Raised when the caller went away; never retried. */
export class CallerAbortedError extends UpstreamError {
  constructor() {
    super("the client closed the request", { code: "aborted" });
  }
}

class CallTimers {
  readonly controller = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly onParentAbort = () => this.controller.abort(new CallerAbortedError());

  constructor(
    private readonly parent: AbortSignal,
    private readonly deployment: string,
  ) {
    if (parent.aborted) this.onParentAbort();
    else parent.addEventListener("abort", this.onParentAbort, { once: true });
  }

  /**
   * Aborts the call after `ms` unless cleared, or unless `armed()` says the wait is not the
   * upstream's fault; `refresh()` on the result restarts it.
   */
  start(ms: number, what: string, armed: () => boolean = () => true): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (armed()) this.controller.abort(new TimeoutError(`upstream '${this.deployment}' ${what} timeout of ${ms} ms exceeded`));
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  stop(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** The error to report: the timeout or the caller's abort when we caused it, else the provider's. */
  explain(err: unknown): unknown {
    const reason: unknown = this.controller.signal.reason;
    return this.controller.signal.aborted && reason instanceof LanguruError ? reason : err;
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.parent.removeEventListener("abort", this.onParentAbort);
  }
}

/** One non-streamed call, bounded by `totalMs` (the body arrives all at once). */
export async function completeWithin(deployment: Deployment, request: UpstreamRequest, signal: AbortSignal, t: TimeoutSettings): Promise<ChatCompletion> {
  const timers = new CallTimers(signal, deployment.id);
  timers.start(t.totalMs, "total");
  deployment.load.inFlight++;
  try {
    return await timeUpstream(deployment.provider.complete(request, timers.controller.signal));
  } catch (err) {
    throw timers.explain(err);
  } finally {
    deployment.load.inFlight--;
    timers.dispose();
  }
}

/**
 * Opens a stream and waits for its first chunk, so that every failure before the client saw
 * anything is still retryable; what follows is guarded by the idle and total timeouts.
 */
export async function streamWithin(
  deployment: Deployment,
  request: UpstreamRequest,
  signal: AbortSignal,
  t: TimeoutSettings,
): Promise<AsyncIterable<ChatCompletionChunk>> {
  const timers = new CallTimers(signal, deployment.id);
  timers.start(t.totalMs, "total");
  const firstToken = timers.start(t.firstTokenMs, "first token");
  const connect = timers.start(t.connectMs, "connect");
  deployment.load.inFlight++;
  let iterator: AsyncIterator<ChatCompletionChunk> | undefined;
  try {
    const stream = await timeUpstream(deployment.provider.stream(request, timers.controller.signal));
    timers.stop(connect);
    iterator = stream[Symbol.asyncIterator]();
    const first = await timeUpstream(iterator.next());
    timers.stop(firstToken);
    return follow(first, iterator, timers, t.idleMs, deployment);
  } catch (err) {
    deployment.load.inFlight--;
    timers.dispose();
    await iterator?.return?.().catch(() => undefined);
    throw timers.explain(err);
  }
}

async function* follow(
  first: IteratorResult<ChatCompletionChunk>,
  iterator: AsyncIterator<ChatCompletionChunk>,
  timers: CallTimers,
  idleMs: number,
  deployment: Deployment,
): AsyncGenerator<ChatCompletionChunk> {
  let finished = false;
  try {
    if (first.done) {
      finished = true;
      return;
    }
    // One timer for the whole stream, restarted per chunk: cheaper than a new one each time. It only
    // counts while we wait for the upstream, not while a slow consumer holds a chunk.
    let waiting = false;
    const idle = timers.start(idleMs, "idle", () => waiting);
    yield first.value;
    while (true) {
      idle.refresh();
      waiting = true;
      const next = await timeUpstream(iterator.next());
      waiting = false;
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } catch (err) {
    finished = true;
    throw timers.explain(err);
  } finally {
    deployment.load.inFlight--;
    timers.dispose();
    // The consumer left early: stop the upstream generation and its spend.
    if (!finished) await iterator.return?.().catch(() => undefined);
  }
}
