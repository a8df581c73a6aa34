/**
 * tRPC's WebSocket client waits `setTimeout(0)` before it sends a request, to batch the requests
 * queued in the same tick. A zero timer is at least 1 ms in Node and in browsers (4 ms once
 * nested), and it was most of what an SDK call cost at concurrency 1: +2 ms on every call and on
 * every stream's first chunk, measured by the bench against the same request sent raw over the
 * socket. While the SDK hands a request to tRPC (synchronously), a zero-delay timer runs as a
 * microtask instead: requests made in the same task still go out together, a turn later rather
 * than a millisecond later. Every other timer, and every timer outside that window, is untouched.
 */

type SetTimeout = typeof globalThis.setTimeout;

/** Runs `call` (which hands a request to tRPC) with zero-delay timers as microtasks. */
export function sendingNow<T>(call: () => T): T {
  const original = globalThis.setTimeout;
  try {
    globalThis.setTimeout = zeroDelayAsMicrotask(original);
  } catch {
    // A runtime whose globals are frozen: send the way tRPC does, a timer later.
    return call();
  }
  try {
    return call();
  } finally {
    globalThis.setTimeout = original;
  }
}

function zeroDelayAsMicrotask(original: SetTimeout): SetTimeout {
  const patched = (handler: TimerHandler, delay?: number, ...args: unknown[]) => {
    if ((delay ?? 0) > 0 || typeof handler !== "function") return original(handler as () => void, delay, ...args);
    queueMicrotask(() => (handler as (...a: unknown[]) => void)(...args));
    // Nothing in the window clears a zero timer; a real handle keeps clearTimeout() harmless anyway.
    return original(() => undefined, 0);
  };
  return patched as unknown as SetTimeout;
}
