/**
 * The Response object: what `POST /v1/responses` answers, `response.completed` carries and
 * `GET /v1/responses/{id}` reads back. Built from a chat completion's first choice (the Responses
 * API has no `n`): reasoning text, then the message, then the function calls, as output items.
 */
import { randomBytes } from "node:crypto";
import { type ChatCompletion, type ChatMessage, type FinishReason, isRecord } from "../../../shared/index.js";
import { tokenCount, upstreamUsage } from "../../providers/upstream-usage.js";
import type { OutputFunctionCall, OutputItem, OutputMessage, OutputReasoning, ResponseObject, ResponseUsage, ResponsesRequest } from "./types.js";
import { firstChoice, readMessage } from "./upstream-message.js";

/** An unguessable id with a prefix (`resp_`, `msg_`, `fc_`, `rs_`): with keys off it is all that guards a stored response. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString("hex")}`;
}

/** What one response knows before the model answered. */
export interface ResponseContext {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  request: ResponsesRequest;
  store: boolean;
}

/** The response while it runs: no output yet, the request's settings echoed as OpenAI echoes them. */
export function inProgress(context: ResponseContext): ResponseObject {
  const { request } = context;
  return {
    id: context.id,
    object: "response",
    created_at: context.createdAt,
    completed_at: null,
    status: "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: request.model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: null },
    store: context.store,
    temperature: request.temperature ?? 1,
    text: { format: request.text?.format ?? { type: "text" }, verbosity: request.text?.verbosity ?? "medium" },
    tool_choice: request.tool_choice ?? "auto",
    tools: (request.tools ?? []).map((tool) => ({ description: null, parameters: null, strict: null, ...tool })),
    top_p: request.top_p ?? 1,
    truncation: "disabled",
    // The spec types these as strings (no null): absent unless the request set them.
    ...(request.user ? { user: request.user } : {}),
    ...(request.safety_identifier ? { safety_identifier: request.safety_identifier } : {}),
    ...(request.prompt_cache_key ? { prompt_cache_key: request.prompt_cache_key } : {}),
    metadata: request.metadata ?? {},
  };
}

/** The finished response: its output, why it stopped, and the usage. */
export function finished(base: ResponseObject, output: OutputItem[], finishReason: FinishReason | null, usage: unknown): ResponseObject {
  const incomplete = finishReason === "length" ? "max_output_tokens" : finishReason === "content_filter" ? "content_filter" : null;
  return {
    ...base,
    status: incomplete ? "incomplete" : "completed",
    completed_at: incomplete ? null : Math.floor(Date.now() / 1000),
    incomplete_details: incomplete ? { reason: incomplete } : null,
    output,
    ...usageOf(usage),
  };
}

/** The response of a stream that failed part way: what arrived, and why it stopped. */
export function failed(base: ResponseObject, output: OutputItem[], error: { code: string; message: string }): ResponseObject {
  return { ...base, status: "failed", error, output };
}

/** A whole completion's output items (its message read in any shape an upstream sends, `upstream-message.ts`). */
export function outputOf(completion: ChatCompletion, incomplete: boolean): OutputItem[] {
  const choice = firstChoice(isRecord(completion) ? completion.choices : undefined);
  if (!choice || !isRecord(choice.message)) return [];
  const message = readMessage(choice.message);
  const status = incomplete ? "incomplete" : "completed";
  const items: OutputItem[] = [];
  if (message.reasoning) items.push(reasoningItem(message.reasoning, status));
  if (message.content || message.refusal) {
    const item = messageItem(status);
    if (message.content) item.content.push(outputText(message.content));
    if (message.refusal) item.content.push({ type: "refusal", refusal: message.refusal });
    items.push(item);
  }
  for (const call of message.toolCalls) items.push(functionCallItem(call.id ?? newId("call"), call.name ?? "", call.arguments, status));
  return items;
}

/** An empty message item. */
export function messageItem(status: OutputMessage["status"]): OutputMessage {
  return { type: "message", id: newId("msg"), role: "assistant", status, content: [] };
}

/** An output text part. */
export function outputText(text: string) {
  return { type: "output_text" as const, text, annotations: [], logprobs: [] };
}

/** A function call item. */
export function functionCallItem(callId: string, name: string, args: string, status: OutputFunctionCall["status"]): OutputFunctionCall {
  return { type: "function_call", id: newId("fc"), call_id: callId, name, arguments: args, status };
}

/** A reasoning item holding the upstream's reasoning text. */
export function reasoningItem(text: string, status: OutputReasoning["status"]): OutputReasoning {
  return { type: "reasoning", id: newId("rs"), summary: [], content: [{ type: "reasoning_text", text }], status };
}

/** Chat usage in the Responses API's names, as `{ usage }`; nothing when the upstream sent none (the spec has no null usage). */
export function usageOf(usage: unknown): { usage?: ResponseUsage } {
  // Counts only (upstream-usage.ts): an upstream's `-1` or `"9"` is no usage.
  const counted = upstreamUsage(usage);
  if (!counted || !isRecord(usage)) return {};
  const details = isRecord(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  const total = tokenCount(usage.total_tokens);
  return {
    usage: {
      input_tokens: counted.promptTokens,
      input_tokens_details: { cached_tokens: counted.cachedTokens ?? 0, cache_write_tokens: 0 },
      output_tokens: counted.completionTokens,
      output_tokens_details: { reasoning_tokens: tokenCount(details.reasoning_tokens) ?? 0 },
      // Required by the spec; some upstreams leave it out.
      total_tokens: total ?? counted.promptTokens + counted.completionTokens,
    },
  };
}

/** The output as the assistant turn of a Chat Completions conversation (what `previous_response_id` continues). */
export function assistantTurn(output: OutputItem[]): ChatMessage[] {
  let text = "";
  const toolCalls = [];
  for (const item of output) {
    if (item.type === "message") for (const part of item.content) text += part.type === "output_text" ? part.text : "";
    if (item.type === "function_call")
      toolCalls.push({ id: item.call_id, type: "function" as const, function: { name: item.name, arguments: item.arguments } });
  }
  if (text === "" && toolCalls.length === 0) return [];
  return [{ role: "assistant", content: text === "" ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) }];
}
