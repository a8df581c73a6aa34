/**
 * The Responses API's shapes as this door reads and writes them, after `CreateResponse` and
 * `Response` in the OpenAI spec. The request schema checks what the translation reads; fields it
 * does not read pass validation and are ignored (SDKs send new ones before any gateway knows them).
 */
import { z } from "zod";

const Text = z.string();

/** A content part of an input message. */
const InputPart = z.looseObject({ type: z.string() });

/** A message item: `{ role, content }`, `type: "message"` optional (EasyInputMessage). */
export const MessageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([Text, z.array(InputPart)]),
});

/** A function call the model made, sent back as history. */
export const FunctionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});

/** The result of a function call. */
export const FunctionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1),
  output: z.union([Text, z.array(InputPart)]),
});

/** Any input item; its kind is told apart by `type` (and `role` for messages) in request.ts. */
const InputItem = z.looseObject({ type: z.string().optional(), role: z.string().optional() });

/** A function tool, flat as the Responses API has it. */
export const FunctionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const TextFormat = z.looseObject({ type: z.string() });

/** The request body of `POST /v1/responses`. */
export const ResponsesRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([Text, z.array(InputItem)]).optional(),
  instructions: z.string().nullish(),
  previous_response_id: z.string().min(1).nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  tool_choice: z.union([z.string(), z.looseObject({ type: z.string() })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.looseObject({ format: TextFormat.nullish(), verbosity: z.string().nullish() }).nullish(),
  max_output_tokens: z.int().min(1).nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  service_tier: z.string().nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  background: z.boolean().nullish(),
  conversation: z.unknown().optional(),
  prompt: z.unknown().optional(),
  truncation: z.string().nullish(),
});

/** A validated request. */
export type ResponsesRequest = z.output<typeof ResponsesRequest>;

/** Text the model wrote. */
export interface OutputText {
  type: "output_text";
  text: string;
  annotations: unknown[];
  logprobs: unknown[];
}

/** A refusal the model wrote. */
export interface OutputRefusal {
  type: "refusal";
  refusal: string;
}

/** An assistant message. */
export interface OutputMessage {
  type: "message";
  id: string;
  role: "assistant";
  status: ItemStatus;
  content: Array<OutputText | OutputRefusal>;
}

/** A function call the model made. */
export interface OutputFunctionCall {
  type: "function_call";
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: ItemStatus;
}

/** Reasoning text (an upstream's `reasoning_content`). */
export interface OutputReasoning {
  type: "reasoning";
  id: string;
  summary: unknown[];
  content: Array<{ type: "reasoning_text"; text: string }>;
  status: ItemStatus;
}

/** One output item. */
export type OutputItem = OutputMessage | OutputFunctionCall | OutputReasoning;

/** The status of one output item. */
export type ItemStatus = "in_progress" | "completed" | "incomplete";

/** Token counts in the Responses API's names. */
export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The Response object (`object: "response"`). */
export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  completed_at: number | null;
  status: "completed" | "failed" | "in_progress" | "incomplete";
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  instructions: string | null;
  model: string;
  output: OutputItem[];
  /** Absent while running, and when the upstream reported none. */
  usage?: ResponseUsage;
  [field: string]: unknown;
}
