/**
 * The one timer set of an upstream attempt: a total deadline, and one phase timer that moves from
 * connect (until headers) to first token to idle (between chunks). Either aborts the attempt's
 * signal with a TimeoutError naming what fired; the caller aborting aborts it with CallerAbortedError.
 * The provider's own `timeoutMs` is folded in here, so no second watchdog runs.
 */
import { LanguruError, TimeoutError } from "../../shared/index.js";
import type { TimeoutSettings } from "../config.js";
import { CallerAbortedError } from "./caller-aborted.js";
import { CallAbortController } from "../lib/call-abort.js";

/** Timeouts of one attempt after the provider's bound was folded in. */
export interface AttemptLimits {
  connectMs: number;
  firstTokenMs: number;
  idleMs: number;
  totalMs: number;
}

/** The model's timeouts, each capped by the provider's own bound on one wait (and, for a whole completion, on the call). */
export function attemptLimits(t: TimeoutSettings, providerMs: number | undefined, stream: boolean): AttemptLimits {
  const cap = providerMs ?? Number.POSITIVE_INFINITY;
  return {
    connectMs: Math.min(t.connectMs, cap),
    firstTokenMs: Math.min(t.firstTokenMs, cap),
    idleMs: Math.min(t.idleMs, cap),
    // A whole completion is one wait: the provider's bound covers all of it.
    totalMs: stream ? t.totalMs : Math.min(t.totalMs, cap),
  };
}

type Phase = "connect" | "first token" | "idle";

/** Aborts an attempt on a timeout or when the caller leaves. */
export class AttemptTimers {
  // Not Node's AbortController: see call-abort.ts (one per attempt, on the hot path).
  private readonly controller = new CallAbortController();
  private readonly total: NodeJS.Timeout;
  private phase: NodeJS.Timeout | null = null;
  /** False while a slow consumer holds a chunk: that wait is not the upstream's silence. */
  private waiting = true;
  private readonly onCallerAbort = () => this.controller.abort(new CallerAbortedError());

  constructor(
    private readonly caller: AbortSignal,
    private readonly deployment: string,
    private readonly limits: AttemptLimits,
  ) {
    this.total = setTimeout(() => this.expire("total", limits.totalMs), limits.totalMs);
    if (caller.aborted) this.onCallerAbort();
    else caller.addEventListener("abort", this.onCallerAbort, { once: true });
  }

  /** The signal the provider's request follows. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts timing the given phase (replacing the previous one). */
  enter(phase: Phase): void {
    if (this.phase) clearTimeout(this.phase);
    const ms = phase === "connect" ? this.limits.connectMs : phase === "first token" ? this.limits.firstTokenMs : this.limits.idleMs;
    this.phase = setTimeout(() => {
      if (this.waiting) this.expire(phase, ms);
    }, ms);
  }

  /** The consumer took a chunk and asks for the next: the idle clock restarts. */
  awaitNext(): void {
    this.waiting = true;
    this.phase?.refresh();
  }

  /** A chunk arrived; until `awaitNext`, time spent is the consumer's. */
  received(): void {
    this.waiting = false;
  }

  /** The error to report: the timeout or the caller's abort when we caused it, else the provider's. */
  explain(err: unknown): unknown {
    const reason: unknown = this.controller.signal.reason;
    return this.controller.signal.aborted && reason instanceof LanguruError ? reason : err;
  }

  /** Clears every timer and the caller listener. */
  dispose(): void {
    clearTimeout(this.total);
    if (this.phase) clearTimeout(this.phase);
    this.phase = null;
    this.caller.removeEventListener("abort", this.onCallerAbort);
  }

  private expire(what: string, ms: number): void {
    if (!this.controller.signal.aborted) this.controller.abort(new TimeoutError(`upstream '${this.deployment}' ${what} timeout of ${ms} ms exceeded`));
  }
}
