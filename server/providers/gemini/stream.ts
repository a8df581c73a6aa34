/**
 * A Gemini stream (`:streamGenerateContent?alt=sse`, each event one `GenerateContentResponse`) as
 * OpenAI chunks: a role chunk first for each candidate, then its text (`content`), thoughts
 * (`reasoning_content`) and function calls (`tool_calls`, whole: Gemini sends a call in one
 * event), then a chunk with its finish reason; and last, when the client asked for it
 * (`include_usage`), a usage-only chunk with the last usage Gemini reported. Gemini sends no
 * `[DONE]`: a body that ends before any candidate finished is a cut stream, an error. An error
 * payload mid-stream is relayed as the upstream's error. Leaving early destroys the body, which
 * closes the upstream connection.
 */
import { UpstreamError, isRecord, type ChatCompletion, type ChatCompletionChunk } from "../../../shared/index.js";
import { sseSplitter, type SseMessage } from "../sse.js";
import type { UpstreamResponse } from "../transport.js";
import { candidatesOf, completionIdOf, finishReasonOf, modelOf, promptBlocked, readCandidate, usageOf } from "./response.js";

/** What the translation of one stream needs. */
export interface StreamContext {
  name: string;
  model: string;
  includeUsage: boolean;
  signal: AbortSignal;
  failure: (err: unknown, signal: AbortSignal) => Error;
  /** The error an error payload inside the stream describes. */
  reported: (payload: unknown) => Error;
}

type Choice = ChatCompletionChunk["choices"][number];

/** The chunks of a Gemini SSE body. */
export async function* geminiChunks(res: UpstreamResponse, context: StreamContext): AsyncGenerator<ChatCompletionChunk> {
  const translator = new StreamTranslator(context);
  const splitter = sseSplitter();
  let completed = false;
  try {
    for await (const bytes of res.body as AsyncIterable<Buffer>) {
      for (const message of splitter.push(bytes)) yield* translator.chunksOf(message);
      if (translator.done) break;
    }
    if (!translator.done) for (const message of splitter.end()) yield* translator.chunksOf(message);
    if (context.signal.aborted || !translator.finishedAny) throw new UpstreamError(`upstream '${context.name}' ended the stream before it was complete`);
    const usage = translator.usageChunk();
    if (usage) yield usage;
    completed = true;
  } catch (err) {
    throw context.failure(err, context.signal);
  } finally {
    // Left early or failed: the connection cannot be reused mid-body; destroying it closes the socket.
    if (!completed) res.body.destroy();
  }
}

/** The state of one stream: its id, which candidates started and finished, the last usage. */
class StreamTranslator {
  done = false;
  finishedAny = false;
  private id: string | null = null;
  private model: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly started = new Set<number>();
  private readonly finished = new Set<number>();
  private readonly toolCalls = new Map<number, number>();
  private usage: ChatCompletion["usage"];

  constructor(private readonly context: StreamContext) {
    this.model = context.model;
  }

  chunksOf(message: SseMessage): ChatCompletionChunk[] {
    if (message.data === "[DONE]") {
      this.done = true;
      return [];
    }
    let payload: unknown;
    try {
      payload = JSON.parse(message.data);
    } catch {
      throw new UpstreamError(`upstream '${this.context.name}' sent an event that is not JSON`);
    }
    if (message.event === "error" || (isRecord(payload) && payload.error != null)) throw this.context.reported(payload);
    if (!isRecord(payload)) throw new UpstreamError(`upstream '${this.context.name}' sent an event that is not a Gemini response`);
    if (this.id === null) {
      this.id = completionIdOf(payload);
      this.model = modelOf(payload, this.model);
    }
    this.usage = usageOf(payload.usageMetadata) ?? this.usage;
    const out: ChatCompletionChunk[] = [];
    const candidates = candidatesOf(payload);
    if (candidates.length === 0 && promptBlocked(payload)) {
      out.push(...this.start(0), this.chunk([{ index: 0, delta: {}, finish_reason: "content_filter" }]));
      this.finish(0);
      return out;
    }
    const deltas: Choice[] = [];
    const finishes: Choice[] = [];
    for (const { index, candidate } of candidates) {
      if (this.finished.has(index)) continue;
      out.push(...this.start(index));
      const read = readCandidate(candidate);
      const delta: Choice["delta"] = {};
      if (read.content !== "") delta.content = read.content;
      if (read.reasoning !== "") delta.reasoning_content = read.reasoning;
      if (read.toolCalls.length > 0) {
        const first = this.toolCalls.get(index) ?? 0;
        delta.tool_calls = read.toolCalls.map((call, k) => ({ index: first + k, ...call }));
        this.toolCalls.set(index, first + read.toolCalls.length);
      }
      if (Object.keys(delta).length > 0) deltas.push({ index, delta, finish_reason: null });
      const reason = finishReasonOf(candidate.finishReason, (this.toolCalls.get(index) ?? 0) > 0);
      if (reason) {
        finishes.push({ index, delta: {}, finish_reason: reason });
        this.finish(index);
      }
    }
    if (deltas.length > 0) out.push(this.chunk(deltas));
    if (finishes.length > 0) out.push(this.chunk(finishes));
    return out;
  }

  /** The usage-only last chunk, when the client asked for usage and Gemini reported some. */
  usageChunk(): ChatCompletionChunk | null {
    if (!this.context.includeUsage || !this.usage) return null;
    return { ...this.chunk([]), usage: this.usage };
  }

  private start(index: number): ChatCompletionChunk[] {
    if (this.started.has(index)) return [];
    this.started.add(index);
    return [this.chunk([{ index, delta: { role: "assistant", content: "" }, finish_reason: null }])];
  }

  private finish(index: number): void {
    this.finished.add(index);
    this.finishedAny = true;
  }

  private chunk(choices: Choice[]): ChatCompletionChunk {
    return { id: this.id ?? "chatcmpl-gemini", object: "chat.completion.chunk", created: this.created, model: this.model, choices };
  }
}
