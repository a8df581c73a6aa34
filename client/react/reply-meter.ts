/**
 * Measures one streamed reply: time to first token, tokens per second, and its usage. A reply that
 * ends without the server's usage (stopped, or cut off by an error) gets an estimate instead: one
 * completion token per token-bearing chunk (upstreams stream about one token per chunk) and one
 * prompt token per 4 characters of the prompt (OpenAI's rule of thumb for English), so a stopped
 * reply still counts in the conversation's totals.
 */
import type { ChatCompletionChunk, Usage } from "../index.js";

/** What one finished (or stopped) reply cost and how fast it came. */
export interface ReplyStats {
  /** The model that was asked. */
  model: string;
  /** From the server's `include_usage` chunk; null when the stream ended before it. */
  usage: Usage | null;
  /** Milliseconds from `send` to the first content token. */
  timeToFirstTokenMs: number | null;
  /** Completion tokens per second after the first token (usage, or content chunks when usage is missing). */
  tokensPerSecond: number | null;
  /** Why the model stopped; null when stopped by the caller or failed. */
  finishReason: string | null;
  /** Milliseconds from `send` to the end of the stream. */
  durationMs: number | null;
  /** Once the stream ended without `usage`: the estimate described above; null otherwise. */
  estimatedUsage: Usage | null;
  /** The model the upstream's chunks name (may differ from the one asked: an alias, a dated version). */
  servedModel: string | null;
}

/** Counts one reply's chunks; `stats()` can be read at any point, also mid-stream. */
export class ReplyMeter {
  private readonly startedAt = performance.now();
  private firstTokenAt: number | null = null;
  private lastTokenAt: number | null = null;
  private endedAt: number | null = null;
  private contentChunks = 0;
  private usage: Usage | null = null;
  private finishReason: string | null = null;
  private servedModel: string | null = null;
  private readonly model: string;
  private readonly promptChars: number;

  /** `promptChars`: the length of the prompt's text, for the estimate when no usage comes. */
  constructor(model: string, promptChars = 0) {
    this.model = model;
    this.promptChars = promptChars;
  }

  /** Takes one chunk; returns the content text it adds (first choice only). */
  take(chunk: ChatCompletionChunk): string {
    if (chunk.usage) this.usage = chunk.usage;
    if (typeof chunk.model === "string" && chunk.model !== "") this.servedModel = chunk.model;
    // Read defensively: an upstream's chunk may have no choices, or a choice without a delta (Azure's content filter).
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
    const delta = (choice?.delta ?? {}) as Record<string, unknown>;
    const text = typeof delta.content === "string" ? delta.content : "";
    // Reasoning and tool-call arguments are tokens too: the first of any kind is the first token.
    const produced = text !== "" || hasText(delta.reasoning_content) || hasText(delta.reasoning) || Array.isArray(delta.tool_calls);
    if (produced) {
      const now = performance.now();
      this.firstTokenAt ??= now;
      this.lastTokenAt = now;
      this.contentChunks += 1;
    }
    return text;
  }

  /** Marks the end of the stream (finished, stopped or failed). */
  end(): void {
    this.endedAt ??= performance.now();
  }

  /** The numbers so far. */
  stats(): ReplyStats {
    const tokens = this.usage?.completion_tokens ?? this.contentChunks;
    // Rate over the generation itself (first to last token), so queueing before the first token does not count.
    const spanMs = this.firstTokenAt !== null && this.lastTokenAt !== null ? this.lastTokenAt - this.firstTokenAt : 0;
    return {
      model: this.model,
      usage: this.usage,
      timeToFirstTokenMs: this.firstTokenAt === null ? null : this.firstTokenAt - this.startedAt,
      tokensPerSecond: tokens > 1 && spanMs > 0 ? ((tokens - 1) * 1000) / spanMs : null,
      finishReason: this.finishReason,
      durationMs: this.endedAt === null ? null : this.endedAt - this.startedAt,
      estimatedUsage: this.endedAt !== null && !this.usage ? this.estimate() : null,
      servedModel: this.servedModel,
    };
  }

  private estimate(): Usage {
    const prompt = Math.ceil(this.promptChars / 4);
    return { prompt_tokens: prompt, completion_tokens: this.contentChunks, total_tokens: prompt + this.contentChunks };
  }
}

function hasText(value: unknown): boolean {
  return typeof value === "string" && value !== "";
}
