/**
 * A chat completion as an Anthropic `Message`: the first choice's reasoning becomes thinking blocks
 * (with their signatures when the Anthropic provider kept them in `thinking_blocks`, else one block
 * with an empty signature), its text (or refusal) one text block, its tool calls `tool_use` blocks
 * with the same ids; the finish reason is the stop reason and the usage Anthropic's counts (input
 * without the cached tokens, which are `cache_read_input_tokens`). Read defensively: an upstream's
 * completion is passed through the service as it came.
 */
import { randomBytes } from "node:crypto";
import { isRecord, type ChatCompletion } from "../../../shared/index.js";

type Block = Record<string, unknown> & { type: string };

/** Anthropic's usage object. */
export interface MessageUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
}

/** The Message of a completion; `requested` is the model the client named (used when the upstream names none). */
export function messageOf(completion: ChatCompletion, requested: string, stops: readonly string[]): Record<string, unknown> {
  const choice = isRecord(completion) && Array.isArray(completion.choices) ? (completion.choices[0] as unknown) : undefined;
  const message = isRecord(choice) && isRecord(choice.message) ? choice.message : {};
  const content: Block[] = [...thinkingBlocksOf(message)];
  const text = stringOr(message.content) || stringOr(message.refusal);
  if (text !== "") content.push({ type: "text", text });
  const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  for (const call of toolCalls as unknown[]) {
    const block = toolUseOf(call);
    if (block) content.push(block);
  }
  const stop = stopOf(isRecord(choice) ? choice : {}, stops);
  return {
    id: messageIdOf(completion.id),
    type: "message",
    role: "assistant",
    model: modelOf(completion.model, requested),
    content,
    stop_reason: stop.reason,
    stop_sequence: stop.sequence,
    usage: usageOf(completion.usage),
  };
}

/** A message id as Anthropic writes them (`msg_...`), from the upstream's id. */
export function messageIdOf(id: unknown): string {
  const given = typeof id === "string" && id !== "" ? id.slice(0, 256) : randomBytes(12).toString("hex");
  return given.startsWith("msg_") ? given : `msg_${given}`;
}

/** The model the upstream named, else the client's. */
export function modelOf(model: unknown, requested: string): string {
  return typeof model === "string" && model !== "" ? model.slice(0, 256) : requested;
}

function thinkingBlocksOf(message: Record<string, unknown>): Block[] {
  if (Array.isArray(message.thinking_blocks)) {
    const blocks: Block[] = [];
    for (const block of message.thinking_blocks as unknown[]) {
      if (isRecord(block) && block.type === "thinking" && typeof block.thinking === "string")
        blocks.push({ type: "thinking", thinking: block.thinking, signature: stringOr(block.signature) });
      else if (isRecord(block) && block.type === "redacted_thinking" && typeof block.data === "string")
        blocks.push({ type: "redacted_thinking", data: block.data });
    }
    if (blocks.length > 0) return blocks;
  }
  const reasoning = stringOr(message.reasoning_content) || stringOr(message.reasoning);
  return reasoning === "" ? [] : [{ type: "thinking", thinking: reasoning, signature: "" }];
}

function toolUseOf(call: unknown): Block | null {
  if (!isRecord(call) || !isRecord(call.function) || typeof call.function.name !== "string") return null;
  return { type: "tool_use", id: toolUseIdOf(call.id), name: call.function.name, input: toolInputOf(call.function.arguments) };
}

/**
 * The upstream's call id, which the client sends back with the tool's result (so it must reach the
 * upstream unchanged), or a fresh unique one when the upstream gave none: an empty id, or one
 * reused turn after turn, would tie results to the wrong call.
 */
export function toolUseIdOf(id: unknown): string {
  return typeof id === "string" && id !== "" ? id : `toolu_${randomBytes(12).toString("hex")}`;
}

/** A tool call's JSON arguments as the object Anthropic's `input` is; anything else is kept under `arguments`. */
export function toolInputOf(args: unknown): Record<string, unknown> {
  if (typeof args !== "string" || args.trim() === "") return {};
  try {
    const input: unknown = JSON.parse(args);
    return isRecord(input) ? input : { arguments: input };
  } catch {
    return { arguments: args };
  }
}

const STOP_REASONS: Record<string, string> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  function_call: "tool_use",
  content_filter: "refusal",
};

/**
 * Anthropic's stop reason for a choice. Chat Completions says `stop` for a stop sequence too; vLLM
 * and SGLang name the one that matched (`stop_reason`, `matched_stop`), which makes `stop_sequence`.
 */
export function stopOf(choice: Record<string, unknown>, stops: readonly string[]): { reason: string; sequence: string | null } {
  const finish = typeof choice.finish_reason === "string" ? choice.finish_reason : "stop";
  const matched = [choice.stop_reason, choice.matched_stop].find((s): s is string => typeof s === "string" && stops.includes(s));
  if (finish === "stop" && matched !== undefined) return { reason: "stop_sequence", sequence: matched };
  return { reason: STOP_REASONS[finish] ?? "end_turn", sequence: null };
}

/** Anthropic's counts of an OpenAI usage; zeros when the upstream reported none. */
export function usageOf(usage: unknown): MessageUsage {
  const count = (value: unknown) => (typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0);
  if (!isRecord(usage)) return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null };
  const details = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const cacheRead = count(details.cached_tokens);
  const cacheCreation = count(details.cache_creation_tokens);
  return {
    input_tokens: Math.max(0, count(usage.prompt_tokens) - cacheRead - cacheCreation),
    output_tokens: count(usage.completion_tokens),
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
  };
}

function stringOr(value: unknown): string {
  return typeof value === "string" ? value : "";
}
