/**
 * Requests on the WebSocket door. One socket carries many calls and no HTTP request per call, so
 * each call opens its own record (a fresh request id, `method: "WS"`, the procedure as path), and
 * a subscription's record stays open while its stream runs: every `next()` of the stream runs inside
 * the record, so the chat observer and the routing hooks see it as they do on HTTP.
 */
import { randomUUID } from "node:crypto";
import type { TRPCError } from "@trpc/server";
import { fromProcedureError, languruErrorOf } from "../trpc-errors.js";
import { type RequestRecord, type RequestSource, runInRequest, tagError } from "./request.js";

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

/** Runs `next` (the rest of the procedure) inside a record of its own; emits the record when the call, or its stream, ends. */
export async function trackSocketCall<R extends { ok: boolean }>(
  call: SocketCall,
  next: () => Promise<R>,
  open: (source: RequestSource) => RequestRecord,
): Promise<R> {
  const record = open({ requestId: randomUUID(), method: "WS", path: call.path.slice(0, 200) });
  const result = await runInRequest(record, next);
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
  return { ...result, data: followInRecord(record, data) };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/** The stream, each step run inside the record; the record ends with the stream (499 when the client stopped it). */
function followInRecord<T>(record: RequestRecord, source: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = runInRequest(record, () => source[Symbol.asyncIterator]());
      let ended = false;
      const end = (status: number) => {
        if (ended) return;
        ended = true;
        record.responseEnded(status);
      };
      return {
        next: () =>
          runInRequest(record, () => iterator.next()).then(
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
          return iterator.return ? runInRequest(record, () => iterator.return!(value)) : { done: true as const, value: value as T };
        },
      };
    },
  };
}
