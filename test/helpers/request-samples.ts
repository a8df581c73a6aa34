/**
 * One spec-valid value for every property of `CreateChatCompletionRequest` (the vendored OpenAPI
 * document), typed as the SDK's `ChatCompletionParams`: a property the SDK does not type is a
 * compile error here, and `test/spec-request-fields.test.ts` fails when the spec gains a property
 * this object lacks.
 */
import type { ChatCompletionParams } from "../../client/index.js";

/** Every request property of the spec, each with a value the spec accepts. */
export const everyRequestField = {
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  metadata: { team: "search" },
  top_logprobs: 2,
  temperature: 0.5,
  top_p: 0.9,
  user: "user-1234",
  safety_identifier: "safety-1234",
  prompt_cache_key: "cache-1234",
  prompt_cache_retention: "24h",
  prompt_cache_options: { ttl: "30m", mode: "implicit" },
  service_tier: "flex",
  modalities: ["text"],
  verbosity: "low",
  reasoning_effort: "high",
  max_completion_tokens: 50,
  frequency_penalty: 0.1,
  presence_penalty: 0.2,
  web_search_options: { search_context_size: "low", user_location: { type: "approximate", approximate: { city: "Paris", country: "FR" } } },
  response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } },
  audio: { voice: "alloy", format: "mp3" },
  store: false,
  moderation: { model: "omni-moderation-latest" },
  stream: true,
  stop: ["\n\n"],
  logit_bias: { "50256": -100 },
  logprobs: true,
  max_tokens: 50,
  n: 1,
  prediction: { type: "content", content: "Hello" },
  seed: 42,
  stream_options: { include_usage: true },
  tools: [{ type: "function", function: { name: "get_weather", description: "Weather of a city", parameters: { type: "object", properties: {} } } }],
  tool_choice: "auto",
  parallel_tool_calls: true,
  function_call: "auto",
  functions: [{ name: "lookup", parameters: { type: "object", properties: {} } }],
} satisfies ChatCompletionParams;

/** The optional properties (all but `model` and `messages`). */
export const optionalRequestFields = Object.keys(everyRequestField).filter((key) => key !== "model" && key !== "messages");
