/**
 * An OpenAI conversation as Anthropic's: system and developer messages become the top-level
 * `system`; tool results (`role: "tool"`) become `tool_result` blocks of a user turn; assistant
 * `tool_calls` become `tool_use` blocks with the same ids; image parts become image blocks (a data
 * URL as a base64 source, an http(s) URL as a url source); an assistant's `thinking_blocks` (as this
 * provider returned them) go back first in its turn, signatures intact; consecutive turns of one
 * role are merged, as the Messages API wants them alternating. `cache_control` set on a content
 * part, or on a message (meaning its last block), is passed through.
 */
import { InvalidRequestError, isRecord, type ChatMessage } from "../../../shared/index.js";

type Block = Record<string, unknown>;
type Turn = { role: "user" | "assistant"; content: Block[] };

/** The conversation's `system` (absent when it has none) and its alternating turns. */
export function messagesOf(messages: ChatMessage[]): { system?: string | Block[]; messages: Turn[] } {
  const system: Block[] = [];
  const turns: Turn[] = [];
  for (const [i, message] of messages.entries()) {
    const where = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        system.push(...withCacheControl(textBlocks(message.content, where), message));
        break;
      case "user":
        push(turns, "user", withCacheControl(userBlocks(message.content, where), message));
        break;
      case "assistant":
        push(turns, "assistant", withCacheControl(assistantBlocks(message, where), message));
        break;
      case "tool":
        push(turns, "user", withCacheControl([toolResultOf(message, where)], message));
        break;
      case "function":
        unsupported(where, "tool results are 'role: \"tool\"' messages, not the deprecated 'function' role");
    }
  }
  return { system: systemOf(system), messages: turns };
}

// One plain string when the system prompt is plain text; blocks when a part carries cache_control.
function systemOf(blocks: Block[]): string | Block[] | undefined {
  if (blocks.length === 0) return undefined;
  if (blocks.some((b) => b.cache_control !== undefined)) return blocks;
  return blocks.map((b) => b.text as string).join("\n\n");
}

// Consecutive turns of one role become one: tool results then the user's next words, say.
function push(turns: Turn[], role: Turn["role"], content: Block[]): void {
  if (content.length === 0) return;
  const last = turns[turns.length - 1];
  if (last?.role === role) last.content.push(...content);
  else turns.push({ role, content });
}

function textBlocks(content: unknown, where: string): Block[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) return [];
  return content.map((part: unknown, j) => {
    if (isRecord(part) && part.type === "text" && typeof part.text === "string") return textBlockOf(part);
    return unsupported(`${where}.content[${j}]`, "only text parts are taken here");
  });
}

function userBlocks(content: unknown, where: string): Block[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) return [];
  return content.map((part: unknown, j) => partOf(part, `${where}.content[${j}]`));
}

function partOf(part: unknown, where: string): Block {
  if (!isRecord(part)) return unsupported(where, "a content part is an object");
  switch (part.type) {
    case "text":
      return textBlockOf(part);
    case "image_url":
      return withPartCache({ type: "image", source: imageSourceOf(isRecord(part.image_url) ? part.image_url.url : undefined, where) }, part);
    case "file":
      return withPartCache(documentOf(part.file, where), part);
    case "input_audio":
      return unsupported(where, "Anthropic models take no audio");
    default:
      return unsupported(where, `a '${String(part.type).slice(0, 64)}' part has no Anthropic equivalent`);
  }
}

function textBlockOf(part: Record<string, unknown>): Block {
  return withPartCache({ type: "text", text: part.text }, part);
}

function withPartCache(block: Block, part: Record<string, unknown>): Block {
  if (part.cache_control != null) block.cache_control = part.cache_control;
  return block;
}

// A message-level cache_control marks the end of that message: its last block.
function withCacheControl(blocks: Block[], message: ChatMessage): Block[] {
  const cacheControl = (message as Record<string, unknown>).cache_control;
  const last = blocks[blocks.length - 1];
  if (cacheControl != null && last) last.cache_control = cacheControl;
  return blocks;
}

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
// `data:<media type>;base64,<data>`; the media type is short, so this match is bounded.
const DATA_URL = /^data:([a-z0-9.+/-]{1,100});base64,/i;

function imageSourceOf(url: unknown, where: string): Block {
  if (typeof url !== "string") return unsupported(where, "an image part needs 'image_url.url'");
  const data = DATA_URL.exec(url.slice(0, 128));
  if (data) {
    const mediaType = (data[1] as string).toLowerCase();
    if (!IMAGE_TYPES.has(mediaType)) return unsupported(where, `Anthropic takes JPEG, PNG, GIF and WebP images, not '${mediaType}'`);
    return { type: "base64", media_type: mediaType, data: url.slice(data[0].length) };
  }
  if (/^https?:\/\//i.test(url)) return { type: "url", url };
  return unsupported(where, "an image is a base64 data URL or an http(s) URL");
}

// A PDF as a file part's inline data (a data URL); file ids are OpenAI's own.
function documentOf(file: unknown, where: string): Block {
  const data = isRecord(file) && typeof file.file_data === "string" ? file.file_data : undefined;
  const match = data ? DATA_URL.exec(data.slice(0, 128)) : null;
  if (!data || !match || (match[1] as string).toLowerCase() !== "application/pdf")
    return unsupported(where, "Anthropic takes a file part as a PDF in 'file.file_data' (a base64 data URL)");
  return { type: "document", source: { type: "base64", media_type: "application/pdf", data: data.slice(match[0].length) } };
}

function assistantBlocks(message: Extract<ChatMessage, { role: "assistant" }>, where: string): Block[] {
  const blocks: Block[] = thinkingBlocksOf((message as Record<string, unknown>).thinking_blocks, where);
  const content: unknown = message.content;
  if (typeof content === "string") {
    if (content !== "") blocks.push({ type: "text", text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part: unknown, j) => {
      if (isRecord(part) && part.type === "text" && typeof part.text === "string") blocks.push(textBlockOf(part));
      else if (isRecord(part) && part.type === "refusal" && typeof part.refusal === "string") blocks.push({ type: "text", text: part.refusal });
      else unsupported(`${where}.content[${j}]`, "an assistant turn takes text parts");
    });
  }
  if (message.function_call) unsupported(`${where}.function_call`, "use 'tool_calls'");
  message.tool_calls?.forEach((call, j) => {
    if (call.type !== "function") unsupported(`${where}.tool_calls[${j}]`, "Anthropic has no custom (free-form) tools");
    const fn = (call as { function: { name: string; arguments: string } }).function;
    blocks.push({ type: "tool_use", id: call.id, name: fn.name, input: toolInputOf(fn.arguments, `${where}.tool_calls[${j}].function.arguments`) });
  });
  return blocks;
}

/** The thinking blocks a reply carried (`thinking_blocks`), sent back as they were: Anthropic checks their signatures. */
function thinkingBlocksOf(value: unknown, where: string): Block[] {
  if (value == null) return [];
  if (!Array.isArray(value)) return unsupported(`${where}.thinking_blocks`, "it is the array a Claude reply returned");
  return value.map((block: unknown, k) => {
    if (isRecord(block) && block.type === "thinking" && typeof block.thinking === "string" && typeof block.signature === "string")
      return { type: "thinking", thinking: block.thinking, signature: block.signature };
    if (isRecord(block) && block.type === "redacted_thinking" && typeof block.data === "string") return { type: "redacted_thinking", data: block.data };
    return unsupported(`${where}.thinking_blocks[${k}]`, "a thinking block has 'thinking' and 'signature', a redacted one 'data'");
  });
}

// Anthropic wants the call's input as an object; OpenAI carries it as JSON text.
function toolInputOf(args: string, where: string): unknown {
  if (args.trim() === "") return {};
  let input: unknown;
  try {
    input = JSON.parse(args);
  } catch {
    return unsupported(where, "it is not JSON");
  }
  return isRecord(input) ? input : unsupported(where, "Anthropic takes a tool call's input as a JSON object");
}

function toolResultOf(message: Extract<ChatMessage, { role: "tool" }>, where: string): Block {
  const content = typeof message.content === "string" ? message.content : textBlocks(message.content, where);
  const block: Block = { type: "tool_result", tool_use_id: message.tool_call_id, content };
  return block;
}

function unsupported(where: string, why: string): never {
  throw new InvalidRequestError(`'${where}' cannot be sent to an Anthropic model: ${why}.`, { param: where, code: "unsupported_parameter" });
}
