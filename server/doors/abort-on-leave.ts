/**
 * The abort signal of one HTTP call: aborted when the client leaves (the socket closes before the
 * response finished), which stops the upstream request and its spend, or when the shutdown grace
 * is over. Shared by the HTTP doors.
 */
import type { ServerResponse } from "node:http";
import { CallAbortController } from "../lib/call-abort.js";

/** Returns the signal that `res`'s call follows. */
export function abortOnLeave(res: ServerResponse, shutdown: AbortSignal | undefined): AbortSignal {
  const controller = new CallAbortController();
  const stop = () => controller.abort();
  const release = onShutdown(shutdown, stop);
  res.once("close", () => {
    release();
    if (!res.writableFinished) stop();
  });
  return controller.signal;
}

// One listener per shutdown signal, fanning out to a set: an EventTarget checks every listener it
// holds for a duplicate on each add and remove, so one listener per call would cost O(calls in flight)
// per call (1,000 concurrent streams: 1,000 steps for each new one).
const stoppers = new WeakMap<AbortSignal, Set<() => void>>();

function onShutdown(shutdown: AbortSignal | undefined, stop: () => void): () => void {
  if (!shutdown) return noop;
  if (shutdown.aborted) {
    stop();
    return noop;
  }
  let set = stoppers.get(shutdown);
  if (!set) {
    const created = new Set<() => void>();
    set = created;
    stoppers.set(shutdown, created);
    shutdown.addEventListener(
      "abort",
      () => {
        for (const each of created) each();
        created.clear();
      },
      { once: true },
    );
  }
  set.add(stop);
  const held = set;
  return () => held.delete(stop);
}

function noop(): void {}
