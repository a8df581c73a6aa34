/**
 * The REST door's Server-Sent Events writer, in OpenAI's framing: `data: <json>\n\n` per chunk,
 * `data: {"error": ...}` for a failure after the stream started, and always `data: [DONE]\n\n` last.
 */
import type { ServerResponse } from "node:http";
import { ServiceUnavailableError, type ChatCompletionChunk } from "../../../shared/index.js";
import { jsonTextOf } from "../../providers/json-text.js";
import { drainedOrClosed } from "../../lib/write-stream.js";
import { asLanguruError } from "./respond.js";

/**
 * Writes a chunk stream to the response, honouring backpressure; never throws. The headers go out
 * with the first frame (one write, not two): the service only hands over a stream whose first
 * chunk already arrived. The frames of one event-loop turn go out as one write (`FrameBatch`): an
 * upstream read that carried many frames costs one HTTP chunk and one syscall, not one per frame.
 * A stream cut by `shutdown` says so, instead of looking like an upstream failure.
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
    // Tells nginx-style proxies not to buffer the stream.
    "x-accel-buffering": "no",
  });
  const batch = new FrameBatch(res);
  try {
    for await (const chunk of chunks) {
      if (res.destroyed) return;
      if (batch.add(jsonTextOf(chunk))) await drainedOrClosed(res);
    }
  } catch (err) {
    if (res.destroyed) return;
    const error = shutdown?.aborted ? shuttingDown() : asLanguruError(err);
    batch.add(JSON.stringify(error.toBody()));
  }
  if (res.destroyed) return;
  res.end(batch.take() + DONE);
}

const DONE = "data: [DONE]\n\n";

// A turn's frames are held up to this size; past it they are written at once (a huge read is not held whole).
const BATCH_BYTES = 64 * 1024;

/**
 * The frames of this event-loop turn, written together when the turn ends (`setImmediate`): the
 * chunks of one upstream read all pass the pipeline within one turn, so they leave as one write;
 * a frame that arrives alone leaves at the end of its own turn, as it did when each was written.
 */
class FrameBatch {
  private text = "";
  private scheduled = false;
  private readonly flush = () => {
    this.scheduled = false;
    const text = this.take();
    if (text !== "" && !this.res.destroyed) this.res.write(text);
  };

  constructor(private readonly res: ServerResponse) {}

  /** Adds one frame; true when the caller must wait for `drain` before adding more. */
  add(data: string): boolean {
    // JSON.stringify never emits a raw newline (and kept upstream text is single-line), so one `data:` line holds the payload.
    this.text += `data: ${data}\n\n`;
    if (this.text.length >= BATCH_BYTES) return !this.res.write(this.take());
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    // A write at the end of an earlier turn filled the socket: wait before piling up more.
    return this.res.writableNeedDrain;
  }

  /** The frames not written yet (now the caller's to write). */
  take(): string {
    const text = this.text;
    this.text = "";
    return text;
  }
}

function shuttingDown(): ServiceUnavailableError {
  return new ServiceUnavailableError("The gateway is shutting down; send the request again.", { code: "shutting_down", headers: { "retry-after": "1" } });
}
