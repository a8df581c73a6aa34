/**
 * Tool-call ids across the translation. Gemini names a function call by its name (an `id` only
 * sometimes), OpenAI by an id the client sends back with the result. So every call gets an id
 * unique for the conversation (a model calling `get_weather` in two turns gets two ids, so each
 * result finds its call): Gemini's own id when it gave one, marked so that it alone goes back to
 * Gemini; otherwise a fresh random one, which Gemini never sees. A tool result's function name is
 * read from the assistant message that made the call (`toolNames`).
 */
import { randomBytes } from "node:crypto";
import type { ChatMessage } from "../../../shared/index.js";

// Gemini's id, kept: `call_g_<id>`. Ours are `call_` and 24 letters or digits, never with `_`, as OpenAI's.
const GEMINI_ID_PREFIX = "call_g_";
const GEMINI_ID = /^[A-Za-z0-9-]{1,64}$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** The OpenAI id of a function call Gemini made, with the id Gemini gave it (if any). */
export function toolCallIdOf(geminiId: unknown): string {
  if (typeof geminiId === "string" && GEMINI_ID.test(geminiId)) return `${GEMINI_ID_PREFIX}${geminiId}`;
  const bytes = randomBytes(24);
  let id = "call_";
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

/** The id to give Gemini back for an OpenAI tool-call id: only one Gemini made. */
export function geminiIdOf(toolCallId: string): string | undefined {
  return toolCallId.startsWith(GEMINI_ID_PREFIX) ? toolCallId.slice(GEMINI_ID_PREFIX.length) : undefined;
}

/** Function names by tool-call id, from the assistant messages of a conversation. */
export function toolNames(messages: readonly ChatMessage[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== "assistant" || !message.tool_calls) continue;
    for (const call of message.tool_calls) if (call.type === "function") names.set(call.id, call.function.name);
  }
  return names;
}
