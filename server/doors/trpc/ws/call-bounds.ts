/**
 * How many calls one WebSocket may make. tRPC runs every call a socket sends as soon as it arrives,
 * so without a bound one socket could hold any share of the gateway:
 * - **In flight**: by default at most 1,024 calls at once (`LANGURU_WS_CALLS_IN_FLIGHT`; a query
 *   or mutation until it is answered, a subscription until its stream ends). The SDK multiplexes a
 *   whole app over one socket, and 1,000 concurrent streams on one SDK client is a supported load
 *   (the hot-path suite runs it), so the bound sits just above it: far from the 50,000 calls one
 *   socket could start before, and one socket then holds no more than 1,024 HTTP connections
 *   would. A call past it is refused at once with a 429 `too_many_calls_in_flight` and nothing
 *   else: no record, no access-log line, and the socket stays open.
 * - **Before a valid key** (keys on): a socket whose key (its `connectionParams`, or a header) is
 *   missing or not valid may make 16 calls by default (`LANGURU_WS_CALLS_WITHOUT_KEY`), each
 *   answered as usual (a 401, logged); the next is refused with a 401 `too_many_calls_without_key`
 *   and the socket is closed (1008), so that a client without a key cannot keep one socket busy
 *   with refusals. The key is checked once when the socket's context is made, and calls wait for
 *   that check instead of racing it, so a burst of calls on a fresh socket with a good key is never
 *   counted. A later 401 (the key was revoked) puts the socket back under the bound.
 * Refusals are counted (`refusals.ts`): each 429, and each socket closed for its keyless calls
 * once (the calls it sent before the close are refused too, but that is one client cut, once).
 */
import type { WebSocket } from "ws";
import { AuthenticationError, RateLimitError } from "../../../../shared/index.js";
import type { WebSocketLimits } from "./limits.js";
import type { RefusalCounter } from "./refusals.js";

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
export function callBounds(ws: WebSocket, limits: Pick<WebSocketLimits, "callsInFlight" | "callsWithoutKey">, refused: RefusalCounter): CallBounds {
  const { callsInFlight, callsWithoutKey } = limits;
  let inFlight = 0;
  let keyless = 0;
  // Once the socket is closed for its keyless calls: the calls already read are refused, not counted again.
  let closing = false;
  // Null while keys are off (or not yet known); a promise while the socket's key is being checked.
  let keyValid: boolean | Promise<boolean> | null = null;

  const refuseKeyless = () => {
    if (!closing) {
      closing = true;
      refused("too_many_calls_without_key");
      // After this call's answer (tRPC sends it a few microtasks later), not before it.
      setImmediate(() => ws.close(1008, "too many calls without a valid key"));
    }
    return new AuthenticationError(
      `This socket made ${callsWithoutKey} calls without a valid API key and is closed; connect again with a valid key in connectionParams.`,
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
      if (!valid && ++keyless > callsWithoutKey) throw refuseKeyless();
      if (inFlight >= callsInFlight) {
        refused("too_many_calls_in_flight");
        throw new RateLimitError(`This socket has ${callsInFlight} calls in flight, the most one socket may; wait for one to end, or open another socket.`, {
          code: "too_many_calls_in_flight",
          headers: { "retry-after": "1" },
        });
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
