/**
 * Requests on the WebSocket door. One socket carries many calls and no HTTP request per call, so
 * each call opens its own record (a fresh request id, `method: "WS"`, the procedure as path), which
 * the procedure receives in its context; a subscription's record stays open while its stream runs.
 */
import { randomUUID } from "node:crypto";
import type { TRPCError } from "@trpc/server";
import { fromProcedureError, languruErrorOf } from "../doors/trpc/errors.js";
import { type RequestRecord, type RequestSource, tagError } from "./request.js";

/** One tRPC call as the WebSocket door received it. */
export interface SocketCall {
  path: string;
  type: "query" | "mutation" | "subscription";
}

// The status a client saw for a failed call: the error's, as REST would have sent it.
function statusOf(record: RequestRecord, err: unknown): number {
  const error = languruErrorOf(fromProcedureError(err as TRPCError));
  record.noteError(error);
  return error.status;
}

/**
 * Runs `next` (the rest of the procedure) with a record of its own; emits the record when the call,
 * or its stream, ends. `next` may fail by returning a failed result or by throwing.
 */
export async function trackSocketCall<R extends { ok: boolean }>(
  call: SocketCall,
  next: (record: RequestRecord) => Promise<R>,
  open: (source: RequestSource) => RequestRecord,
): Promise<R> {
  const record = open({ requestId: randomUUID(), method: "WS", path: call.path.slice(0, 200) });
  let result: R;
  try {
    result = await next(record);
  } catch (err) {
    // Refused before the procedure ran (its input, its key): the same answer as a failed result.
    tagError(err, record.requestId);
    record.responseEnded(statusOf(record, err));
    throw err;
  }
  if (!result.ok) {
    const error = (result as unknown as { error: unknown }).error;
    tagError(error, record.requestId);
    record.responseEnded(statusOf(record, error));
    return result;
  }
  const data = (result as unknown as { data: unknown }).data;
  if (call.type !== "subscription" || !isAsyncIterable(data)) {
    record.responseEnded(200);
    return result;
  }
  return { ...result, data: untilEnded(record, data) };
}

/**
 * Runs `call` (a WebSocket call); `end` runs once, when it was answered or failed, or for a
 * subscription once its stream ended (done, failed or stopped by the client).
 */
export async function whenCallEnds<R extends { ok: boolean }>(type: SocketCall["type"], call: () => Promise<R>, end: () => void): Promise<R> {
  let result: R;
  try {
    result = await call();
  } catch (err) {
    end();
    throw err;
  }
  const data = (result as unknown as { data?: unknown }).data;
  if (!result.ok || type !== "subscription" || !isAsyncIterable(data)) {
    end();
    return result;
  }
  return { ...result, data: watchEnd(data, end) };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** How a stream ended: its last step came, it threw, or the client stopped it (`return`). */
type StreamEnd = { kind: "done" } | { kind: "failed"; error: unknown } | { kind: "stopped" };

/** The stream, unchanged; the record ends with it (499 when the client stopped it). */
function untilEnded<T>(record: RequestRecord, source: AsyncIterable<T>): AsyncIterable<T> {
  return watchEnd(source, (how) => {
    if (how.kind === "done") return record.responseEnded(200);
    if (how.kind === "stopped") return record.responseEnded(499);
    tagError(how.error, record.requestId);
    record.responseEnded(statusOf(record, how.error));
  });
}

/** The stream, unchanged; `ended` hears once how it ended. */
function watchEnd<T>(source: AsyncIterable<T>, ended: (how: StreamEnd) => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = source[Symbol.asyncIterator]();
      let over = false;
      const end = (how: StreamEnd) => {
        if (over) return;
        over = true;
        ended(how);
      };
      return {
        next: () =>
          iterator.next().then(
            (step) => {
              if (step.done) end({ kind: "done" });
              return step;
            },
            (err: unknown) => {
              end({ kind: "failed", error: err });
              throw err;
            },
          ),
        async return(value?: unknown) {
          end({ kind: "stopped" });
          return iterator.return ? iterator.return(value) : { done: true as const, value: value as T };
        },
      };
    },
  };
}
