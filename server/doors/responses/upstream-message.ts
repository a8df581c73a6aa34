/**
 * Reads a chat completion's message (or a chunk's delta) the way the upstream may really send it,
 * not as the types say: a usage-only chunk with no `choices`, a finish chunk with no `delta` (or
 * `delta: null`), a choice with no `index`, `content` as an array of text parts, and tool call
 * `arguments` as an object. What the Responses API needs of it comes out in its own types
 * (strings), and anything else counts as nothing.
 */
import { isRecord } from "../../../shared/index.js";

/** One tool call (or a streamed piece of one), as far as the upstream said. */
export interface ReadToolCall {
  index: number | undefined;
  id: string | undefined;
  name: string | undefined;
  /** The arguments' JSON text (an object sent as such is written out). */
  arguments: string;
}

/** The parts of a message or delta the Responses API carries. */
export interface ReadMessage {
  reasoning: string;
  content: string;
  refusal: string;
  toolCalls: ReadToolCall[];
}

/** The first choice (`index` 0, or none given), if it is an object. */
export function firstChoice(choices: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(choices)) return undefined;
  return (choices as unknown[]).find((c): c is Record<string, unknown> => isRecord(c) && (c.index ?? 0) === 0);
}

/** A message or delta of any shape, read. */
export function readMessage(value: unknown): ReadMessage {
  const message = isRecord(value) ? value : {};
  return {
    reasoning: textOf(message.reasoning_content) || textOf(message.reasoning),
    content: textOf(message.content),
    refusal: textOf(message.refusal),
    toolCalls: Array.isArray(message.tool_calls) ? (message.tool_calls as unknown[]).flatMap(toolCallOf) : [],
  };
}

function toolCallOf(value: unknown): ReadToolCall[] {
  if (!isRecord(value) || (value.type !== undefined && value.type !== "function")) return [];
  const fn = isRecord(value.function) ? value.function : {};
  return [
    {
      index: typeof value.index === "number" && Number.isInteger(value.index) ? value.index : undefined,
      id: typeof value.id === "string" && value.id !== "" ? value.id : undefined,
      name: typeof fn.name === "string" ? fn.name : undefined,
      arguments: argumentsOf(fn.arguments),
    },
  ];
}

// A string, or the text of an array of parts (`[{ type: "text", text }]`, as some upstreams answer).
function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return "";
  let text = "";
  for (const part of value as unknown[]) if (isRecord(part) && typeof part.text === "string") text += part.text;
  return text;
}

function argumentsOf(value: unknown): string {
  if (typeof value === "string") return value;
  return isRecord(value) || Array.isArray(value) ? JSON.stringify(value) : "";
}
