/**
 * Type-level checks of the SDK (compiled by `npx tsc --noEmit` and, under stricter settings, by
 * `test/sdk-types.test.ts`): every request field of the spec is a typed field of
 * `ChatCompletionParams` (none `unknown`), a misspelled one is still an error, and the response
 * types carry the vendor fields and open values seen in the wild.
 */
import {
  createLanguruClient,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionParams,
  type FinishReason,
  type RoutedChatCompletion,
  type Usage,
} from "../../client/index.js";
import { everyRequestField } from "../helpers/request-samples.js";

type UnknownFields<T> = { [K in keyof T]-?: unknown extends T[K] ? K : never }[keyof T];
/** No request field is typed `unknown`. */
export const everyFieldTyped: [UnknownFields<ChatCompletionParams>] extends [never] ? true : false = true;

const client = createLanguruClient({ url: "http://127.0.0.1:1", transport: "http" });

/** The fields the SDK lagged on, as an app writes them. */
export async function newFields(): Promise<string> {
  const whole = await client.chat.completions({
    model: "o4-mini",
    messages: [
      { role: "developer", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "hi" },
          { type: "video_url", video_url: { url: "https://example.com/v.mp4" } },
        ],
      },
      { role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "flac" } }] },
    ],
    reasoning_effort: "high",
    service_tier: "flex",
    store: true,
    metadata: { team: "search" },
    prediction: { type: "content", content: "Hello" },
    modalities: ["text", "audio"],
    audio: { voice: "alloy", format: "wav" },
    web_search_options: { search_context_size: "low" },
    max_completion_tokens: 100,
    parallel_tool_calls: false,
    verbosity: "low",
    safety_identifier: "user-1",
    prompt_cache_key: "k",
    stop: ["a", "b", "c", "d", "e"],
    tools: [{ type: "function", function: { name: "github.search_issues", parameters: { type: "object" } } }],
    tool_choice: null,
    response_format: null,
    user: null,
  });
  let text = "";
  for await (const chunk of client.chat.stream(everyRequestField)) text += chunk.choices[0]?.delta.content ?? "";
  // @ts-expect-error a misspelled field is still a compile error
  await client.chat.completions({ model: "m", prompt: "x", reasoning_efort: "high" });
  return text + (whole.choices[0]?.message.content ?? "");
}

/** Vendor fields of responses are typed, not `unknown`. */
export function vendorFields(
  completion: RoutedChatCompletion | ChatCompletion,
  chunk: ChatCompletionChunk,
  usage: Usage,
): Array<string | number | null | undefined> {
  const message = completion.choices[0]?.message;
  const delta = chunk.choices[0]?.delta;
  const reasoning: string | null | undefined = message?.reasoning_content ?? message?.reasoning;
  const streamedReasoning: string | null | undefined = delta?.reasoning_content ?? delta?.reasoning;
  const transcript: string | undefined = message?.audio?.transcript;
  const cached: number | null | undefined = usage.prompt_tokens_details?.cached_tokens;
  const thinking: number | null | undefined = usage.completion_tokens_details?.reasoning_tokens;
  const groq: string | null | undefined = chunk.x_groq?.id;
  const groqUsage: number | undefined = chunk.x_groq?.usage?.total_tokens;
  // Mistral omits a streamed tool call's index.
  const index: number | undefined = delta?.tool_calls?.[0]?.index;
  return [reasoning, streamedReasoning, transcript, cached, thinking, groq, groqUsage, index];
}

/** Values upstreams send that the spec does not list still type-check. */
export const openValues: Array<FinishReason | ChatCompletionChunk> = [
  "error",
  "eos_token",
  // Azure's first chunk: empty `object` and `id`, a choice with no delta content.
  { id: "", object: "", created: 0, model: "", choices: [{ index: 0, delta: {}, finish_reason: null }] },
  {
    id: "c",
    object: "chat.completion.chunk",
    created: 0,
    model: "m",
    choices: [{ index: 0, delta: { tool_calls: [{ id: "t", function: { name: "f", arguments: "{}" } }] }, finish_reason: "error" }],
  },
];
