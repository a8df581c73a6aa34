/**
 * The provider for every OpenAI-compatible upstream (OpenAI, Azure, Ollama, vLLM, Groq, OpenRouter):
 * one kind, parameterised by base URL, key and headers, over the lean transport (`node:http`,
 * `transport.ts`) with SSE parsed in `sse.ts`. An upstream's error answer becomes an
 * `UpstreamAnswerError` (worded as the openai SDK words it) and is mapped to our errors in one place,
 * `upstream-errors.ts`. No timers here: the attempt pipeline owns them.
 */
import { UpstreamError, isRecord, type ChatCompletion, type ChatCompletionChunk } from "../../shared/index.js";
import type { ProviderSettings } from "../config.js";
import { sseSplitter, type SseMessage } from "./sse.js";
import { createTransport, type UpstreamResponse } from "./transport.js";
import { forwardedClientHeaders } from "./relayed-headers.js";
import type { Provider, UpstreamCallOptions, UpstreamRequest } from "./types.js";
import { UpstreamAnswerError, UpstreamUnreachableError, fromUpstreamError } from "./upstream-errors.js";
import { abortedCall, parseJson, readAnswer } from "./answer.js";
import { keepJsonText } from "./json-text.js";
import { errorFieldsOf, errorFieldsOfText } from "./error-body.js";

// An error body or a non-streamed completion larger than this is not worth reading whole.
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
// How long a stream's body may take to end after [DONE] before its connection is closed instead.
const DRAIN_MS = 1_000;

/** Creates a provider for one configured upstream. */
export function createOpenAICompatibleProvider(settings: ProviderSettings): Provider {
  const transport = createTransport({
    baseURL: settings.baseURL,
    headers: { authorization: `Bearer ${settings.apiKey}`, ...settings.headers },
  });
  const identity = { name: settings.name, secrets: [settings.apiKey] };
  const forwarded = (settings.forwardHeaders ?? []).map((name) => name.toLowerCase());
  const failure = (err: unknown, signal: AbortSignal) => fromUpstreamError(signal.aborted ? abortedCall(settings.name) : err, identity);

  // Sends the request; settles with a 2xx response, or throws the upstream's error mapped.
  const open = async (body: string, signal: AbortSignal, call: UpstreamCallOptions | undefined): Promise<UpstreamResponse> => {
    let res: UpstreamResponse;
    try {
      res = await transport.post({ path: "/chat/completions", body, signal, headers: forwardedClientHeaders(forwarded, call?.clientHeaders) });
    } catch (err) {
      throw failure(signal.aborted ? err : new UpstreamUnreachableError(err instanceof Error ? err : undefined), signal);
    }
    call?.answered?.(res.headers);
    if (res.status >= 200 && res.status < 300) return res;
    const text = await readAnswer(res, MAX_ERROR_BODY_BYTES).catch(() => "");
    throw failure(new UpstreamAnswerError(res.status, errorFieldsOfText(text, res.headers["content-type"]), res.headers), signal);
  };

  return {
    name: settings.name,
    timeoutMs: settings.timeoutMs,
    async complete(request, signal, encoded, call) {
      const res = await open(encoded ?? JSON.stringify(request), signal, call);
      try {
        const text = await readAnswer(res, MAX_BODY_BYTES);
        // Most servers end a JSON body with a newline; the text kept is the JSON itself.
        return keepJsonText(asCompletion(parseJson(text), settings.name), text.trim());
      } catch (err) {
        throw failure(err, signal);
      }
    },
    async stream(request, signal, encoded, call) {
      const res = await open(encoded ?? JSON.stringify({ ...request, stream: true }), signal, call);
      if (!isEventStream(res.headers["content-type"])) {
        // A 200 that is not SSE: an error body in JSON, or an HTML page from a proxy; never an empty stream.
        const reported = errorFieldsOf(parseJson(await readAnswer(res, MAX_ERROR_BODY_BYTES).catch(() => "")));
        if (reported) throw failure(new UpstreamAnswerError(undefined, reported, res.headers), signal);
        throw new UpstreamError(
          `upstream '${settings.name}' answered a stream request with '${res.headers["content-type"] ?? "no content type"}', not an event stream`,
        );
      }
      return chunksOf(res, { signal, failure, name: settings.name });
    },
    async listModels(signal) {
      try {
        const res = await transport.get("/models", signal);
        const text = await readAnswer(res, MAX_ERROR_BODY_BYTES * 16);
        if (res.status < 200 || res.status >= 300) throw new UpstreamAnswerError(res.status, errorFieldsOfText(text, res.headers["content-type"]), res.headers);
        const list = parseJson(text);
        const data = isRecord(list) && Array.isArray(list.data) ? list.data : [];
        return data.flatMap((m: unknown) => (isRecord(m) && typeof m.id === "string" ? [m.id] : []));
      } catch (err) {
        throw failure(err, signal);
      }
    },
    close: () => transport.close(),
  };
}

interface ChunkOptions {
  signal: AbortSignal;
  failure: (err: unknown, signal: AbortSignal) => Error;
  name: string;
}

/**
 * The typed chunks of an SSE body. Ends at `[DONE]`; an `error` event or an `{"error": ...}` payload,
 * malformed JSON, and a body that ends before `[DONE]` with no finish reason seen (a cut stream) are
 * errors; the consumer leaving early destroys the body, which closes the upstream connection.
 */
async function* chunksOf(res: UpstreamResponse, { signal, failure, name }: ChunkOptions): AsyncGenerator<ChatCompletionChunk> {
  const reader = new ChunkReader(res.body, name);
  let finished = false;
  try {
    while (true) {
      const chunk = reader.next();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (reader.failure) throw reader.failure;
      if (reader.state.done || reader.ended) break;
      await reader.readable();
    }
    if (!reader.state.done && (signal.aborted || !reader.state.sawFinish))
      throw new UpstreamError(`upstream '${name}' ended the stream before it was complete`);
    finished = true;
  } catch (err) {
    finished = true;
    throw failure(err, signal);
  } finally {
    reader.detach();
    // Left early (or failed): the connection cannot be reused mid-body; destroying it closes the socket.
    // After [DONE] only the body's terminator is left: read it, so the connection goes back to the pool.
    if (!finished || reader.failure) res.body.destroy();
    else if (!res.body.readableEnded) drain(res.body);
  }
}

// Chunks ready before the body is paused: enough to smooth bursts, few enough to bound memory.
const READ_AHEAD = 32;

/**
 * Reads a body with `data` events (cheaper than a Readable's async iterator, one promise per wait
 * instead of per piece) into a bounded queue of chunks, pausing the body when the consumer lags.
 */
class ChunkReader {
  readonly state = { done: false, sawFinish: false };
  failure: unknown = null;
  ended = false;
  private readonly queue: ChatCompletionChunk[] = [];
  private head = 0;
  private wake: (() => void) | null = null;
  private readonly splitter = sseSplitter();
  private readonly onData = (bytes: Buffer) => this.take(() => this.splitter.push(bytes));
  private readonly onEnd = () => {
    this.take(() => this.splitter.end());
    this.ended = true;
    this.notify();
  };
  private readonly onError = (err: unknown) => {
    this.failure ??= err;
    this.notify();
  };
  // A connection cut mid-body closes it without `end`: a cut stream, never a complete one.
  private readonly onClose = () => {
    if (!this.ended && !this.state.done) this.failure ??= new UpstreamError(`upstream '${this.name}' closed the connection mid-stream`);
    this.notify();
  };

  constructor(
    private readonly body: UpstreamResponse["body"],
    private readonly name: string,
  ) {
    body.on("data", this.onData);
    body.on("end", this.onEnd);
    body.on("error", this.onError);
    body.on("close", this.onClose);
  }

  /** The next queued chunk, or null. */
  next(): ChatCompletionChunk | null {
    if (this.head === this.queue.length) return null;
    const chunk = this.queue[this.head] as ChatCompletionChunk;
    this.queue[this.head++] = undefined as unknown as ChatCompletionChunk;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      if (!this.state.done && this.body.isPaused()) this.body.resume();
    }
    return chunk;
  }

  /** Resolves when a chunk, the end or a failure arrived. */
  readable(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /** Stops listening (the body is then destroyed or drained by the caller). */
  detach(): void {
    this.body.off("data", this.onData);
    this.body.off("end", this.onEnd);
    this.body.off("error", this.onError);
    this.body.off("close", this.onClose);
  }

  private take(split: () => SseMessage[]): void {
    if (this.state.done || this.failure) return;
    try {
      for (const message of split()) {
        const chunk = chunkOf(message, this.state, this.name);
        if (chunk) this.queue.push(chunk);
        if (this.state.done) break;
      }
    } catch (err) {
      this.failure = err;
    }
    if (this.state.done || this.failure || this.queue.length - this.head >= READ_AHEAD) this.body.pause();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** One message as a chunk; null for `[DONE]` (and `state.done` set). Error events and bad JSON throw. */
function chunkOf(message: SseMessage, state: { done: boolean; sawFinish: boolean }, name: string): ChatCompletionChunk | null {
  if (message.data === "[DONE]") {
    state.done = true;
    return null;
  }
  const payload = parseJson(message.data);
  if (payload === undefined) throw new UpstreamError(`upstream '${name}' sent an event that is not JSON`);
  // OpenAI's `error` event or payload, OpenRouter's error chunk, vLLM's `{"object":"error"}`.
  if (message.event === "error" || (isRecord(payload) && ((payload.error !== undefined && payload.error !== null) || payload.object === "error")))
    throw reportedFailure(payload);
  const chunk = payload as ChatCompletionChunk;
  if (!state.sawFinish && Array.isArray(chunk.choices)) state.sawFinish = (chunk.choices as unknown[]).some((c) => isRecord(c) && c.finish_reason != null);
  return keepJsonText(chunk, message.data);
}

// Lets a finished body's last bytes arrive (bounded), so its keep-alive connection can be reused.
function drain(body: UpstreamResponse["body"]): void {
  const timer = setTimeout(() => body.destroy(), DRAIN_MS);
  body.once("end", () => clearTimeout(timer));
  body.once("close", () => clearTimeout(timer));
  body.resume();
}

/** A whole completion, or a 502: some upstreams answer 200 with an HTML page, nothing, or an error body. */
function asCompletion(result: unknown, provider: string): ChatCompletion {
  if (isRecord(result) && result.error !== undefined && result.error !== null) throw reportedFailure(result);
  if (isRecord(result) && Array.isArray(result.choices)) return result as ChatCompletion;
  throw new UpstreamError(`upstream '${provider}' answered with something that is not a chat completion`);
}

function isEventStream(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().startsWith("text/event-stream") === true;
}

/** The upstream request body as the provider sends it. */
export type { UpstreamRequest };

/** An error the upstream reported with a 200 (an error body, or an error inside a stream): relayed, with no HTTP status. */
function reportedFailure(payload: unknown): UpstreamAnswerError {
  return new UpstreamAnswerError(undefined, errorFieldsOf(payload) ?? { message: "" }, {});
}
