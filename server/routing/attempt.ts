/**
 * One upstream attempt, owned end to end: the in-flight count, the timer set, the abort, and for a
 * stream the one wrapper its chunks pass through (timers, observer hook, upstream close on early exit).
 */
import type { ChatCompletion, ChatCompletionChunk } from "../../shared/index.js";
import type { UpstreamCallOptions, UpstreamRequest } from "../providers/types.js";
import type { Deployment } from "./deployment.js";
import { timeUpstream } from "../observability/hooks.js";
import type { RequestRecord } from "../observability/request.js";
import { CallerAbortedError } from "./caller-aborted.js";
import { AttemptTimers, type AttemptLimits } from "./timers.js";

/** Sees a stream's chunks as they pass (metering); one per stream, called on the hot path. */
export interface StreamObserver {
  /** Returns the chunk to pass on (possibly changed), or null to drop it. */
  chunk(chunk: ChatCompletionChunk): ChatCompletionChunk | null;
  /** Called exactly once however the stream ends: null when it completed, else the error. */
  end(error: unknown): void;
}

/** Two observers as one: `first` sees every chunk, `second` what `first` passes on; both see the end. */
export function chainObservers(first: StreamObserver, second: StreamObserver | null | undefined): StreamObserver {
  if (!second) return first;
  return {
    chunk: (chunk) => {
      const passed = first.chunk(chunk);
      return passed && second.chunk(passed);
    },
    end: (error) => {
      first.end(error);
      second.end(error);
    },
  };
}

/** What one attempt needs besides the deployment. */
export interface AttemptInput {
  request: UpstreamRequest;
  /** The request already serialized for this deployment. */
  body: string;
  signal: AbortSignal;
  /** The request it serves (upstream time is noted on it). */
  record: RequestRecord | undefined;
  limits: AttemptLimits;
  /** Client headers to forward, and where the upstream's response headers go. */
  call?: UpstreamCallOptions;
}

/** One whole completion from one deployment. */
export async function attemptCompletion(deployment: Deployment, input: AttemptInput): Promise<ChatCompletion> {
  const timers = new AttemptTimers(input.signal, deployment.id, input.limits);
  track(deployment, 1);
  try {
    return await timeUpstream(input.record, deployment.provider.complete(input.request, timers.signal, input.body, input.call));
  } catch (err) {
    throw timers.explain(err);
  } finally {
    track(deployment, -1);
    timers.dispose();
  }
}

/**
 * Opens a stream and waits for its first chunk, so that every failure before the client saw
 * anything is still retryable; the rest flows through `follow`, which ends the attempt.
 */
export async function attemptStream(
  deployment: Deployment,
  input: AttemptInput,
  observer: StreamObserver | null,
): Promise<AsyncGenerator<ChatCompletionChunk>> {
  const timers = new AttemptTimers(input.signal, deployment.id, input.limits);
  timers.enter("connect");
  track(deployment, 1);
  let iterator: AsyncIterator<ChatCompletionChunk> | undefined;
  try {
    const source = await timeUpstream(input.record, deployment.provider.stream(input.request, timers.signal, input.body, input.call));
    timers.enter("first token");
    iterator = source[Symbol.asyncIterator]();
    const first = await timeUpstream(input.record, iterator.next());
    timers.received();
    timers.enter("idle");
    return follow({ first, iterator, timers, deployment, observer, record: input.record });
  } catch (err) {
    track(deployment, -1);
    timers.dispose();
    await iterator?.return?.().catch(() => undefined);
    throw timers.explain(err);
  }
}

interface Following {
  first: IteratorResult<ChatCompletionChunk>;
  iterator: AsyncIterator<ChatCompletionChunk>;
  timers: AttemptTimers;
  deployment: Deployment;
  observer: StreamObserver | null;
  record: RequestRecord | undefined;
}

// The one wrapper a stream passes through.
async function* follow({ first, iterator, timers, deployment, observer, record }: Following): AsyncGenerator<ChatCompletionChunk> {
  let finished = false;
  let failure: unknown = null;
  try {
    let next = first;
    while (!next.done) {
      const out = observer ? observer.chunk(next.value) : next.value;
      if (out) yield out;
      timers.awaitNext();
      // Timed inline rather than through `timeUpstream`: this runs once per chunk, and its
      // `finally` costs two more promises each time (a burst of 64 chunks pays it 64 times).
      const waited = record ? performance.now() : 0;
      try {
        next = await iterator.next();
      } finally {
        if (record) record.upstreamMs += performance.now() - waited;
      }
      timers.received();
    }
    finished = true;
  } catch (err) {
    finished = true;
    failure = timers.explain(err);
    // An observer that refused a chunk (a revoked key) leaves the upstream mid-stream: close it.
    await iterator.return?.().catch(() => undefined);
    throw failure;
  } finally {
    track(deployment, -1);
    timers.dispose();
    // The consumer left early: stop the upstream generation and its spend.
    if (!finished) {
      failure = new CallerAbortedError();
      await iterator.return?.().catch(() => undefined);
    }
    observer?.end(failure);
  }
}

function track(deployment: Deployment, delta: number): void {
  deployment.load.inFlight += delta;
  deployment.active.count += delta;
}
