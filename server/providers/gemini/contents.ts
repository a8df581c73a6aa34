/**
 * An OpenAI conversation as Gemini `contents`: system and developer messages become the one
 * `systemInstruction`; user turns `user`, assistant turns `model`; tool results `functionResponse`
 * parts of a `user` turn; consecutive turns of one role are merged (Gemini wants them alternating).
 * What Gemini cannot take (the deprecated `function` role, custom tool calls, OpenAI file ids) is
 * a 400 naming the message, never dropped in silence.
 */
import { InvalidRequestError, isRecord, type ChatMessage } from "../../../shared/index.js";
import { geminiIdOf, toolNames } from "./ids.js";
import { audioPart, urlPart } from "./media.js";
import type { Content, Part } from "./wire.js";

/**
 * Gemini 3 refuses a function call in the history without the thought signature it came with.
 * A call whose signature the client did not send back (or that another model made) carries this
 * value, which Gemini documents for exactly that case.
 */
export const SKIP_SIGNATURE = "skip_thought_signature_validator";

/** The conversation's `contents` and `systemInstruction`. */
export function contentsOf(messages: readonly ChatMessage[]): { contents: Content[]; systemInstruction?: Content } {
  const names = toolNames(messages);
  const system: Part[] = [];
  const contents: Content[] = [];
  const add = (role: "user" | "model", parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        system.push(...textParts(message.content, param));
        break;
      case "user":
        add("user", userParts(message.content, param));
        break;
      case "assistant":
        add("model", assistantParts(message, param));
        break;
      case "tool":
        add("user", [toolResult(message, names, param)]);
        break;
      default:
        throw new InvalidRequestError(`${param}: the '${message.role}' role is not supported by Gemini models; use tools and 'tool' messages.`, {
          param: `${param}.role`,
        });
    }
  });
  if (contents.length === 0) throw new InvalidRequestError("Gemini models need at least one user or assistant message.", { param: "messages" });
  return system.length > 0 ? { contents, systemInstruction: { parts: system } } : { contents };
}

function textParts(content: unknown, param: string): Part[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  return content.map((part, j) => {
    if (isRecord(part) && part.type === "text" && typeof part.text === "string") return { text: part.text };
    if (isRecord(part) && part.type === "refusal" && typeof part.refusal === "string") return { text: part.refusal };
    throw unsupportedPart(part, `${param}.content[${j}]`);
  });
}

function userParts(content: unknown, param: string): Part[] {
  if (!Array.isArray(content)) return textParts(content, param);
  return content.map((part, j): Part => {
    const where = `${param}.content[${j}]`;
    if (!isRecord(part)) throw unsupportedPart(part, where);
    if (part.type === "text" && typeof part.text === "string") return { text: part.text };
    if (part.type === "image_url" && isRecord(part.image_url) && typeof part.image_url.url === "string") return urlPart(part.image_url.url, where);
    if (part.type === "input_audio" && isRecord(part.input_audio) && typeof part.input_audio.data === "string")
      return audioPart(part.input_audio.data, String(part.input_audio.format), where);
    if (part.type === "file" && isRecord(part.file) && typeof part.file.file_data === "string") return urlPart(part.file.file_data, where);
    throw unsupportedPart(part, where);
  });
}

function assistantParts(message: Extract<ChatMessage, { role: "assistant" }>, param: string): Part[] {
  const parts = textParts(message.content, param);
  if (message.refusal) parts.push({ text: message.refusal });
  let signed = false;
  (message.tool_calls ?? []).forEach((call, j) => {
    const where = `${param}.tool_calls[${j}]`;
    if (call.type !== "function") throw new InvalidRequestError(`${where}: Gemini models take function tool calls only.`, { param: where });
    const id = geminiIdOf(call.id);
    const signature = signatureOf(call);
    const part: Part = { functionCall: { ...(id ? { id } : {}), name: call.function.name, args: argumentsOf(call.function.arguments, where) } };
    // Gemini signs the first call of a turn (parallel calls after it carry none).
    if (signature) part.thoughtSignature = signature;
    else if (!signed) part.thoughtSignature = SKIP_SIGNATURE;
    signed = true;
    parts.push(part);
  });
  return parts;
}

function toolResult(message: Extract<ChatMessage, { role: "tool" }>, names: Map<string, string>, param: string): Part {
  const name = names.get(message.tool_call_id);
  if (!name) {
    throw new InvalidRequestError(`${param}.tool_call_id: no assistant message before it made the tool call '${message.tool_call_id.slice(0, 64)}'.`, {
      param: `${param}.tool_call_id`,
    });
  }
  const text = textParts(message.content, param)
    .map((p) => p.text)
    .join("");
  const id = geminiIdOf(message.tool_call_id);
  return { functionResponse: { ...(id ? { id } : {}), name, response: responseOf(text) } };
}

// Gemini wants an object: a result that is one is sent as it is, anything else as `{ output }`, as Gemini's docs name it.
function responseOf(text: string): Record<string, unknown> {
  if (text.trimStart().startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isRecord(parsed)) return parsed;
    } catch {
      // Not JSON after all: sent as text.
    }
  }
  return { output: text };
}

function argumentsOf(text: string, param: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidRequestError(`${param}.function.arguments: not JSON; Gemini needs the arguments as an object.`, { param: `${param}.function.arguments` });
  }
  if (!isRecord(parsed))
    throw new InvalidRequestError(`${param}.function.arguments: Gemini needs the arguments as a JSON object.`, { param: `${param}.function.arguments` });
  return parsed;
}

/** The signature the gateway gave the client with the call, in Google's own OpenAI-compatible place for it. */
export function signatureOf(call: unknown): string | undefined {
  if (!isRecord(call) || !isRecord(call.extra_content) || !isRecord(call.extra_content.google)) return undefined;
  const signature = call.extra_content.google.thought_signature;
  return typeof signature === "string" && signature !== "" ? signature : undefined;
}

function unsupportedPart(part: unknown, param: string): InvalidRequestError {
  const kind = isRecord(part) && typeof part.type === "string" ? `'${part.type.slice(0, 64)}' ` : "";
  return new InvalidRequestError(`${param}: a ${kind}content part Gemini models cannot take here.`, { param, code: "unsupported_content" });
}
