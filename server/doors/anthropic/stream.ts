/**
 * A chat chunk stream as Anthropic's stream events, one chunk at a time:
 *
 *   first chunk                       message_start (empty content, usage so far)
 *   reasoning_content / reasoning     a thinking block: content_block_start, thinking_delta
 *   thinking_blocks signature         signature_delta on that thinking block (the Anthropic provider's)
 *   thinking_blocks redacted          a redacted_thinking block, started and stopped at once
 *   content / refusal                 a text block, text_delta
 *   tool_calls (a new index or id)    a tool_use block (id, name, `input: {}`), input_json_delta
 *   finish_reason, usage              remembered: message_delta carries them once the stream ended
 *   end of the stream                 content_block_stop of the open block, message_delta, message_stop
 *
 * A new kind of output stops the open block and starts the next, so blocks never interleave and
 * indexes count up from 0 as in Anthropic's own streams. Only the first choice is read (the door
 * never asks for more); chunks are read defensively, whatever shape the upstream sent.
 */
import { isRecord, type ChatCompletionChunk } from "../../../shared/index.js";
import { messageIdOf, modelOf, stopOf, toolUseIdOf, usageOf, type MessageUsage } from "./response.js";

/** One stream event: its `type` is also its SSE event name. */
export type StreamEvent = { type: string } & Record<string, unknown>;

type Open = { kind: "text" | "thinking" } | { kind: "tool"; key: string };

/** Translates one stream's chunks; `of` per chunk, `end` once the chunks ran out. */
export class MessageEvents {
  private started = false;
  private next = 0;
  private open: { index: number; block: Open } | null = null;
  private finish: Record<string, unknown> = {};
  private usage: unknown = undefined;
  // Tool calls by the chunk's `index` (or id): the same call's later arguments go to its block.
  private readonly tools = new Map<string, number>();
  private lastTool: string | null = null;

  constructor(
    private readonly requested: string,
    private readonly stops: readonly string[],
  ) {}

  /** The events one chunk makes (often one, sometimes none). */
  of(chunk: ChatCompletionChunk): StreamEvent[] {
    const events: StreamEvent[] = [];
    if (!this.started) events.push(this.start(chunk));
    if (!isRecord(chunk)) return events;
    if (chunk.usage != null) this.usage = chunk.usage;
    const choice: unknown = Array.isArray(chunk.choices) ? chunk.choices.find((c: unknown) => isRecord(c) && (c.index ?? 0) === 0) : undefined;
    if (!isRecord(choice)) return events;
    const delta = isRecord(choice.delta) ? choice.delta : {};
    const reasoning = textOf(delta.reasoning_content) || textOf(delta.reasoning);
    if (reasoning !== "") events.push(...this.into({ kind: "thinking" }, { type: "thinking_delta", thinking: reasoning }));
    if (Array.isArray(delta.thinking_blocks)) for (const block of delta.thinking_blocks as unknown[]) events.push(...this.thinkingBlock(block));
    const text = textOf(delta.content) || textOf(delta.refusal);
    if (text !== "") events.push(...this.into({ kind: "text" }, { type: "text_delta", text }));
    if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls as unknown[]) events.push(...this.toolCall(call));
    if (typeof choice.finish_reason === "string") this.finish = choice;
    return events;
  }

  /** The closing events: the open block's stop, `message_delta` (stop reason, usage), `message_stop`. */
  end(): StreamEvent[] {
    const events: StreamEvent[] = [];
    if (!this.started) events.push(this.start(undefined));
    events.push(...this.close());
    const stop = stopOf(this.finish, this.stops);
    const usage: Partial<MessageUsage> = usageOf(this.usage);
    events.push({ type: "message_delta", delta: { stop_reason: stop.reason, stop_sequence: stop.sequence }, usage });
    events.push({ type: "message_stop" });
    return events;
  }

  private start(chunk: unknown): StreamEvent {
    this.started = true;
    const first = isRecord(chunk) ? chunk : {};
    const message = {
      id: messageIdOf(first.id),
      type: "message",
      role: "assistant",
      model: modelOf(first.model, this.requested),
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    return { type: "message_start", message };
  }

  // A delta for a block of `kind`: into the open block when it is of that kind, else a new block first.
  private into(kind: Open, delta: Record<string, unknown>): StreamEvent[] {
    const events: StreamEvent[] = [];
    if (!this.isOpen(kind))
      events.push(...this.close(), this.begin(kind, kind.kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" }));
    events.push({ type: "content_block_delta", index: this.open!.index, delta });
    return events;
  }

  private thinkingBlock(block: unknown): StreamEvent[] {
    if (!isRecord(block)) return [];
    if (block.type === "thinking" && typeof block.signature === "string" && block.signature !== "")
      return this.into({ kind: "thinking" }, { type: "signature_delta", signature: block.signature });
    if (block.type === "redacted_thinking" && typeof block.data === "string") {
      const index = this.next;
      return [...this.close(), this.begin({ kind: "thinking" }, { type: "redacted_thinking", data: block.data }), ...this.close(index)];
    }
    return [];
  }

  private toolCall(call: unknown): StreamEvent[] {
    if (!isRecord(call)) return [];
    const fn = isRecord(call.function) ? call.function : {};
    const id = typeof call.id === "string" && call.id !== "" ? call.id : null;
    // Mistral sends no index (one call per chunk): a new id is a new call, no id the last one.
    const key = typeof call.index === "number" ? `#${call.index}` : (id ?? this.lastTool ?? "#0");
    const events: StreamEvent[] = [];
    let index = this.tools.get(key);
    if (index === undefined) {
      events.push(...this.close());
      index = this.next;
      this.tools.set(key, index);
      this.lastTool = key;
      const name = typeof fn.name === "string" ? fn.name : "";
      events.push(this.begin({ kind: "tool", key }, { type: "tool_use", id: toolUseIdOf(id), name, input: {} }));
    }
    const args = textOf(fn.arguments);
    if (args !== "") events.push({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: args } });
    return events;
  }

  private isOpen(kind: Open): boolean {
    return this.open !== null && this.open.block.kind === kind.kind && kind.kind !== "tool";
  }

  private begin(block: Open, contentBlock: Record<string, unknown>): StreamEvent {
    const index = this.next++;
    this.open = { index, block };
    return { type: "content_block_start", index, content_block: contentBlock };
  }

  // Stops the open block (only if it is `only`, when given).
  private close(only?: number): StreamEvent[] {
    if (this.open === null || (only !== undefined && this.open.index !== only)) return [];
    const index = this.open.index;
    this.open = null;
    return [{ type: "content_block_stop", index }];
  }
}

function textOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}
