/**
 * How many calls one WebSocket may make. tRPC runs every call a socket sends as soon as it arrives,
 * so without a bound one socket could hold any share of the gateway:
 * - **In flight**: at most 1,024 calls at once (a query or mutation until it is answered, a
 *   subscription until its stream ends). The SDK multiplexes a whole app over one socket, and 1,000
 *   concurrent streams on one SDK client is a supported load (the hot-path suite runs it), so the
 *   bound sits just above it: far from the 50,000 calls one socket could start before, and one
 *   socket then holds no more than 1,024 HTTP connections would. A call past it is refused at once
 *   with a 429 `too_many_calls_in_flight` and nothing else: no record, no access-log line, and the
 *   socket stays open.
 * - **Before a valid key** (keys on): a socket whose key (its `connectionParams`, or a header) is
 *   missing or not valid may make 16 calls, each answered as usual (a 401, logged); the 17th is
 *   refused with a 401 `too_many_calls_without_key` and the socket is closed (1008), so that a
 *   client without a key cannot keep one socket busy with refusals. The key is checked once when
 *   the socket's context is made, and calls wait for that check instead of racing it, so a burst of
 *   calls on a fresh socket with a good key is never counted. A later 401 (the key was revoked)
 *   puts the socket back under the bound.
 */
import type { WebSocket } from "ws";
import { AuthenticationError, RateLimitError } from "../../../../shared/index.js";

/** Calls one socket may have running at once. */
export const MAX_CALLS_IN_FLIGHT = 1_024;
/** Calls a socket may make, keys on, while its key is missing or not valid. */
export const MAX_CALLS_WITHOUT_KEY = 16;

/** One socket's counts. */
export interface CallBounds {
  /** Keys on: the socket's key check (resolves true for a valid key). */
  checkKey(check: Promise<unknown>): void;
  /** A call's own key check: a valid key lifts the bound on keyless calls, a refused one restores it. */
  keyChecked(valid: boolean): void;
  /** Admits a call: resolves with the function that ends it, or rejects with its refusal. */
  admit(): Promise<() => void>;
}

/** The counts of one socket. */
export function callBounds(ws: WebSocket): CallBounds {
  let inFlight = 0;
  let keyless = 0;
  // Null while keys are off (or not yet known); a promise while the socket's key is being checked.
  let keyValid: boolean | Promise<boolean> | null = null;

  const refuseKeyless = () => {
    // After this call's answer (tRPC sends it a few microtasks later), not before it.
    setImmediate(() => ws.close(1008, "too many calls without a valid key"));
    return new AuthenticationError(
      `This socket made ${MAX_CALLS_WITHOUT_KEY} calls without a valid API key and is closed; connect again with a valid key in connectionParams.`,
      { type: "invalid_request_error", code: "too_many_calls_without_key" },
    );
  };

  return {
    checkKey(check) {
      const settled = check.then(
        () => true,
        // A store outage is not the client's fault: only a refused key counts against it.
        (err: unknown) => !(err instanceof AuthenticationError),
      );
      keyValid = settled;
      void settled.then((valid) => {
        if (keyValid === settled) keyValid = valid;
      });
    },
    keyChecked(valid) {
      if (keyValid !== null) keyValid = valid;
    },
    async admit() {
      const valid = keyValid === null ? true : await keyValid;
      if (!valid && ++keyless > MAX_CALLS_WITHOUT_KEY) throw refuseKeyless();
      if (inFlight >= MAX_CALLS_IN_FLIGHT) {
        throw new RateLimitError(
          `This socket has ${MAX_CALLS_IN_FLIGHT} calls in flight, the most one socket may; wait for one to end, or open another socket.`,
          {
            code: "too_many_calls_in_flight",
            headers: { "retry-after": "1" },
          },
        );
      }
      inFlight++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        inFlight--;
      };
    },
  };
}
