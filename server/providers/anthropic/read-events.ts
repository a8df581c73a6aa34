/**
 * Reads a translated SSE body: bytes through the one SSE splitter (`sse.ts`), each message through a
 * translator into chunks, queued (bounded: the body is paused while the consumer lags) and handed
 * out in order. Read with `data` events, one promise per wait, as the OpenAI-compatible reader does.
 * The consumer leaving early, or a failure, destroys the body, which closes the upstream connection;
 * after the translator's end only the body's terminator is left, drained so the connection is reused.
 */
import { UpstreamError, type ChatCompletionChunk } from "../../../shared/index.js";
import { sseSplitter, type SseMessage } from "../sse.js";
import type { UpstreamResponse } from "../transport.js";

/** What turns messages into chunks and knows when the stream is over. */
export interface EventTranslator {
  chunksOf(message: SseMessage): ChatCompletionChunk[];
  /** The stream's last event arrived. */
  readonly done: boolean;
  /** Enough arrived (a finish reason) that a body ending here is not a cut stream. */
  readonly finished: boolean;
}

/** What the reader needs besides the body. */
export interface ReadOptions {
  signal: AbortSignal;
  failure: (err: unknown, signal: AbortSignal) => Error;
  name: string;
}

// Chunks ready before the body is paused: enough to smooth bursts, few enough to bound memory.
const READ_AHEAD = 32;
// How long a finished body may take to end before its connection is closed instead.
const DRAIN_MS = 1_000;

/** The chunks of `res`, translated; a body that ends before the translator is done (or finished) is a cut stream. */
export async function* translatedChunks(
  res: UpstreamResponse,
  translator: EventTranslator,
  { signal, failure, name }: ReadOptions,
): AsyncGenerator<ChatCompletionChunk> {
  const body = res.body;
  const splitter = sseSplitter();
  const queue: ChatCompletionChunk[] = [];
  let head = 0;
  let error: unknown = null;
  let ended = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const take = (messages: () => SseMessage[]) => {
    if (translator.done || error) return;
    try {
      for (const message of messages()) {
        queue.push(...translator.chunksOf(message));
        if (translator.done) break;
      }
    } catch (err) {
      error = err;
    }
    if (translator.done || error || queue.length - head >= READ_AHEAD) body.pause();
    notify();
  };
  const onData = (bytes: Buffer) => take(() => splitter.push(bytes));
  const onEnd = () => {
    take(() => splitter.end());
    ended = true;
    notify();
  };
  const onError = (err: unknown) => {
    error ??= err;
    notify();
  };
  // A connection cut mid-body closes it without `end`: a cut stream, never a complete one.
  const onClose = () => {
    if (!ended && !translator.done) error ??= new UpstreamError(`upstream '${name}' closed the connection mid-stream`);
    notify();
  };
  body.on("data", onData);
  body.on("end", onEnd);
  body.on("error", onError);
  body.on("close", onClose);

  let completed = false;
  try {
    while (true) {
      if (head < queue.length) {
        const chunk = queue[head] as ChatCompletionChunk;
        queue[head++] = undefined as unknown as ChatCompletionChunk;
        if (head === queue.length) {
          queue.length = 0;
          head = 0;
          if (!translator.done && body.isPaused()) body.resume();
        }
        yield chunk;
        continue;
      }
      if (error) throw error;
      if (translator.done || ended) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (!translator.done && (signal.aborted || !translator.finished)) throw new UpstreamError(`upstream '${name}' ended the stream before it was complete`);
    completed = true;
  } catch (err) {
    throw failure(err, signal);
  } finally {
    body.off("data", onData);
    body.off("end", onEnd);
    body.off("error", onError);
    body.off("close", onClose);
    if (!completed) body.destroy();
    else if (!body.readableEnded) drain(body);
  }
}

// Lets a finished body's last bytes arrive (bounded), so its keep-alive connection can be reused.
function drain(body: UpstreamResponse["body"]): void {
  const timer = setTimeout(() => body.destroy(), DRAIN_MS);
  body.once("end", () => clearTimeout(timer));
  body.once("close", () => clearTimeout(timer));
  body.resume();
}
