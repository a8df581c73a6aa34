/**
 * The built-in `echo` model: deterministic and offline, so a fresh clone serves requests with no
 * key and no network. Its reply is the last user message's text; a token is a whitespace-separated word.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { InvalidRequestError, type ChatCompletionChunk, type ChatMessage, type ChoiceLogprobs, type FinishReason, type Usage } from "../../shared/index.js";
import type { Provider, UpstreamRequest } from "./types.js";

/** The longest per-token delay a request may ask for with `echo_delay_ms`. */
const MAX_DELAY_MS = 1_000;
/** The most reply text (all `n` choices together) one request may make; echo is free, so it must not amplify. */
export const ECHO_MAX_OUTPUT_BYTES = 1024 * 1024;
// A token's logprobs entry (its bytes listed as numbers, twice) is many times the token's own size.
const LOGPROBS_FACTOR = 16;

interface EchoPlan {
  pieces: string[];
  finishReason: FinishReason;
  usage: Usage;
}

/** Creates the echo provider; `delayMs` is the default pause between streamed words. */
export function createEchoProvider(options: { delayMs: number }): Provider {
  return {
    name: "languru",
    async complete(request) {
      const plan = planReply(request);
      const content = plan.pieces.join("");
      const choices = range(request.n ?? 1).map((index) => ({
        index,
        message: { role: "assistant" as const, content, refusal: null },
        finish_reason: plan.finishReason,
        logprobs: request.logprobs ? logprobsOf(plan.pieces, request.top_logprobs ?? 0) : null,
      }));
      return { ...envelope(request, "chat.completion"), choices, usage: totalUsage(plan, request.n ?? 1) };
    },
    async stream(request, signal) {
      return streamReply(request, signal, delayOf(request, options.delayMs));
    },
  };
}

async function* streamReply(request: UpstreamRequest, signal: AbortSignal, delayMs: number): AsyncGenerator<ChatCompletionChunk> {
  const plan = planReply(request);
  const n = request.n ?? 1;
  const base = envelope(request, "chat.completion.chunk");
  const includeUsage = request.stream_options?.include_usage === true;
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (choices: ChatCompletionChunk["choices"]): ChatCompletionChunk => ({ ...base, choices, ...usageField });
  const logprobs = (piece: string) => (request.logprobs ? logprobsOf([piece], request.top_logprobs ?? 0) : null);

  yield chunk(range(n).map((index) => ({ index, delta: { role: "assistant", content: "" }, finish_reason: null, logprobs: null })));
  for (const piece of plan.pieces) {
    if (delayMs > 0) await sleep(delayMs, undefined, { signal });
    signal.throwIfAborted();
    yield chunk(range(n).map((index) => ({ index, delta: { content: piece }, finish_reason: null, logprobs: logprobs(piece) })));
  }
  yield chunk(range(n).map((index) => ({ index, delta: {}, finish_reason: plan.finishReason, logprobs: null })));
  if (includeUsage) yield { ...base, choices: [], usage: totalUsage(plan, n) };
}

/** Decides the whole reply up front: the words to send, why it stops, and the token counts. */
function planReply(request: UpstreamRequest): EchoPlan {
  const lastUser = [...request.messages].reverse().find((m) => m.role === "user");
  let text = lastUser ? textOf(lastUser) : "";
  let finishReason: FinishReason = "stop";
  const stops = request.stop == null ? [] : typeof request.stop === "string" ? [request.stop] : request.stop;
  const cut = Math.min(
    ...stops
      .filter((s) => s !== "")
      .map((s) => text.indexOf(s))
      .filter((i) => i >= 0),
  );
  if (Number.isFinite(cut)) text = text.slice(0, cut);
  let words = words_(text);
  const max = request.max_completion_tokens ?? request.max_tokens;
  if (max != null && words.length > max) {
    words = words.slice(0, max);
    finishReason = "length";
  }
  const pieces = words.map((w, i) => (i === 0 ? w : ` ${w}`));
  assertBoundedOutput(request, pieces);
  const promptTokens = request.messages.reduce((sum, m) => sum + words_(textOf(m)).length, 0);
  return { pieces, finishReason, usage: { prompt_tokens: promptTokens, completion_tokens: words.length, total_tokens: promptTokens + words.length } };
}

// Checked before anything is built, so the refusal costs no more than reading the prompt did.
function assertBoundedOutput(request: UpstreamRequest, pieces: string[]): void {
  const n = request.n ?? 1;
  const text = pieces.reduce((sum, p) => sum + p.length, 0);
  const bytes = text * n * (request.logprobs ? LOGPROBS_FACTOR : 1);
  if (bytes > ECHO_MAX_OUTPUT_BYTES) {
    throw new InvalidRequestError(
      `The echo reply would be about ${bytes} bytes (${n} choice(s) of ${text} characters${request.logprobs ? " with logprobs" : ""}), over the limit of ${ECHO_MAX_OUTPUT_BYTES}: lower 'n', 'max_tokens' or the prompt.`,
      { param: "n", code: "echo_output_too_large" },
    );
  }
}

function words_(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== "");
}

function textOf(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => ("text" in part && typeof part.text === "string" ? part.text : "")).join(" ");
}

// Completion tokens count every choice, as OpenAI bills them.
function totalUsage(plan: EchoPlan, n: number): Usage {
  const completion = plan.usage.completion_tokens * n;
  return { prompt_tokens: plan.usage.prompt_tokens, completion_tokens: completion, total_tokens: plan.usage.prompt_tokens + completion };
}

// The echo model is certain of every token: logprob 0, and the token itself is its only alternative.
function logprobsOf(pieces: string[], top: number): ChoiceLogprobs {
  return {
    content: pieces.map((token) => {
      const entry = { token, logprob: 0, bytes: [...Buffer.from(token, "utf8")] };
      return { ...entry, top_logprobs: top > 0 ? [entry] : [] };
    }),
    refusal: null,
  };
}

function envelope<T extends "chat.completion" | "chat.completion.chunk">(request: UpstreamRequest, object: T) {
  return { id: `chatcmpl-${randomUUID()}`, object, created: Math.floor(Date.now() / 1000), model: request.model };
}

function delayOf(request: UpstreamRequest, fallback: number): number {
  const asked = (request as Record<string, unknown>).echo_delay_ms;
  return typeof asked === "number" && asked >= 0 ? Math.min(asked, MAX_DELAY_MS) : fallback;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
