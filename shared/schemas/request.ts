/**
 * Zod schema for a chat completion request, after `CreateChatCompletionRequest` in the OpenAI spec:
 * every property of the spec is a typed field (`test/spec-request-fields.test.ts` holds it to the
 * vendored document), and every optional one accepts `null`, as the official SDKs and LangChain send.
 *
 * What the gateway checks is what it needs to route, meter and stay safe: types, `n` and the token
 * limits (they size the budget reservation), the sampling ranges the echo model uses, and the
 * `prompt`/`messages` exclusion. What the upstream judges passes: counts (`stop` strings), name
 * patterns (tool and schema names), enum members (`reasoning_effort`, `service_tier`) and kinds of
 * tools, formats and content parts it does not know.
 */
import { z } from "zod";
import { JsonInteger } from "../json-integer.js";
import { ChatMessage, TextPart } from "./messages.js";
import { openEnum, otherKind } from "./open.js";

const FunctionDefinition = z.looseObject({
  name: z.string(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

/** A function tool. */
export const FunctionTool = z.looseObject({ type: z.literal("function"), function: FunctionDefinition });

/** A custom (free-form input) tool. */
export const CustomTool = z.looseObject({
  type: z.literal("custom"),
  custom: z.looseObject({
    name: z.string(),
    description: z.string().nullish(),
    format: z.looseObject({ type: openEnum(["text", "grammar"]) }).nullish(),
  }),
});

/** A tool the model may call: a function, a custom tool, or a provider's own kind. */
export const Tool = z.union([FunctionTool, CustomTool, otherKind(["function", "custom"])]);

/** `none` / `auto` / `required`, or a named tool, or an allowed-tools list. */
export const ToolChoice = z.union([
  openEnum(["none", "auto", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
  z.looseObject({ type: z.literal("custom"), custom: z.looseObject({ name: z.string() }) }),
  z.looseObject({
    type: z.literal("allowed_tools"),
    allowed_tools: z.looseObject({
      mode: openEnum(["auto", "required"]),
      tools: z.array(z.record(z.string(), z.unknown())),
    }),
  }),
  otherKind(["function", "custom", "allowed_tools"]),
]);

/** Plain text, JSON mode, Structured Outputs with a JSON schema, or a provider's own format. */
export const ResponseFormat = z.union([
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string(),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
  otherKind(["text", "json_object", "json_schema"]),
]);

// Any number of stop strings: OpenAI takes 4, vLLM and others more; the upstream judges.
const Stop = z.union([z.string(), z.array(z.string()).min(1)]).nullish();
const penalty = z.number().min(-2).max(2).nullish();

/**
 * A seed: any integer, also beyond ±2^53 (`JsonInteger`, the digits a REST body held), which the
 * upstream then gets unchanged. The gateway never computes with it.
 */
const Seed = z.union([z.number().refine(Number.isInteger, { message: "Invalid input: expected an integer" }), z.instanceof(JsonInteger)]);

/** The same seed as a typed client writes it: a JS number cannot hold more than ±2^53 exactly anyway. */
export const IntegerSeed = z.number().refine(Number.isInteger, { message: "Invalid input: expected an integer" });

const Voice = z.union([
  openEnum(["alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "marin", "cedar"]),
  z.looseObject({ id: z.string() }),
]);

const ModerationConfig = z.looseObject({ mode: openEnum(["score", "block"]) }).nullish();

/** Every field of the request; `ChatCompletionParams` makes the typed door's closed variant of them. */
export const requestFields = {
  model: z.string().min(1),
  messages: z.array(ChatMessage).min(1).optional(),
  prompt: z.string().optional(),
  tools: z.array(Tool).nullish(),
  tool_choice: ToolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: ResponseFormat.nullish(),
  n: z.int().min(1).max(128).nullish(),
  stop: Stop,
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  frequency_penalty: penalty,
  presence_penalty: penalty,
  logit_bias: z.record(z.string(), z.int().min(-100).max(100)).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.int().min(0).max(20).nullish(),
  seed: Seed.nullish(),
  max_tokens: z.int().min(1).nullish(),
  max_completion_tokens: z.int().min(1).nullish(),
  user: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish(), include_obfuscation: z.boolean().nullish() }).nullish(),
  store: z.boolean().nullish(),
  reasoning_effort: openEnum(["none", "minimal", "low", "medium", "high", "xhigh"]).nullish(),
  verbosity: openEnum(["low", "medium", "high"]).nullish(),
  service_tier: openEnum(["auto", "default", "flex", "scale", "priority"]).nullish(),
  modalities: z.array(openEnum(["text", "audio"])).nullish(),
  audio: z.looseObject({ voice: Voice, format: openEnum(["wav", "aac", "mp3", "flac", "opus", "pcm16"]) }).nullish(),
  prediction: z.looseObject({ type: openEnum(["content"]), content: z.union([z.string(), z.array(TextPart)]) }).nullish(),
  web_search_options: z
    .looseObject({
      user_location: z
        .looseObject({
          type: openEnum(["approximate"]),
          approximate: z.looseObject({
            city: z.string().nullish(),
            country: z.string().nullish(),
            region: z.string().nullish(),
            timezone: z.string().nullish(),
          }),
        })
        .nullish(),
      search_context_size: openEnum(["low", "medium", "high"]).nullish(),
    })
    .nullish(),
  safety_identifier: z.string().nullish(),
  prompt_cache_key: z.string().nullish(),
  prompt_cache_retention: openEnum(["in_memory", "24h"]).nullish(),
  prompt_cache_options: z.looseObject({ ttl: openEnum(["30m"]).nullish(), mode: openEnum(["implicit", "explicit"]).nullish() }).nullish(),
  moderation: z
    .looseObject({
      model: z.string(),
      policy: z.looseObject({ input: ModerationConfig, output: ModerationConfig }).nullish(),
    })
    .nullish(),
  /** Deprecated in the spec for `tool_choice`; still served by many upstreams. */
  function_call: z.union([openEnum(["none", "auto"]), z.looseObject({ name: z.string() })]).nullish(),
  /** Deprecated in the spec for `tools`. */
  functions: z.array(z.looseObject({ name: z.string(), description: z.string().nullish(), parameters: z.record(z.string(), z.unknown()).nullish() })).nullish(),
};

/** The rules across fields, shared by both doors. */
export function crossFieldRules(
  req: {
    prompt?: string | undefined;
    messages?: unknown;
    stream?: boolean | null | undefined;
    stream_options?: unknown;
    top_logprobs?: number | null | undefined;
    logprobs?: boolean | null | undefined;
  },
  ctx: z.RefinementCtx,
): void {
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
}

/**
 * The request body of `POST /v1/chat/completions` and the input of the tRPC procedures.
 * Fields it does not know are kept and forwarded to the upstream (vLLM and others accept extras).
 * `prompt` is the seed document's shorthand for one user message; it is exclusive with `messages`.
 */
export const ChatCompletionRequest = z.looseObject(requestFields).superRefine(crossFieldRules);

// The REST body as a client writes it: the seed is a number there too (only the door's parser makes `JsonInteger`s).
const ChatCompletionRequestAsWritten = z.looseObject({ ...requestFields, seed: IntegerSeed.nullish() });

/** A chat completion request as the client sends it. */
export type ChatCompletionRequestInput = z.input<typeof ChatCompletionRequestAsWritten>;
/** A chat completion request after validation. */
export type ChatCompletionRequest = z.output<typeof ChatCompletionRequest>;
