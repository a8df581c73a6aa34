/** Zod schemas for what the gateway returns, after `CreateChatCompletionResponse` and `CreateChatCompletionStreamResponse`. */
import { z } from "zod";
import { ToolCall } from "./messages.js";

/** Why a choice stopped generating. */
export const FinishReason = z.enum(["stop", "length", "tool_calls", "content_filter", "function_call"]);

const TopLogprob = z.looseObject({ token: z.string(), logprob: z.number(), bytes: z.array(z.int()).nullable() });

/** Log probability of one output token. */
export const TokenLogprob = TopLogprob.extend({ top_logprobs: z.array(TopLogprob) });

/** Per-choice log probabilities. */
export const ChoiceLogprobs = z.looseObject({
  content: z.array(TokenLogprob).nullable(),
  refusal: z.array(TokenLogprob).nullable(),
});

/** Token counts of one request. */
export const Usage = z.looseObject({
  prompt_tokens: z.int(),
  completion_tokens: z.int(),
  total_tokens: z.int(),
  prompt_tokens_details: z.looseObject({}).optional(),
  completion_tokens_details: z.looseObject({}).optional(),
});

/** The assistant message of one choice. */
export const ResponseMessage = z.looseObject({
  role: z.literal("assistant"),
  content: z.string().nullable(),
  refusal: z.string().nullable(),
  tool_calls: z.array(ToolCall).optional(),
  annotations: z.array(z.unknown()).optional(),
});

// The fields a whole completion and a chunk share.
const envelope = {
  id: z.string(),
  created: z.int(),
  model: z.string(),
  system_fingerprint: z.string().nullish(),
  service_tier: z.string().nullish(),
};

/** A whole chat completion (`object: "chat.completion"`). */
export const ChatCompletion = z.looseObject({
  ...envelope,
  object: z.literal("chat.completion"),
  choices: z.array(
    z.looseObject({
      index: z.int(),
      message: ResponseMessage,
      finish_reason: FinishReason,
      logprobs: ChoiceLogprobs.nullable(),
    }),
  ),
  usage: Usage.optional(),
});

const ToolCallDelta = z.looseObject({
  index: z.int(),
  id: z.string().optional(),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
});

/** One streamed chunk (`object: "chat.completion.chunk"`). */
export const ChatCompletionChunk = z.looseObject({
  ...envelope,
  object: z.literal("chat.completion.chunk"),
  choices: z.array(
    z.looseObject({
      index: z.int(),
      delta: z.looseObject({
        role: z.enum(["developer", "system", "user", "assistant", "tool"]).optional(),
        content: z.string().nullish(),
        refusal: z.string().nullish(),
        tool_calls: z.array(ToolCallDelta).optional(),
      }),
      finish_reason: FinishReason.nullable(),
      logprobs: ChoiceLogprobs.nullish(),
    }),
  ),
  usage: Usage.nullish(),
});

/** One model the gateway routes. */
export const Model = z.looseObject({
  id: z.string(),
  object: z.literal("model"),
  created: z.int(),
  owned_by: z.string(),
});

/** The body of `GET /v1/models`. */
export const ModelList = z.looseObject({ object: z.literal("list"), data: z.array(Model) });

/** A whole chat completion. */
export type ChatCompletion = z.infer<typeof ChatCompletion>;
/** One streamed chunk. */
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunk>;
/** Token counts. */
export type Usage = z.infer<typeof Usage>;
/** Log probabilities of one choice. */
export type ChoiceLogprobs = z.infer<typeof ChoiceLogprobs>;
/** Why a choice stopped. */
export type FinishReason = z.infer<typeof FinishReason>;
/** One routable model. */
export type Model = z.infer<typeof Model>;
/** The model list. */
export type ModelList = z.infer<typeof ModelList>;
