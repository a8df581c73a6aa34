/**
 * A Responses request as the chat service's `ChatCompletionRequest`: `instructions` become a system
 * message, the stored conversation (`previous_response_id`) comes next, then `input` as messages;
 * function tools and `tool_choice` move to the Chat Completions shape, `text.format` becomes
 * `response_format`. What has no Chat Completions equivalent (built-in tools, background mode,
 * conversations, prompt templates) is a 400 that says so, never silently dropped.
 */
import { ChatCompletionRequest, InvalidRequestError, fromZodError, isRecord, type ChatMessage } from "../../../shared/index.js";
import { FunctionCallItem, FunctionCallOutputItem, FunctionTool, MessageItem, type ResponsesRequest } from "./types.js";

/** The chat request, and this turn's input as messages (what a later `previous_response_id` continues from). */
export interface Translated {
  chat: ChatCompletionRequest;
  turn: ChatMessage[];
}

/** Translates a validated request; `history` is the stored conversation it continues, if any. */
export function chatRequestOf(request: ResponsesRequest, history: ChatMessage[]): Translated {
  assertSupported(request);
  const turn = inputMessages(request.input);
  const instructions: ChatMessage[] = request.instructions ? [{ role: "system", content: request.instructions }] : [];
  const body: Record<string, unknown> = {
    model: request.model,
    messages: [...instructions, ...history, ...turn],
    tools: request.tools?.map(chatTool),
    tool_choice: request.tool_choice == null ? undefined : chatToolChoice(request.tool_choice),
    parallel_tool_calls: request.parallel_tool_calls ?? undefined,
    response_format: request.text?.format ? chatFormat(request.text.format) : undefined,
    verbosity: request.text?.verbosity ?? undefined,
    max_completion_tokens: request.max_output_tokens ?? undefined,
    reasoning_effort: request.reasoning?.effort ?? undefined,
    temperature: request.temperature ?? undefined,
    top_p: request.top_p ?? undefined,
    user: request.user ?? undefined,
    safety_identifier: request.safety_identifier ?? undefined,
    prompt_cache_key: request.prompt_cache_key ?? undefined,
    service_tier: request.service_tier ?? undefined,
  };
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  const parsed = ChatCompletionRequest.safeParse(body);
  if (!parsed.success) throw fromZodError(parsed.error, responsesParamOf);
  return { chat: parsed.data, turn };
}

// Where a Chat Completions field came from in the client's request: `[chat path, Responses path]`.
const ORIGINS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^response_format\.json_schema(?=\.|$)/, "text.format"],
  [/^response_format(?=\.|$)/, "text.format"],
  [/^max_completion_tokens$/, "max_output_tokens"],
  [/^verbosity$/, "text.verbosity"],
  [/^reasoning_effort$/, "reasoning.effort"],
  [/^(tools\[\d+\])\.function(?=\.|$)/, "$1"],
  [/^tool_choice\.function(?=\.|$)/, "tool_choice"],
  [/^messages(?:\[\d+\].*)?$/, "input"],
];

/**
 * The field the client sent for a field of the translated request (`text.format.name` for
 * `response_format.json_schema.name`), so a refusal names what the client can fix.
 */
function responsesParamOf(chatParam: string): string {
  const origin = ORIGINS.find(([chat]) => chat.test(chatParam));
  return origin ? chatParam.replace(origin[0], origin[1]) : chatParam;
}

function assertSupported(request: ResponsesRequest): void {
  if (request.background === true) throw unsupported("background", "Background mode is not supported by Languru: send the request without 'background'.");
  if (request.conversation != null)
    throw unsupported("conversation", "The Conversations API is not supported by Languru: use 'previous_response_id' or send the history as 'input'.");
  if (request.prompt != null) throw unsupported("prompt", "Prompt templates are not supported by Languru: send 'instructions' and 'input'.");
  if (request.truncation === "auto") throw unsupported("truncation", "Truncation 'auto' is not supported by Languru: trim the input yourself.");
  if (request.input === undefined) throw new InvalidRequestError("'input' is required: a string or an array of input items.", { param: "input" });
}

function unsupported(param: string, message: string): InvalidRequestError {
  return new InvalidRequestError(message, { param, code: "unsupported_parameter" });
}

/** `input` as Chat Completions messages: consecutive function calls (and the message before them) are one assistant turn. */
function inputMessages(input: ResponsesRequest["input"]): ChatMessage[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  const messages: ChatMessage[] = [];
  for (const [i, item] of (input ?? []).entries()) {
    const where = `input[${i}]`;
    const type = item.type ?? "message";
    if (type === "message") messages.push(messageOf(parse(MessageItem, item, where), where));
    else if (type === "function_call") addCall(messages, parse(FunctionCallItem, item, where));
    else if (type === "function_call_output") {
      const result = parse(FunctionCallOutputItem, item, where);
      messages.push({ role: "tool", tool_call_id: result.call_id, content: textOf(result.output, `${where}.output`) });
    } else if (type !== "reasoning") {
      // (Reasoning an earlier turn returned is dropped: a Chat Completions upstream takes none back.)
      throw new InvalidRequestError(`Input items of type '${type}' are not supported by Languru.`, { param: `${where}.type`, code: "unsupported_input_item" });
    }
  }
  if (messages.length === 0) throw new InvalidRequestError("'input' has no message.", { param: "input" });
  return messages;
}

function parse<T>(
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: Parameters<typeof fromZodError>[0] } },
  value: unknown,
  where: string,
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const error = fromZodError(result.error);
  throw new InvalidRequestError(`${where}: ${error.message}`, { param: error.param ? `${where}.${error.param}` : where });
}

function messageOf(item: ReturnType<typeof MessageItem.parse>, where: string): ChatMessage {
  if (item.role === "user")
    return { role: "user", content: typeof item.content === "string" ? item.content : item.content.map((p, j) => userPart(p, `${where}.content[${j}]`)) };
  // Instructions and earlier answers as plain text: every upstream reads a string.
  return { role: item.role, content: textOf(item.content, `${where}.content`) };
}

function addCall(messages: ChatMessage[], call: ReturnType<typeof FunctionCallItem.parse>): void {
  const toolCall = { id: call.call_id, type: "function" as const, function: { name: call.name, arguments: call.arguments } };
  const last = messages.at(-1);
  if (last?.role === "assistant") last.tool_calls = [...(last.tool_calls ?? []), toolCall];
  else messages.push({ role: "assistant", content: null, tool_calls: [toolCall] });
}

type UserPart = Exclude<Extract<ChatMessage, { role: "user" }>["content"], string>[number];

function userPart(part: { type: string; [key: string]: unknown }, where: string): UserPart {
  if (part.type === "input_text" || part.type === "output_text") return { type: "text", text: stringField(part, "text", where) };
  if (part.type === "input_image") {
    if (typeof part.image_url !== "string")
      throw new InvalidRequestError("Only images by 'image_url' (a URL or a data URL) are supported, not by 'file_id'.", { param: `${where}.image_url` });
    return { type: "image_url", image_url: { url: part.image_url, ...(typeof part.detail === "string" ? { detail: part.detail } : {}) } };
  }
  if (part.type === "input_file") {
    if (part.file_url !== undefined) throw new InvalidRequestError("Files by 'file_url' are not supported: send 'file_data'.", { param: `${where}.file_url` });
    const file: Record<string, string> = {};
    for (const key of ["file_data", "file_id", "filename"]) if (typeof part[key] === "string") file[key] = part[key];
    return { type: "file", file };
  }
  throw new InvalidRequestError(`Content parts of type '${part.type}' are not supported by Languru.`, {
    param: `${where}.type`,
    code: "unsupported_content_part",
  });
}

/** The text of a string or of text parts. */
function textOf(content: string | Array<{ type: string; [key: string]: unknown }>, where: string): string {
  if (typeof content === "string") return content;
  return content
    .map((part, j) => {
      if (part.type === "input_text" || part.type === "output_text") return stringField(part, "text", `${where}[${j}]`);
      if (part.type === "refusal") return stringField(part, "refusal", `${where}[${j}]`);
      throw new InvalidRequestError(`Only text parts are supported here, not '${part.type}'.`, {
        param: `${where}[${j}].type`,
        code: "unsupported_content_part",
      });
    })
    .join("");
}

function stringField(part: Record<string, unknown>, key: string, where: string): string {
  const value = part[key];
  if (typeof value !== "string") throw new InvalidRequestError(`'${key}' must be a string.`, { param: `${where}.${key}` });
  return value;
}

function chatTool(tool: { type: string }, i: number) {
  if (tool.type !== "function") {
    throw new InvalidRequestError(`Built-in tools such as '${tool.type}' are not supported by Languru: only function tools are.`, {
      param: `tools[${i}].type`,
      code: "unsupported_tool",
    });
  }
  const { name, description, parameters, strict } = parse(FunctionTool, tool, `tools[${i}]`);
  return { type: "function", function: { name, description, parameters, strict } };
}

function chatToolChoice(choice: string | { type: string; [key: string]: unknown }) {
  if (typeof choice === "string") return choice;
  if (choice.type === "function") return { type: "function", function: { name: stringField(choice, "name", "tool_choice") } };
  if (choice.type === "allowed_tools" && Array.isArray(choice.tools)) {
    const tools = choice.tools.map((t: unknown, j) => {
      if (!isRecord(t) || t.type !== "function") throw new InvalidRequestError("Only function tools can be allowed.", { param: `tool_choice.tools[${j}]` });
      return { type: "function", function: { name: stringField(t, "name", `tool_choice.tools[${j}]`) } };
    });
    return { type: "allowed_tools", allowed_tools: { mode: choice.mode, tools } };
  }
  throw new InvalidRequestError(`tool_choice of type '${choice.type}' is not supported by Languru: only function tools are.`, {
    param: "tool_choice.type",
    code: "unsupported_tool",
  });
}

function chatFormat(format: { type: string; [key: string]: unknown }) {
  if (format.type === "text" || format.type === "json_object") return { type: format.type };
  if (format.type === "json_schema") {
    const { name, description, schema, strict } = format;
    return { type: "json_schema", json_schema: { name, description, schema, strict } };
  }
  throw new InvalidRequestError(`text.format of type '${format.type}' is not supported.`, { param: "text.format.type" });
}
