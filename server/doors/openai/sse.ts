/**
 * The REST door's Server-Sent Events writer, in OpenAI's framing: `data: <json>\n\n` per chunk,
 * `data: {"error": ...}` for a failure after the stream started, and always `data: [DONE]\n\n` last.
 */
import type { ServerResponse } from "node:http";
import { ServiceUnavailableError, type ChatCompletionChunk } from "../../../shared/index.js";
import { coalesceWrites } from "../../lib/coalesce-writes.js";
import { jsonTextOf } from "../../providers/json-text.js";
import { asLanguruError } from "./respond.js";

/**
 * Writes a chunk stream to the response, honouring backpressure; never throws. The headers go out
 * with the first frame (one write, not two): the service only hands over a stream whose first
 * chunk already arrived. A stream cut by `shutdown` says so, instead of looking like an upstream failure.
 */
export async function writeChunkStream(
  res: ServerResponse,
  chunks: AsyncIterable<ChatCompletionChunk>,
  headers: Record<string, string> = {},
  shutdown?: AbortSignal,
): Promise<void> {
  res.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    // Tells nginx-style proxies not to buffer the stream.
    "x-accel-buffering": "no",
  });
  try {
    for await (const chunk of chunks) {
      if (res.destroyed) return;
      await writeFrame(res, jsonTextOf(chunk));
    }
  } catch (err) {
    if (res.destroyed) return;
    const error = shutdown?.aborted ? shuttingDown() : asLanguruError(err);
    await writeFrame(res, JSON.stringify(error.toBody()));
  }
  if (res.destroyed) return;
  coalesceWrites(res.socket);
  res.end("data: [DONE]\n\n");
}

function shuttingDown(): ServiceUnavailableError {
  return new ServiceUnavailableError("The gateway is shutting down; send the request again.", { code: "shutting_down", headers: { "retry-after": "1" } });
}

// JSON.stringify never emits a raw newline, so one `data:` line holds the whole payload.
async function writeFrame(res: ServerResponse, data: string): Promise<void> {
  coalesceWrites(res.socket);
  if (!res.write(`data: ${data}\n\n`)) await drainedOrClosed(res);
}

// Both listeners go once either fires: a long stream waits many times, and `events.once` would
// leave the loser behind on each wait (MaxListenersExceededWarning, and memory, on a slow reader).
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
