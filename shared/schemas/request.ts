/** Zod schema for a chat completion request, after `CreateChatCompletionRequest` in the OpenAI spec. */
import { z } from "zod";
import { ChatMessage } from "./messages.js";

const FunctionDefinition = z.looseObject({
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-zA-Z0-9_-]+$/, "must be a-z, A-Z, 0-9, underscores or dashes"),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  strict: z.boolean().nullish(),
});

/** A tool the model may call. */
export const Tool = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("function"), function: FunctionDefinition }),
  z.looseObject({
    type: z.literal("custom"),
    custom: z.looseObject({ name: z.string().min(1), description: z.string().optional() }),
  }),
]);

/** `none` / `auto` / `required`, or a named tool, or an allowed-tools list. */
export const ToolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
  z.looseObject({ type: z.literal("custom"), custom: z.looseObject({ name: z.string() }) }),
  z.looseObject({
    type: z.literal("allowed_tools"),
    allowed_tools: z.looseObject({
      mode: z.enum(["auto", "required"]),
      tools: z.array(z.record(z.string(), z.unknown())),
    }),
  }),
]);

/** Plain text, JSON mode, or Structured Outputs with a JSON schema. */
export const ResponseFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[a-zA-Z0-9_-]+$/, "must be a-z, A-Z, 0-9, underscores or dashes"),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const Stop = z.union([z.string(), z.array(z.string()).min(1).max(4)]).nullish();
const penalty = z.number().min(-2).max(2).nullish();

/**
 * The request body of `POST /v1/chat/completions` and the input of the tRPC procedures.
 * Fields it does not know are kept and forwarded to the upstream (vLLM and others accept extras).
 * `prompt` is the seed document's shorthand for one user message; it is exclusive with `messages`.
 */
export const ChatCompletionRequest = z
  .looseObject({
    model: z.string().min(1),
    messages: z.array(ChatMessage).min(1).optional(),
    prompt: z.string().optional(),
    tools: z.array(Tool).optional(),
    tool_choice: ToolChoice.optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: ResponseFormat.optional(),
    n: z.int().min(1).max(128).nullish(),
    stop: Stop,
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    frequency_penalty: penalty,
    presence_penalty: penalty,
    logit_bias: z.record(z.string(), z.int().min(-100).max(100)).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.int().min(0).max(20).nullish(),
    seed: z.int().nullish(),
    max_tokens: z.int().min(1).nullish(),
    max_completion_tokens: z.int().min(1).nullish(),
    user: z.string().optional(),
    metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  })
  .superRefine((req, ctx) => {
    if (req.prompt !== undefined && req.messages !== undefined) {
      ctx.addIssue({ code: "custom", path: ["prompt"], message: "give either `prompt` or `messages`, not both" });
    }
    if (req.prompt === undefined && req.messages === undefined) {
      ctx.addIssue({ code: "custom", path: ["messages"], message: "`messages` is required (a non-empty array)" });
    }
    if (req.stream_options != null && req.stream !== true) {
      ctx.addIssue({ code: "custom", path: ["stream_options"], message: "`stream_options` is only allowed when `stream` is true" });
    }
    if (req.top_logprobs != null && req.logprobs !== true) {
      ctx.addIssue({ code: "custom", path: ["top_logprobs"], message: "`logprobs` must be true when `top_logprobs` is set" });
    }
    if (req.metadata != null && Object.keys(req.metadata).length > 16) {
      ctx.addIssue({ code: "custom", path: ["metadata"], message: "`metadata` holds at most 16 pairs" });
    }
  });

/** A chat completion request as the client sends it. */
export type ChatCompletionRequestInput = z.input<typeof ChatCompletionRequest>;
/** A chat completion request after validation. */
export type ChatCompletionRequest = z.output<typeof ChatCompletionRequest>;
