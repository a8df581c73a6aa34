/**
 * An Anthropic Messages request as the chat service's `ChatCompletionRequest`, so that every door
 * shares one service (routing, limits, budgets, metering). The mapping:
 *
 *   system (string or text blocks)    one system message (blocks joined by a blank line)
 *   text / image / document blocks    text, `image_url` (a data URL or the URL) and `file` (PDF) parts
 *   tool_use (assistant)              `tool_calls` with the same ids, the input as JSON text
 *   tool_result (user)                `role: "tool"` messages right after the assistant turn; images
 *                                     a tool returned follow in a user message (tool messages are text)
 *   thinking with a signature         `thinking_blocks` of the assistant message (what the Anthropic
 *                                     provider sends back); thinking without one (another model's
 *                                     reasoning, as this door returned it) is not sent back
 *   stop_sequences, metadata.user_id  `stop`, `user`
 *   tools, tool_choice                function tools; `any` is `required`, a named tool a function
 *                                     choice, `disable_parallel_tool_use` is `parallel_tool_calls: false`
 *   thinking.budget_tokens            `reasoning_effort`: under 8,192 `low`, under 24,576 `medium`,
 *                                     else `high`; `disabled` and `adaptive` leave the upstream's default
 *   top_k                             passed as `top_k` (vLLM, Ollama and Anthropic take it)
 *
 * `cache_control` marks have no Chat Completions form and are not translated; an Anthropic
 * deployment gets them with the client's own body (`original-body.ts`). Blocks and tools of kinds
 * the door does not read pass as they are, for the upstream to take or refuse.
 */
import type { ChatCompletionRequest, ChatMessage } from "../../../shared/index.js";
import type { ContentBlock, CountTokensRequest, MessagesRequest } from "./schema.js";

type Part = Record<string, unknown> & { type: string };
type ToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };

/** The chat request of a Messages request; `stream` asks for usage too, which `message_delta` reports. */
export function chatRequestOf(request: MessagesRequest | CountTokensRequest, stream: boolean): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  const system = systemOf(request.system);
  if (system !== null) messages.push({ role: "system", content: system });
  for (const message of request.messages) {
    if (message.role === "user") messages.push(...userMessagesOf(message.content));
    else messages.push(assistantMessageOf(message.content));
  }
  const chat: ChatCompletionRequest = { model: request.model, messages };
  if ("max_tokens" in request && typeof request.max_tokens === "number") chat.max_tokens = request.max_tokens;
  if (request.stop_sequences && request.stop_sequences.length > 0) chat.stop = request.stop_sequences;
  if (request.temperature != null) chat.temperature = request.temperature;
  if (request.top_p != null) chat.top_p = request.top_p;
  if (request.top_k != null) chat.top_k = request.top_k;
  if (typeof request.metadata?.user_id === "string") chat.user = request.metadata.user_id;
  if (request.tools && request.tools.length > 0) chat.tools = request.tools.map(toolOf);
  Object.assign(chat, toolChoiceOf(request.tool_choice));
  const effort = effortOf(request.thinking);
  if (effort) chat.reasoning_effort = effort;
  if (stream) Object.assign(chat, { stream: true, stream_options: { include_usage: true } });
  return chat;
}

function systemOf(system: MessagesRequest["system"]): string | null {
  if (system == null) return null;
  if (typeof system === "string") return system === "" ? null : system;
  return system.length === 0 ? null : system.map((block) => block.text).join("\n\n");
}

// Tool results answer the assistant's calls, so they come first (Anthropic wants them first too); the rest is one user message.
function userMessagesOf(content: string | ContentBlock[]): ChatMessage[] {
  if (typeof content === "string") return [{ role: "user", content }];
  const tools: ChatMessage[] = [];
  const parts: Part[] = [];
  const toolImages: Part[] = [];
  for (const block of content) {
    if (block.type === "tool_result") {
      const result = block as Extract<ContentBlock, { type: "tool_result" }>;
      tools.push({ role: "tool", tool_call_id: result.tool_use_id, content: toolResultText(result.content, toolImages) });
    } else parts.push(partOf(block));
  }
  const user = [...toolImages, ...parts];
  if (user.length > 0) tools.push({ role: "user", content: user as Extract<ChatMessage, { role: "user" }>["content"] });
  return tools;
}

function toolResultText(content: Extract<ContentBlock, { type: "tool_result" }>["content"], images: Part[]): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  const texts: string[] = [];
  for (const block of content) {
    if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
    else images.push(partOf(block as ContentBlock));
  }
  return texts.join("\n\n");
}

/** One block of a user turn as a content part. */
function partOf(block: ContentBlock): Part {
  switch (block.type) {
    case "text":
      return { type: "text", text: (block as { text: string }).text };
    case "image":
      return imagePartOf(block as Extract<ContentBlock, { type: "image" }>);
    case "document":
      return documentPartOf(block as Extract<ContentBlock, { type: "document" }>);
    default:
      return block as Part;
  }
}

function imagePartOf(block: Extract<ContentBlock, { type: "image" }>): Part {
  const source = block.source as Record<string, unknown>;
  if (source.type === "base64") return { type: "image_url", image_url: { url: `data:${String(source.media_type)};base64,${String(source.data)}` } };
  if (source.type === "url") return { type: "image_url", image_url: { url: String(source.url) } };
  return block as Part;
}

// A PDF as a file part's data URL, a plain-text document as its text; other sources pass as they are.
function documentPartOf(block: Extract<ContentBlock, { type: "document" }>): Part {
  const source = block.source as Record<string, unknown>;
  const title = typeof block.title === "string" ? { filename: block.title } : {};
  if (source.type === "base64" && typeof source.data === "string")
    return { type: "file", file: { ...title, file_data: `data:${String(source.media_type ?? "application/pdf")};base64,${source.data}` } };
  if (source.type === "text" && typeof source.data === "string") return { type: "text", text: source.data };
  return block as Part;
}

function assistantMessageOf(content: string | ContentBlock[]): ChatMessage {
  if (typeof content === "string") return { role: "assistant", content };
  let text = "";
  const others: Part[] = [];
  const toolCalls: ToolCall[] = [];
  const thinking: Part[] = [];
  for (const block of content) {
    if (block.type === "text") text += (block as { text: string }).text;
    else if (block.type === "tool_use") {
      const use = block as Extract<ContentBlock, { type: "tool_use" }>;
      toolCalls.push({ id: use.id, type: "function", function: { name: use.name, arguments: JSON.stringify(use.input ?? {}) } });
    } else if (block.type === "thinking") {
      const { thinking: said, signature } = block as Extract<ContentBlock, { type: "thinking" }>;
      // An empty signature marks reasoning this door relayed from a model that signs nothing.
      if (signature !== "") thinking.push({ type: "thinking", thinking: said, signature });
    } else if (block.type === "redacted_thinking") thinking.push({ type: "redacted_thinking", data: (block as { data: string }).data });
    else others.push(block as Part);
  }
  const message: Record<string, unknown> = { role: "assistant" };
  if (others.length > 0) message.content = [...(text === "" ? [] : [{ type: "text", text }]), ...others];
  else message.content = text === "" && toolCalls.length > 0 ? null : text;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (thinking.length > 0) message.thinking_blocks = thinking;
  return message as ChatMessage;
}

function toolOf(tool: NonNullable<MessagesRequest["tools"]>[number]): NonNullable<ChatCompletionRequest["tools"]>[number] {
  if (tool.type != null && tool.type !== "custom") return tool as { type: string };
  const custom = tool as { name: string; description?: string | null; input_schema: Record<string, unknown> };
  const fn: { name: string; parameters: Record<string, unknown>; description?: string } = { name: custom.name, parameters: custom.input_schema };
  if (typeof custom.description === "string") fn.description = custom.description;
  return { type: "function", function: fn };
}

function toolChoiceOf(choice: MessagesRequest["tool_choice"]): Pick<ChatCompletionRequest, "tool_choice" | "parallel_tool_calls"> {
  if (choice == null) return {};
  const out: Pick<ChatCompletionRequest, "tool_choice" | "parallel_tool_calls"> = {};
  if (choice.type === "auto") out.tool_choice = "auto";
  else if (choice.type === "any") out.tool_choice = "required";
  else if (choice.type === "tool") out.tool_choice = { type: "function", function: { name: choice.name } };
  else out.tool_choice = "none";
  if ("disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  return out;
}

/** Thinking budgets as effort levels: Claude Code's "think" (4,000) is low, "think hard" (10,000) medium, "ultrathink" (31,999) high. */
export function effortOf(thinking: MessagesRequest["thinking"]): "low" | "medium" | "high" | null {
  if (thinking?.type !== "enabled") return null;
  const budget = (thinking as { budget_tokens: number }).budget_tokens;
  if (budget < 8_192) return "low";
  if (budget < 24_576) return "medium";
  return "high";
}
