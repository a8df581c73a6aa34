/**
 * The Responses API's Server-Sent Events framing: `event: <type>` and `data: <json>` per event,
 * each with its `sequence_number`, honouring backpressure. No `[DONE]`: the stream ends after its
 * terminal event (`response.completed`, `.incomplete` or `.failed`).
 */
import type { ServerResponse } from "node:http";
import { writeWithBackpressure } from "../../lib/write-stream.js";
import { jsonTextOf } from "../../providers/json-text.js";

/** Writes numbered events to one response. */
export interface EventWriter {
  /** Writes `{ type, sequence_number, ...fields }`; resolves once the socket took it (or the client left). */
  send(type: string, fields: Record<string, unknown>): Promise<void>;
  /** True once the client left. */
  readonly gone: boolean;
}

/** Sends the stream's headers and returns its writer. */
export function openEvents(res: ServerResponse, headers: Record<string, string>): EventWriter {
  res.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    // Tells nginx-style proxies not to buffer the stream.
    "x-accel-buffering": "no",
  });
  let sequence = 0;
  return {
    get gone() {
      return res.destroyed;
    },
    async send(type, fields) {
      if (res.destroyed) return;
      // JSON text never holds a raw newline, so one `data:` line carries the whole event.
      await writeWithBackpressure(res, `event: ${type}\ndata: ${jsonTextOf({ type, sequence_number: sequence++, ...fields })}\n\n`);
    },
  };
}
