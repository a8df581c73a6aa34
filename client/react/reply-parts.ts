/**
 * A streamed reply as parts, in the manner of the Vercel AI SDK's `UIMessage.parts`: text,
 * reasoning (`reasoning_content` from DeepSeek/vLLM/SGLang, `reasoning` from OpenRouter/Ollama),
 * a refusal, and tool calls whose JSON arguments grow as they stream. Consecutive deltas of one
 * kind extend one part; a change of kind starts the next, so the parts keep the reply's order.
 * Only the first choice is read (a chat reply is one choice). Fields are read defensively: an
 * upstream's chunk may lack `delta`, send `null`s, or omit a tool call's `index` (Mistral).
 */
import type { ChatCompletionChunk } from "../index.js";

/** Text the model wrote for the reader. */
export interface TextPart {
  type: "text";
  text: string;
}
/** The model's reasoning before (or between) its answer. */
export interface ReasoningPart {
  type: "reasoning";
  text: string;
}
/** The model declined; `text` says why. */
export interface RefusalPart {
  type: "refusal";
  text: string;
}
/** A function the model asked to call; `args` is JSON text, complete once `state` is `done`. */
export interface ToolCallPart {
  type: "tool-call";
  toolCallId: string;
  toolName: string;
  args: string;
  state: "streaming" | "done";
}

/** One part of a reply. */
export type ReplyPart = TextPart | ReasoningPart | RefusalPart | ToolCallPart;

type Loose = Record<string, unknown>;

/** Builds a reply's parts from its chunks; `parts()` is a fresh array each time something changed. */
export class ReplyParts {
  private list: ReplyPart[] = [];
  // Tool calls by their stream index (or id, when the upstream sends no index).
  private readonly calls = new Map<string, ToolCallPart>();
  private lastCallKey: string | null = null;

  /** Takes one chunk; true when the parts changed. */
  take(chunk: ChatCompletionChunk): boolean {
    const choices: unknown = (chunk as Loose).choices;
    const choice = Array.isArray(choices) ? (choices[0] as Loose | undefined) : undefined;
    const delta = choice && typeof choice.delta === "object" && choice.delta !== null ? (choice.delta as Loose) : null;
    let changed = false;
    if (delta) {
      const reasoning = textOf(delta.reasoning_content) || textOf(delta.reasoning);
      if (reasoning) changed = this.append("reasoning", reasoning) || changed;
      const content = textOf(delta.content);
      if (content) changed = this.append("text", content) || changed;
      const refusal = textOf(delta.refusal);
      if (refusal) changed = this.append("refusal", refusal) || changed;
      if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) changed = this.toolCall(call) || changed;
    }
    if (choice?.finish_reason) changed = this.finish() || changed;
    if (changed) this.list = [...this.list];
    return changed;
  }

  /** Marks every tool call done (the stream ended, however). */
  finish(): boolean {
    let changed = false;
    this.list = this.list.map((part) => {
      if (part.type !== "tool-call" || part.state === "done") return part;
      changed = true;
      const done: ToolCallPart = { ...part, state: "done" };
      for (const [key, call] of this.calls) if (call === part) this.calls.set(key, done);
      return done;
    });
    return changed;
  }

  /** The parts so far. */
  parts(): ReplyPart[] {
    return this.list;
  }

  private append(type: "text" | "reasoning" | "refusal", text: string): boolean {
    const last = this.list.at(-1);
    if (last && last.type === type) this.list[this.list.length - 1] = { type, text: last.text + text };
    else this.list.push({ type, text });
    return true;
  }

  private toolCall(raw: unknown): boolean {
    if (typeof raw !== "object" || raw === null) return false;
    const call = raw as Loose;
    const fn = typeof call.function === "object" && call.function !== null ? (call.function as Loose) : {};
    const id = typeof call.id === "string" && call.id !== "" ? call.id : null;
    // The index says which call a delta continues; without one (Mistral sends each call whole), a new id starts a call.
    const key = typeof call.index === "number" ? `#${call.index}` : (id ?? this.lastCallKey ?? "#0");
    const existing = this.calls.get(key);
    const args = textOf(fn.arguments);
    if (!existing) {
      const part: ToolCallPart = { type: "tool-call", toolCallId: id ?? key, toolName: textOf(fn.name), args, state: "streaming" };
      this.calls.set(key, part);
      this.list.push(part);
      this.lastCallKey = key;
      return true;
    }
    if (!args && !textOf(fn.name)) return false;
    // The name comes once, in the call's first delta; an upstream that repeats it does not make it longer.
    const next: ToolCallPart = { ...existing, toolName: existing.toolName || textOf(fn.name), args: existing.args + args };
    this.calls.set(key, next);
    this.list[this.list.indexOf(existing)] = next;
    this.lastCallKey = key;
    return true;
  }
}

function textOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}
