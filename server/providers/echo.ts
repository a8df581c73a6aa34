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
/**
 * The most bytes one reply may put on the wire: the whole completion's JSON, or every chunk of the
 * stream with its framing, over all `n` choices, logprobs included. Echo is free, so it must not
 * amplify: a stream repeats the chunk envelope per word and every choice per chunk, so a bound on
 * the text alone let an 8 KB request make megabytes.
 */
export const ECHO_MAX_OUTPUT_BYTES = 1024 * 1024;
// What a door adds per chunk around its JSON: `data: ` and the blank line (REST), `id: <n>` and
// superjson's `{"json":…}` (tRPC's SSE), or a whole WebSocket message's envelope, which names the
// tracked `<generation id>:<index>` twice (~170 bytes: paced chunks go out one message each).
const FRAME_BYTES = 192;
// What a door adds once per reply: `data: [DONE]`, the route (`languru`), an SSE `connected` event.
const REPLY_SLACK_BYTES = 1024;

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
      assertBoundedOutput(request, plan, wholeReplyBytes(request, plan));
      return completionOf(request, plan, plan.pieces);
    },
    async stream(request, signal) {
      return streamReply(request, signal, delayOf(request, options.delayMs));
    },
  };
}

async function* streamReply(request: UpstreamRequest, signal: AbortSignal, delayMs: number): AsyncGenerator<ChatCompletionChunk> {
  const plan = planReply(request);
  const chunks = chunkMaker(request);
  assertBoundedOutput(request, plan, streamBytes(request, chunks, plan));
  yield chunks.role();
  for (const piece of plan.pieces) {
    if (delayMs > 0) await sleep(delayMs, undefined, { signal });
    signal.throwIfAborted();
    yield chunks.word(piece);
  }
  yield chunks.finish(plan.finishReason);
  if (chunks.includeUsage) yield chunks.usage(totalUsage(plan, request.n ?? 1));
}

/** The chunks of one streamed reply; the size bound measures these very objects. */
function chunkMaker(request: UpstreamRequest) {
  const n = request.n ?? 1;
  const base = envelope(request, "chat.completion.chunk");
  const includeUsage = request.stream_options?.include_usage === true;
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (choices: ChatCompletionChunk["choices"]): ChatCompletionChunk => ({ ...base, choices, ...usageField });
  const logprobs = (piece: string) => (request.logprobs ? logprobsOf([piece], request.top_logprobs ?? 0) : null);
  return {
    includeUsage,
    role: () => chunk(range(n).map((index) => ({ index, delta: { role: "assistant", content: "" }, finish_reason: null, logprobs: null }))),
    word: (piece: string) => chunk(range(n).map((index) => ({ index, delta: { content: piece }, finish_reason: null, logprobs: logprobs(piece) }))),
    finish: (reason: FinishReason) => chunk(range(n).map((index) => ({ index, delta: {}, finish_reason: reason, logprobs: null }))),
    usage: (usage: Usage): ChatCompletionChunk => ({ ...base, choices: [], usage }),
  };
}

/** The whole reply: every choice says the same pieces. */
function completionOf(request: UpstreamRequest, plan: EchoPlan, pieces: string[]) {
  const content = pieces.join("");
  const choices = range(request.n ?? 1).map((index) => ({
    index,
    message: { role: "assistant" as const, content, refusal: null },
    finish_reason: plan.finishReason,
    logprobs: request.logprobs ? logprobsOf(pieces, request.top_logprobs ?? 0) : null,
  }));
  return { ...envelope(request, "chat.completion"), choices, usage: totalUsage(plan, request.n ?? 1) };
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
  const promptTokens = request.messages.reduce((sum, m) => sum + words_(textOf(m)).length, 0);
  return { pieces, finishReason, usage: { prompt_tokens: promptTokens, completion_tokens: words.length, total_tokens: promptTokens + words.length } };
}

// Checked before any chunk is sent, so the refusal costs no more than reading the prompt did.
function assertBoundedOutput(request: UpstreamRequest, plan: EchoPlan, bytes: number): void {
  if (bytes <= ECHO_MAX_OUTPUT_BYTES) return;
  const n = request.n ?? 1;
  throw new InvalidRequestError(
    `The echo reply would be about ${bytes} bytes on the wire (${n} choice(s) of ${plan.pieces.length} word(s)${request.logprobs ? " with logprobs" : ""}), over the limit of ${ECHO_MAX_OUTPUT_BYTES}: lower 'n', 'max_tokens' or the prompt.`,
    { param: "n", code: "echo_output_too_large" },
  );
}

/**
 * What the pieces add to a reply's JSON beyond empty ones: each piece's text, escaped, appears
 * once as content and once more per logprobs entry that names it (the token, and its top
 * alternative), and each logprobs entry lists the piece's UTF-8 bytes as numbers (at most 3
 * digits and a comma each). Linear in the text, computed on the joined text in native code.
 */
function piecesGrowth(request: UpstreamRequest, pieces: string[]): number {
  const text = pieces.join("");
  const escaped = Buffer.byteLength(JSON.stringify(text)) - 2;
  const logprobEntries = request.logprobs ? 1 + ((request.top_logprobs ?? 0) > 0 ? 1 : 0) : 0;
  return (1 + logprobEntries) * escaped + logprobEntries * 4 * Buffer.byteLength(text);
}

/** An upper bound on the stream's bytes: each word's chunk is the empty word's chunk plus the word's growth, in every choice. */
function streamBytes(request: UpstreamRequest, chunks: ReturnType<typeof chunkMaker>, plan: EchoPlan): number {
  const n = request.n ?? 1;
  const framed = (chunk: ChatCompletionChunk) => jsonBytes(chunk) + FRAME_BYTES;
  const ends = framed(chunks.role()) + framed(chunks.finish(plan.finishReason)) + (chunks.includeUsage ? framed(chunks.usage(totalUsage(plan, n))) : 0);
  return REPLY_SLACK_BYTES + ends + plan.pieces.length * framed(chunks.word("")) + n * piecesGrowth(request, plan.pieces);
}

/** An upper bound on the whole completion's bytes: the reply with no pieces, plus each piece's logprobs entry and growth, in every choice. */
function wholeReplyBytes(request: UpstreamRequest, plan: EchoPlan): number {
  const n = request.n ?? 1;
  // An empty piece's entry, and the comma before it.
  const entry = request.logprobs ? jsonBytes(logprobsOf([""], request.top_logprobs ?? 0).content?.[0]) + 1 : 0;
  return REPLY_SLACK_BYTES + jsonBytes(completionOf(request, plan, [])) + n * (plan.pieces.length * entry + piecesGrowth(request, plan.pieces));
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
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
