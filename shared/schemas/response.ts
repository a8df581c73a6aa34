/**
 * Zod schemas for what the gateway returns, after `CreateChatCompletionResponse` and
 * `CreateChatCompletionStreamResponse`. They type what upstreams send in the wild, not only what
 * the spec lists: vendor fields seen in real answers are typed optional fields (`reasoning_content`,
 * `x_groq`, usage details), `finish_reason` and a chunk's `object` are open strings (Azure's first
 * chunk has `object: ""`), and a streamed tool call may lack `index` (Mistral).
 */
import { z } from "zod";
import { ToolCall } from "./messages.js";
import { openEnum } from "./open.js";

/** Why a choice stopped generating: the spec's reasons, `error` (vLLM, OpenRouter), or another upstream's own. */
export const FinishReason = openEnum(["stop", "length", "tool_calls", "content_filter", "function_call", "error"]);

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
  prompt_tokens_details: z
    .looseObject({
      cached_tokens: z.int().nullish(),
      audio_tokens: z.int().nullish(),
    })
    .nullish(),
  completion_tokens_details: z
    .looseObject({
      reasoning_tokens: z.int().nullish(),
      audio_tokens: z.int().nullish(),
      accepted_prediction_tokens: z.int().nullish(),
      rejected_prediction_tokens: z.int().nullish(),
    })
    .nullish(),
});

/** Audio the model spoke (`modalities: ["audio"]`). */
export const ResponseAudio = z.looseObject({
  id: z.string(),
  data: z.string(),
  expires_at: z.int(),
  transcript: z.string(),
});

// Reasoning text, as DeepSeek and vLLM (`reasoning_content`) or OpenRouter and Groq (`reasoning`) send it.
const reasoning = { reasoning_content: z.string().nullish(), reasoning: z.string().nullish() };

/** The assistant message of one choice. */
export const ResponseMessage = z.looseObject({
  role: z.literal("assistant"),
  content: z.string().nullable(),
  refusal: z.string().nullable(),
  tool_calls: z.array(ToolCall).optional(),
  annotations: z.array(z.unknown()).optional(),
  audio: ResponseAudio.nullish(),
  function_call: z.looseObject({ name: z.string(), arguments: z.string() }).nullish(),
  ...reasoning,
});

/** Groq's extra block: its request id, and in a stream's last chunk the usage. */
export const GroqExtras = z.looseObject({ id: z.string().nullish(), usage: Usage.nullish() });

// The fields a whole completion and a chunk share.
const envelope = {
  id: z.string(),
  created: z.int(),
  model: z.string(),
  system_fingerprint: z.string().nullish(),
  service_tier: z.string().nullish(),
  x_groq: GroqExtras.nullish(),
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
  // Mistral omits it (one call per chunk).
  index: z.int().optional(),
  id: z.string().nullish(),
  type: openEnum(["function"]).nullish(),
  function: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
});

/** One streamed chunk (`object: "chat.completion.chunk"`). */
export const ChatCompletionChunk = z.looseObject({
  ...envelope,
  // Azure's first chunk (prompt filter results) has `object: ""`.
  object: openEnum(["chat.completion.chunk"]),
  choices: z.array(
    z.looseObject({
      index: z.int(),
      delta: z.looseObject({
        role: z.enum(["developer", "system", "user", "assistant", "tool"]).optional(),
        content: z.string().nullish(),
        refusal: z.string().nullish(),
        tool_calls: z.array(ToolCallDelta).nullish(),
        function_call: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }).nullish(),
        audio: ResponseAudio.partial().nullish(),
        ...reasoning,
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
