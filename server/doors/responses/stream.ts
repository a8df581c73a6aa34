/**
 * A chat chunk stream as the Responses API's semantic events: `response.created` and
 * `.in_progress`, then per output item `output_item.added`, its content part and deltas, their
 * `.done` events and `output_item.done`, and last `response.completed` (or `.incomplete`). An error
 * after the stream started is an `error` event followed by `response.failed`.
 */
import { type ChatCompletionChunk, type FinishReason, isRecord } from "../../../shared/index.js";
import type { EventWriter } from "./events.js";
import { failed, finished, functionCallItem, messageItem, newId, outputText, reasoningItem } from "./response.js";
import { firstChoice, type ReadToolCall, readMessage } from "./upstream-message.js";
import type { OutputFunctionCall, OutputItem, OutputMessage, OutputReasoning, ResponseObject } from "./types.js";

/** The item being written: its index in `output`, and for a message the kind of its open part. */
type Open =
  | { kind: "reasoning"; index: number; item: OutputReasoning; text: string }
  | { kind: "message"; index: number; item: OutputMessage; part: "output_text" | "refusal"; text: string }
  | { kind: "call"; index: number; item: OutputFunctionCall; toolIndex: number };

/** How a stream failed, as the error event and `response.failed` say it. */
export interface StreamFailure {
  code: string;
  message: string;
  param: string | null;
  /** The `response.error.code`: one of the spec's codes (`server_error`, `rate_limit_exceeded`). */
  responseCode: string;
}

/**
 * Writes the events of one response. `finish` gets the final response before its terminal event
 * (the handler stores it there, and may mark it unstored); `failure` maps a thrown error.
 */
export async function writeResponseEvents(
  events: EventWriter,
  chunks: AsyncIterable<ChatCompletionChunk>,
  base: ResponseObject,
  finish: (response: ResponseObject) => Promise<ResponseObject>,
  failure: (err: unknown) => StreamFailure,
): Promise<void> {
  const output: OutputItem[] = [];
  let open: Open | null = null;
  let finishReason: FinishReason | null = null;
  let usage: unknown;
  let calls = 0;

  const item = (fields: { index: number; item: OutputItem }) => ({ item_id: fields.item.id, output_index: fields.index });

  const closePart = async (current: Extract<Open, { kind: "message" }>) => {
    const content_index = current.item.content.length;
    const part = current.part === "output_text" ? outputText(current.text) : { type: "refusal" as const, refusal: current.text };
    if (current.part === "output_text") await events.send("response.output_text.done", { ...item(current), content_index, text: current.text, logprobs: [] });
    else await events.send("response.refusal.done", { ...item(current), content_index, refusal: current.text });
    await events.send("response.content_part.done", { ...item(current), content_index, part });
    current.item.content.push(part);
  };

  const close = async (status: "completed" | "incomplete") => {
    const current = open;
    if (!current) return;
    open = null;
    if (current.kind === "reasoning") {
      await events.send("response.reasoning_text.done", { ...item(current), content_index: 0, text: current.text });
      await events.send("response.content_part.done", { ...item(current), content_index: 0, part: { type: "reasoning_text", text: current.text } });
      current.item.content = [{ type: "reasoning_text", text: current.text }];
    } else if (current.kind === "message") {
      await closePart(current);
    } else {
      await events.send("response.function_call_arguments.done", { ...item(current), name: current.item.name, arguments: current.item.arguments });
    }
    current.item.status = status;
    output[current.index] = current.item;
    await events.send("response.output_item.done", { output_index: current.index, item: current.item });
  };

  // The item a failure cut short keeps what arrived of it.
  const cutShort = () => {
    const current = open;
    if (current?.kind === "message")
      current.item.content.push(current.part === "output_text" ? outputText(current.text) : { type: "refusal", refusal: current.text });
    if (current?.kind === "reasoning") current.item.content = [{ type: "reasoning_text", text: current.text }];
    if (current) current.item.status = "incomplete";
  };

  const openItem = async <T extends Open>(next: T): Promise<T> => {
    await close("completed");
    open = next;
    output[next.index] = next.item;
    // Serialized at once, so the item's later changes are not in this event.
    await events.send("response.output_item.added", { output_index: next.index, item: next.item });
    return next;
  };

  const reasoning = async (delta: string) => {
    let current = open?.kind === "reasoning" ? open : null;
    if (!current) {
      current = await openItem({ kind: "reasoning", index: output.length, item: { ...reasoningItem("", "in_progress"), content: [] }, text: "" });
      await events.send("response.content_part.added", { ...item(current), content_index: 0, part: { type: "reasoning_text", text: "" } });
    }
    current.text += delta;
    await events.send("response.reasoning_text.delta", { ...item(current), content_index: 0, delta });
  };

  const partAdded = (current: Extract<Open, { kind: "message" }>) => {
    const empty = current.part === "output_text" ? outputText("") : { type: "refusal", refusal: "" };
    return events.send("response.content_part.added", { ...item(current), content_index: current.item.content.length, part: empty });
  };

  const text = async (part: "output_text" | "refusal", delta: string) => {
    let current = open?.kind === "message" ? open : null;
    if (!current) {
      current = await openItem({ kind: "message", index: output.length, item: messageItem("in_progress"), part, text: "" });
      await partAdded(current);
    } else if (current.part !== part) {
      await closePart(current);
      current.part = part;
      current.text = "";
      await partAdded(current);
    }
    current.text += delta;
    await deltaEvent(current, delta);
  };

  const deltaEvent = (current: Extract<Open, { kind: "message" }>, delta: string) =>
    current.part === "output_text"
      ? events.send("response.output_text.delta", { ...item(current), content_index: current.item.content.length, delta, logprobs: [] })
      : events.send("response.refusal.delta", { ...item(current), content_index: current.item.content.length, delta });

  const call = async (delta: ReadToolCall) => {
    // Mistral sends no index (one call per chunk): a call id starts a new call, its absence continues the open one.
    const toolIndex = delta.index ?? (open?.kind === "call" && !delta.id ? open.toolIndex : calls);
    let current = open?.kind === "call" && open.toolIndex === toolIndex ? open : null;
    if (!current) {
      const fresh = functionCallItem(delta.id ?? newId("call"), delta.name ?? "", "", "in_progress");
      calls += 1;
      current = await openItem({ kind: "call", index: output.length, item: fresh, toolIndex });
    } else if (delta.name && !current.item.name) current.item.name = delta.name;
    const args = delta.arguments;
    if (args) {
      current.item.arguments += args;
      await events.send("response.function_call_arguments.delta", { ...item(current), delta: args });
    }
  };

  await events.send("response.created", { response: base });
  await events.send("response.in_progress", { response: base });
  try {
    for await (const chunk of chunks) {
      if (events.gone) return;
      // Any shape an upstream sends (upstream-message.ts): a usage-only chunk has no `choices`, a finish chunk may have no `delta`.
      if (!isRecord(chunk)) continue;
      if (chunk.usage != null) usage = chunk.usage;
      const choice = firstChoice(chunk.choices);
      if (!choice) continue;
      const delta = readMessage(choice.delta);
      if (delta.reasoning) await reasoning(delta.reasoning);
      if (delta.content) await text("output_text", delta.content);
      if (delta.refusal) await text("refusal", delta.refusal);
      for (const toolCall of delta.toolCalls) await call(toolCall);
      if (typeof choice.finish_reason === "string") finishReason = choice.finish_reason as FinishReason;
    }
  } catch (err) {
    if (events.gone) return;
    const why = failure(err);
    cutShort();
    await events.send("error", { code: why.code, message: why.message, param: why.param });
    const response = await finish(failed(base, output, { code: why.responseCode, message: why.message }));
    await events.send("response.failed", { response });
    return;
  }
  const incomplete = finishReason === "length" || finishReason === "content_filter";
  await close(incomplete ? "incomplete" : "completed");
  const response = await finish(finished(base, output, finishReason, usage));
  await events.send(response.status === "incomplete" ? "response.incomplete" : "response.completed", { response });
}
