/**
 * A whole Anthropic `Message` as an OpenAI chat completion: text blocks become `content`, thinking
 * blocks `reasoning_content` (never mixed into `content`) plus `thinking_blocks` with their
 * signatures (what a next turn sends back), `tool_use` blocks `tool_calls` with the same ids and
 * their input as JSON text, `stop_reason` the finish reason. Blocks of server tools (web search,
 * code execution) have no OpenAI form and are left out; their findings come as text.
 */
import { UpstreamError, isRecord, type ChatCompletion } from "../../../shared/index.js";
import { addCounts, emptyCounts, finishReasonOf, usageOf } from "./usage.js";

/** The completion of an Anthropic message; throws UpstreamError when `value` is not one. */
export function completionOf(value: unknown, provider: string): ChatCompletion {
  if (!isRecord(value) || !Array.isArray(value.content))
    throw new UpstreamError(`upstream '${provider}' answered with something that is not an Anthropic message`);
  let text = "";
  let reasoning = "";
  const thinkingBlocks: Array<Record<string, string>> = [];
  const toolCalls: NonNullable<ChatCompletion["choices"][number]["message"]["tool_calls"]> = [];
  for (const block of value.content as unknown[]) {
    if (!isRecord(block)) continue;
    if (block.type === "text" && typeof block.text === "string") text += block.text;
    else if (block.type === "thinking" && typeof block.thinking === "string") {
      reasoning += block.thinking;
      thinkingBlocks.push({ type: "thinking", thinking: block.thinking, signature: typeof block.signature === "string" ? block.signature : "" });
    } else if (block.type === "redacted_thinking" && typeof block.data === "string") thinkingBlocks.push({ type: "redacted_thinking", data: block.data });
    else if (block.type === "tool_use" && typeof block.id === "string" && typeof block.name === "string")
      toolCalls.push({ id: block.id, type: "function", function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
  }
  const message: ChatCompletion["choices"][number]["message"] = {
    role: "assistant",
    content: text === "" && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (thinkingBlocks.length > 0) Object.assign(message, { reasoning_content: reasoning, thinking_blocks: thinkingBlocks });
  const completion: ChatCompletion = {
    id: typeof value.id === "string" ? value.id : "msg_unknown",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: typeof value.model === "string" ? value.model : "",
    choices: [{ index: 0, message, finish_reason: finishReasonOf(value.stop_reason), logprobs: null }],
  };
  const usage = usageOf(addCounts(emptyCounts(), value.usage));
  if (usage) completion.usage = usage;
  return completion;
}
