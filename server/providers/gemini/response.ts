/**
 * Gemini's answer (`GenerateContentResponse`) in OpenAI terms, for a whole completion and for each
 * streamed event alike. Read defensively: an upstream is not trusted to send the documented shape,
 * so whatever is not the documented type is skipped. Text parts are the content; thought parts
 * (`thought: true`) the `reasoning_content`, never mixed into the content; function calls the
 * tool calls, each with its signature where Google's OpenAI-compatible endpoint puts it
 * (`extra_content.google.thought_signature`), so a client that sends the message back sends it too.
 */
import { isRecord, type ChatCompletion } from "../../../shared/index.js";
import { tokenCount } from "../upstream-usage.js";
import { toolCallIdOf } from "./ids.js";

/** A tool call as the gateway sends it (a type, not an interface: it must fit the open response schema). */
export type ToolCallOut = {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  extra_content?: { google: { thought_signature: string } };
};

/** What one candidate's parts say. */
export interface CandidateText {
  content: string;
  reasoning: string;
  toolCalls: ToolCallOut[];
}

/** The parts of a candidate's content, read. */
export function readCandidate(candidate: Record<string, unknown>): CandidateText {
  const out: CandidateText = { content: "", reasoning: "", toolCalls: [] };
  const parts = isRecord(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
  for (const part of parts) {
    if (!isRecord(part)) continue;
    if (typeof part.text === "string") {
      if (part.thought === true) out.reasoning += part.text;
      else out.content += part.text;
    } else if (isRecord(part.functionCall) && typeof part.functionCall.name === "string") {
      const call: ToolCallOut = {
        id: toolCallIdOf(part.functionCall.id),
        type: "function",
        function: { name: part.functionCall.name, arguments: JSON.stringify(isRecord(part.functionCall.args) ? part.functionCall.args : {}) },
      };
      if (typeof part.thoughtSignature === "string" && part.thoughtSignature !== "")
        call.extra_content = { google: { thought_signature: part.thoughtSignature } };
      out.toolCalls.push(call);
    }
  }
  return out;
}

/** The candidates of an answer (records only), and the index each one answers. */
export function candidatesOf(response: Record<string, unknown>): { index: number; candidate: Record<string, unknown> }[] {
  const candidates = Array.isArray(response.candidates) ? response.candidates : [];
  return candidates.flatMap((candidate, i) => {
    if (!isRecord(candidate)) return [];
    const index = typeof candidate.index === "number" && Number.isInteger(candidate.index) && candidate.index >= 0 ? candidate.index : i;
    return [{ index, candidate }];
  });
}

const FILTERED = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"]);

/** A candidate's finish reason in OpenAI's words, or null while it is still generating. */
export function finishReasonOf(reason: unknown, madeToolCalls: boolean): string | null {
  if (typeof reason !== "string" || reason === "") return null;
  if (reason === "MAX_TOKENS") return "length";
  if (FILTERED.has(reason)) return "content_filter";
  return madeToolCalls ? "tool_calls" : "stop";
}

/** The prompt was refused before any candidate (`promptFeedback.blockReason`). */
export function promptBlocked(response: Record<string, unknown>): boolean {
  return isRecord(response.promptFeedback) && typeof response.promptFeedback.blockReason === "string";
}

/** OpenAI usage from `usageMetadata`; undefined when there is none or its counts are not counts. */
export function usageOf(metadata: unknown): ChatCompletion["usage"] {
  if (!isRecord(metadata)) return undefined;
  const count = (value: unknown) => (value === undefined ? 0 : tokenCount(value));
  const prompt = count(metadata.promptTokenCount);
  const toolUse = count(metadata.toolUsePromptTokenCount);
  const candidates = count(metadata.candidatesTokenCount);
  const thoughts = count(metadata.thoughtsTokenCount);
  const cached = count(metadata.cachedContentTokenCount);
  if (prompt === null || toolUse === null || candidates === null || thoughts === null || cached === null) return undefined;
  // OpenAI's prompt counts what the model read (tool-use prompts too); its completion includes reasoning.
  const promptTokens = prompt + toolUse;
  const completionTokens = candidates + thoughts;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

/** A completion id from Gemini's response id when it is a short plain one, else a fresh one. */
export function completionIdOf(response: Record<string, unknown>): string {
  const id = response.responseId;
  return typeof id === "string" && /^[A-Za-z0-9_-]{1,128}$/.test(id) ? `chatcmpl-${id}` : `chatcmpl-${toolCallIdOf(undefined).slice("call_".length)}`;
}

/** The model the answer names (`modelVersion`), else the one asked for. */
export function modelOf(response: Record<string, unknown>, asked: string): string {
  const version = response.modelVersion;
  return typeof version === "string" && version !== "" && version.length <= 256 ? version : asked;
}

/** A whole answer as a chat completion. */
export function completionOf(response: Record<string, unknown>, model: string): ChatCompletion {
  const choices: ChatCompletion["choices"] = candidatesOf(response).map(({ index, candidate }) => {
    const read = readCandidate(candidate);
    const message: ChatCompletion["choices"][number]["message"] = {
      role: "assistant",
      content: read.content === "" && read.toolCalls.length > 0 ? null : read.content,
      refusal: null,
    };
    if (read.reasoning !== "") message.reasoning_content = read.reasoning;
    if (read.toolCalls.length > 0) message.tool_calls = read.toolCalls;
    return { index, message, finish_reason: finishReasonOf(candidate.finishReason, read.toolCalls.length > 0) ?? "stop", logprobs: null };
  });
  // A refused prompt has no candidate: one empty choice says why.
  if (choices.length === 0 && promptBlocked(response))
    choices.push({ index: 0, message: { role: "assistant", content: null, refusal: null }, finish_reason: "content_filter", logprobs: null });
  const completion: ChatCompletion = {
    id: completionIdOf(response),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: modelOf(response, model),
    choices,
  };
  const usage = usageOf(response.usageMetadata);
  if (usage) completion.usage = usage;
  return completion;
}
