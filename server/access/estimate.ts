/**
 * Prompt-token estimates for tokens-per-minute limits, with a real tokenizer (gpt-tokenizer's
 * o200k_base, shipped inside the npm package). The estimate is reserved before the call and
 * settled with the upstream's reported usage after it, so it only has to be close, not exact.
 * The encoding takes ~0.5 s to load, so it loads once at startup, and only when keys are on.
 */
import type { ChatCompletionRequest, ChatMessage } from "../../shared/index.js";

type CountTokens = (text: string) => number;
let countTokens: CountTokens | null = null;

// OpenAI's accounting: every message costs a few tokens of framing, and the reply is primed with 3.
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;
// Images, audio and files are priced by the upstream in ways text cannot predict; a low-detail image is 85.
const PER_NON_TEXT_PART = 85;

/** Loads the tokenizer's encoding; call once before `estimatePromptTokens`. */
export async function loadTokenizer(): Promise<void> {
  if (countTokens) return;
  const mod = await import("gpt-tokenizer/encoding/o200k_base");
  countTokens = mod.countTokens;
}

/** Tokens of a piece of text (the tokenizer must be loaded). */
export function tokensOf(text: string): number {
  if (!countTokens) throw new Error("tokenizer not loaded: await loadTokenizer() first");
  return text === "" ? 0 : countTokens(text);
}

/** Estimated prompt tokens of a request: messages (or the `prompt` shorthand) and tools. */
export function estimatePromptTokens(request: ChatCompletionRequest): number {
  const messages: ChatMessage[] = request.messages ?? [{ role: "user", content: request.prompt ?? "" }];
  let total = REPLY_PRIMING;
  for (const message of messages) total += PER_MESSAGE + messageTokens(message);
  if (request.tools) total += tokensOf(JSON.stringify(request.tools));
  return total;
}

function messageTokens(message: ChatMessage): number {
  let total = tokensOf(message.role);
  const content: unknown = message.content;
  if (typeof content === "string") total += tokensOf(content);
  else if (Array.isArray(content)) {
    for (const part of content as unknown[]) {
      const text = typeof part === "object" && part !== null && "text" in part ? (part as { text: unknown }).text : undefined;
      total += typeof text === "string" ? tokensOf(text) : PER_NON_TEXT_PART;
    }
  }
  if ("tool_calls" in message && message.tool_calls) total += tokensOf(JSON.stringify(message.tool_calls));
  return total;
}
