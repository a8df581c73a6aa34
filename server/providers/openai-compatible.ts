/**
 * The provider for every OpenAI-compatible upstream (OpenAI, Azure, Ollama, vLLM, Groq, OpenRouter):
 * one kind, parameterised by base URL, key and headers, driven by the `openai` SDK, which already
 * parses SSE into typed chunks.
 */
import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionChunk } from "../../shared/index.js";
import type { ProviderSettings } from "../config.js";
import type { Provider, UpstreamRequest } from "./types.js";
import { fromUpstreamError } from "./upstream-errors.js";

type SdkBody = OpenAI.Chat.ChatCompletionCreateParams;

/** Creates a provider for one configured upstream. */
export function createOpenAICompatibleProvider(settings: ProviderSettings): Provider {
  const client = new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL,
    defaultHeaders: settings.headers,
    timeout: settings.timeoutMs,
    // One retry loop lives in the gateway; the SDK's own would hide failures from it.
    maxRetries: 0,
  });
  const identity = { name: settings.name, secrets: [settings.apiKey] };
  const fail = (err: unknown): never => {
    throw fromUpstreamError(err, identity);
  };

  return {
    name: settings.name,
    async complete(request, signal) {
      const body = { ...request, stream: false } as SdkBody;
      const result = await client.chat.completions.create(body as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, { signal }).catch(fail);
      return result as ChatCompletion;
    },
    async stream(request, signal) {
      const body = { ...request, stream: true } as OpenAI.Chat.ChatCompletionCreateParamsStreaming;
      const stream = await client.chat.completions.create(body, { signal }).catch(fail);
      return mapErrors(stream as AsyncIterable<ChatCompletionChunk>, fail);
    },
  };
}

async function* mapErrors(stream: AsyncIterable<ChatCompletionChunk>, fail: (err: unknown) => never): AsyncGenerator<ChatCompletionChunk> {
  try {
    yield* stream;
  } catch (err) {
    fail(err);
  }
}

/** The upstream request body as the SDK types it, for providers that need it. */
export type { UpstreamRequest };
