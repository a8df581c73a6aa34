/** Measures one streamed reply: time to first token, tokens per second, and its usage. */
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
  private readonly model: string;

  constructor(model: string) {
    this.model = model;
  }

  /** Takes one chunk; returns the content text it adds (first choice only). */
  take(chunk: ChatCompletionChunk): string {
    if (chunk.usage) this.usage = chunk.usage;
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
    };
  }
}

function hasText(value: unknown): boolean {
  return typeof value === "string" && value !== "";
}
