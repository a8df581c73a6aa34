/**
 * Anthropic's stream events as OpenAI chunks, one event at a time:
 *
 *   message_start                    remembered (id, model, input usage); no chunk
 *   content_block_start text         nothing (its text comes as deltas)
 *   content_block_start tool_use     a tool call: index, the same id, name, empty arguments
 *   content_block_start redacted_... `thinking_blocks: [{type: "redacted_thinking", data}]`
 *   text_delta                       `content`
 *   thinking_delta                   `reasoning_content` (never `content`)
 *   signature_delta                  `thinking_blocks: [{type: "thinking", signature}]`: the block's
 *                                    text is the `reasoning_content` since the previous block ended
 *   input_json_delta                 that tool call's `arguments` delta
 *   message_delta                    the finish reason (usage counts remembered)
 *   message_stop                     the end; with `include_usage`, a usage-only chunk first
 *   error                            thrown: before the first chunk an HTTP error, later an error frame
 *   ping, unknown events             nothing (Anthropic adds event types over time)
 *
 * The role chunk goes out with the first chunk that says something, so that an error Anthropic
 * sends after `message_start` but before any output is still a plain HTTP error, and retried.
 */
import { UpstreamError, isRecord, type ChatCompletionChunk } from "../../../shared/index.js";
import { errorFieldsOf } from "../error-body.js";
import type { SseMessage } from "../sse.js";
import { UpstreamAnswerError } from "../upstream-errors.js";
import { addCounts, emptyCounts, finishReasonOf, usageOf } from "./usage.js";

type Delta = ChatCompletionChunk["choices"][number]["delta"] & Record<string, unknown>;
type BlockKind = { kind: "text" | "thinking" | "other" } | { kind: "tool"; toolIndex: number };

// Content blocks one reply may open: far beyond any real reply, few enough to bound what is remembered.
const MAX_BLOCKS = 10_000;

/** Translates one stream's events; `done` once `message_stop` arrived. */
export class StreamTranslator {
  done = false;
  /** A finish reason was sent: a body ending without `message_stop` after it is complete enough. */
  finished = false;
  private id = "msg_unknown";
  private model = "";
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly counts = emptyCounts();
  private readonly blocks = new Map<number, BlockKind>();
  private tools = 0;
  private started = false;

  constructor(
    private readonly provider: string,
    private readonly includeUsage: boolean,
  ) {}

  /** The chunks one SSE message makes (often none); throws for an error event or a malformed one. */
  chunksOf(message: SseMessage): ChatCompletionChunk[] {
    if (this.done) return [];
    let event: unknown;
    try {
      event = JSON.parse(message.data);
    } catch {
      throw new UpstreamError(`upstream '${this.provider}' sent an event that is not JSON`);
    }
    const type = isRecord(event) && typeof event.type === "string" ? event.type : message.event;
    if (type === "error" || message.event === "error") throw new UpstreamAnswerError(undefined, errorFieldsOf(event) ?? { message: "" }, {});
    if (!isRecord(event)) return [];
    switch (type) {
      case "message_start":
        return this.start(event.message);
      case "content_block_start":
        return this.blockStart(event.index, event.content_block);
      case "content_block_delta":
        return this.blockDelta(event.index, event.delta);
      case "message_delta":
        addCounts(this.counts, event.usage);
        if (!isRecord(event.delta) || event.delta.stop_reason == null) return [];
        this.finished = true;
        return this.emit({}, finishReasonOf(event.delta.stop_reason));
      case "message_stop":
        this.done = true;
        return this.end();
      default:
        return [];
    }
  }

  private start(message: unknown): ChatCompletionChunk[] {
    if (!isRecord(message)) return [];
    if (typeof message.id === "string") this.id = message.id.slice(0, 256);
    if (typeof message.model === "string") this.model = message.model.slice(0, 256);
    addCounts(this.counts, message.usage);
    return [];
  }

  private blockStart(index: unknown, block: unknown): ChatCompletionChunk[] {
    if (typeof index !== "number" || !isRecord(block)) return [];
    if (this.blocks.size >= MAX_BLOCKS && !this.blocks.has(index))
      throw new UpstreamError(`upstream '${this.provider}' opened more than ${MAX_BLOCKS} content blocks`);
    switch (block.type) {
      case "text":
        this.blocks.set(index, { kind: "text" });
        return typeof block.text === "string" && block.text !== "" ? this.emit({ content: block.text }) : [];
      case "thinking":
        this.blocks.set(index, { kind: "thinking" });
        return typeof block.thinking === "string" && block.thinking !== "" ? this.emit({ reasoning_content: block.thinking }) : [];
      case "redacted_thinking":
        this.blocks.set(index, { kind: "other" });
        return typeof block.data === "string" ? this.emit({ thinking_blocks: [{ type: "redacted_thinking", data: block.data }] }) : [];
      case "tool_use": {
        if (typeof block.id !== "string" || typeof block.name !== "string") return [];
        const toolIndex = this.tools++;
        this.blocks.set(index, { kind: "tool", toolIndex });
        // A stream's tool_use starts with `input: {}`, its JSON following as deltas; a proxy may send it whole here.
        const whole = isRecord(block.input) && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : "";
        return this.emit({ tool_calls: [{ index: toolIndex, id: block.id, type: "function", function: { name: block.name, arguments: whole } }] });
      }
      default:
        this.blocks.set(index, { kind: "other" });
        return [];
    }
  }

  private blockDelta(index: unknown, delta: unknown): ChatCompletionChunk[] {
    if (typeof index !== "number" || !isRecord(delta)) return [];
    const block = this.blocks.get(index);
    switch (delta.type) {
      case "text_delta":
        return typeof delta.text === "string" && delta.text !== "" ? this.emit({ content: delta.text }) : [];
      case "thinking_delta":
        return typeof delta.thinking === "string" && delta.thinking !== "" ? this.emit({ reasoning_content: delta.thinking }) : [];
      case "signature_delta":
        return typeof delta.signature === "string" ? this.emit({ thinking_blocks: [{ type: "thinking", signature: delta.signature }] }) : [];
      case "input_json_delta":
        if (block?.kind !== "tool" || typeof delta.partial_json !== "string" || delta.partial_json === "") return [];
        return this.emit({ tool_calls: [{ index: block.toolIndex, function: { arguments: delta.partial_json } }] });
      default:
        return [];
    }
  }

  private end(): ChatCompletionChunk[] {
    const out = this.finished ? [] : this.emit({}, "stop");
    this.finished = true;
    const usage = usageOf(this.counts);
    if (this.includeUsage && usage) out.push({ ...this.envelope(), choices: [], usage });
    return out;
  }

  // One chunk, preceded by the role chunk when it is the first.
  private emit(delta: Delta, finishReason: string | null = null): ChatCompletionChunk[] {
    const chunk: ChatCompletionChunk = { ...this.envelope(), choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] };
    if (this.started) return [chunk];
    this.started = true;
    return [{ ...this.envelope(), choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null, logprobs: null }] }, chunk];
  }

  private envelope() {
    return { id: this.id, object: "chat.completion.chunk" as const, created: this.created, model: this.model };
  }
}
