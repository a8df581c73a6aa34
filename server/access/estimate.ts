/**
 * Prompt-token estimates for tokens-per-minute limits and budget reservations, with a real
 * tokenizer (gpt-tokenizer's o200k_base, shipped inside the npm package). The estimate is reserved
 * before the call and settled with the upstream's reported usage after it, so it only has to be
 * close, not exact. The encoding takes ~0.5 s to load, so it loads once at startup, and only when
 * keys are on.
 *
 * Cost is linear and bounded on any input: BPE is quadratic in the length of one pre-token (a run
 * of one character is one pre-token), so text is tokenized in short slices, and only the first
 * `SAMPLE_CHARS` of a request exactly. A 4 MiB prompt costs milliseconds, not minutes.
 *
 * The rest is counted as one token per UTF-8 byte: an upper bound for any text in any script and
 * for any tokenizer an upstream may use, since every token of a byte-level BPE (OpenAI's, Llama 3's,
 * Qwen's, Mistral's Tekken) and every piece of a SentencePiece model with byte fallback (Llama 2,
 * Gemma) stands for at least one byte of the text. A ratio taken from the sample is not a bound: a
 * prompt of 64 KiB of English then CJK or punctuation (1-3 tokens per character) was admitted at a
 * quarter of its real size. The bound over-reserves ordinary text past the sample (about 4x for
 * English), which only holds budget and TPM headroom while the call runs: settling swaps it for the
 * upstream's count.
 */
import type { ChatCompletionRequest, ChatMessage } from "../../shared/index.js";
import { sha256 } from "../lib/sha256.js";
import { nonTextPartTokens } from "./part-tokens.js";

type CountTokens = (text: string) => number;
let countTokens: CountTokens | null = null;

// OpenAI's accounting: every message costs a few tokens of framing, and the reply is primed with 3.
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;
// BPE cost grows with the square of a slice; 512 characters cost well under a millisecond.
const SLICE_CHARS = 512;
// Characters of one request tokenized exactly; the rest counts one token per UTF-8 byte.
const SAMPLE_CHARS = 64 * 1024;

/** Loads the tokenizer's encoding; call once before `estimatePromptTokens`. */
export async function loadTokenizer(): Promise<void> {
  if (countTokens) return;
  const mod = await import("gpt-tokenizer/encoding/o200k_base");
  countTokens = mod.countTokens;
}

/** Tokens of a piece of text (the tokenizer must be loaded); linear and bounded on any input. */
export function tokensOf(text: string): number {
  return new TokenCounter().count(text);
}

/** Counts tokens of several texts with one shared budget of exact tokenization. */
class TokenCounter {
  private sampledChars = 0;

  count(text: string): number {
    if (!countTokens) throw new Error("tokenizer not loaded: await loadTokenizer() first");
    if (text === "") return 0;
    const exact = Math.max(0, Math.min(text.length, SAMPLE_CHARS - this.sampledChars));
    this.sampledChars += exact;
    if (exact === text.length) return countedExactly(text, countTokens);
    // A surrogate pair cut at `exact` counts 3 + 3 bytes instead of 4: still a bound.
    return slicedTokens(text, exact, countTokens) + Buffer.byteLength(exact === 0 ? text : text.slice(exact));
  }
}

// Counts of texts tokenized whole, by the text's SHA-256: a conversation sends its earlier
// messages again on every turn and a system prompt on every call, and BPE costs ~17 µs per 1,000
// characters (a 4 KB system prompt: ~70 µs of the event loop per call) where the digest costs a
// few. Keyed by a digest, not the text, so that no prompt is held past its call and what the cache
// holds does not depend on how long the texts are. Oldest out first; short texts are not worth it.
const counted = new Map<string, number>();
const MIN_COUNTED_CHARS = 128;
const MAX_COUNTED = 16_384;

/** Tokens of `text` (at most `SAMPLE_CHARS` long), from the cache when it was counted before. */
function countedExactly(text: string, count: CountTokens): number {
  const key = text.length >= MIN_COUNTED_CHARS ? sha256(text, "base64") : null;
  const known = key === null ? undefined : counted.get(key);
  if (key !== null && known !== undefined) {
    // Seen again: it moves to the young end.
    counted.delete(key);
    counted.set(key, known);
    return known;
  }
  const tokens = slicedTokens(text, text.length, count);
  if (key !== null) {
    if (counted.size >= MAX_COUNTED) counted.delete(counted.keys().next().value as string);
    counted.set(key, tokens);
  }
  return tokens;
}

/** Tokens of `text` up to `end`, tokenized in `SLICE_CHARS` slices (BPE is quadratic in a slice). */
function slicedTokens(text: string, end: number, count: CountTokens): number {
  let tokens = 0;
  for (let at = 0; at < end; at += SLICE_CHARS) tokens += count(text.slice(at, Math.min(at + SLICE_CHARS, end)));
  return tokens;
}

/**
 * Tokens of a text that arrives in pieces (a stream's output), holding only what is tokenized
 * exactly (the first `SAMPLE_CHARS`) and a byte count of the rest: the same count as `tokensOf`
 * of the whole text, in bounded memory however long the stream runs.
 */
export class TokenTally {
  private head = "";
  private restBytes = 0;

  add(piece: string): void {
    if (piece === "") return;
    const room = SAMPLE_CHARS - this.head.length;
    if (room >= piece.length) {
      this.head += piece;
      return;
    }
    if (room > 0) this.head += piece.slice(0, room);
    this.restBytes += Buffer.byteLength(room > 0 ? piece.slice(room) : piece);
  }

  tokens(): number {
    return tokensOf(this.head) + this.restBytes;
  }
}

/** Estimated prompt tokens of a request: messages (or the `prompt` shorthand) and tools. */
export function estimatePromptTokens(request: ChatCompletionRequest): number {
  const counter = new TokenCounter();
  const messages: ChatMessage[] = request.messages ?? [{ role: "user", content: request.prompt ?? "" }];
  let total = REPLY_PRIMING;
  for (const message of messages) total += PER_MESSAGE + messageTokens(message, counter);
  // Upstreams count these as prompt tokens too (a 4 MiB schema is no free ride).
  if (request.tools) total += counter.count(safeJson(request.tools));
  if (request.functions) total += counter.count(safeJson(request.functions));
  if (request.response_format?.type === "json_schema") total += counter.count(safeJson(request.response_format));
  return total;
}

// Roles are a closed set (the schema's enum), so each is tokenized once.
const roleTokens = new Map<string, number>();

function messageTokens(message: ChatMessage, counter: TokenCounter): number {
  let role = roleTokens.get(message.role);
  if (role === undefined) {
    role = tokensOf(message.role);
    if (roleTokens.size < 16) roleTokens.set(message.role, role);
  }
  let total = role;
  const content: unknown = message.content;
  if (typeof content === "string") total += counter.count(content);
  else if (Array.isArray(content)) {
    for (const part of content as unknown[]) {
      if (typeof part !== "object" || part === null) continue;
      const { text, refusal } = part as { text?: unknown; refusal?: unknown };
      if (typeof text === "string") total += counter.count(text);
      else if (typeof refusal === "string") total += counter.count(refusal);
      // Images, audio and files: bounds by kind (part-tokens.ts).
      else total += nonTextPartTokens(part as Record<string, unknown>);
    }
  }
  if ("tool_calls" in message && message.tool_calls) total += counter.count(safeJson(message.tool_calls));
  return total;
}

// Inputs are depth-bounded at the doors; this only keeps an estimate from ever throwing.
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}
