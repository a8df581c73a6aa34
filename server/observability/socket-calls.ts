/**
 * Requests on the WebSocket door. One socket carries many calls and no HTTP request per call, so
 * each call opens its own record (a fresh request id, `method: "WS"`, the procedure as path), which
 * the procedure receives in its context; a subscription's record stays open while its stream runs.
 */
import { randomUUID } from "node:crypto";
import type { TRPCError } from "@trpc/server";
import { fromProcedureError, languruErrorOf } from "../trpc-errors.js";
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

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** The stream, unchanged; the record ends with it (499 when the client stopped it). */
function untilEnded<T>(record: RequestRecord, source: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = source[Symbol.asyncIterator]();
      let ended = false;
      const end = (status: number) => {
        if (ended) return;
        ended = true;
        record.responseEnded(status);
      };
      return {
        next: () =>
          iterator.next().then(
            (step) => {
              if (step.done) end(200);
              return step;
            },
            (err: unknown) => {
              tagError(err, record.requestId);
              end(statusOf(record, err));
              throw err;
            },
          ),
        async return(value?: unknown) {
          end(499);
          return iterator.return ? iterator.return(value) : { done: true as const, value: value as T };
        },
      };
    },
  };
}
