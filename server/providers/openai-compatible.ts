/**
 * The provider for every OpenAI-compatible upstream (OpenAI, Azure, Ollama, vLLM, Groq, OpenRouter):
 * one kind, parameterised by base URL, key and headers, driven by the `openai` SDK, which already
 * parses SSE into typed chunks.
 */
import OpenAI, { APIError, APIUserAbortError } from "openai";
import { Agent, fetch as undiciFetch } from "undici";
import { TimeoutError, UpstreamError, isRecord, type ChatCompletion, type ChatCompletionChunk } from "../../shared/index.js";
import type { ProviderSettings } from "../config.js";
import type { Provider, UpstreamRequest } from "./types.js";
import { fromUpstreamError } from "./upstream-errors.js";
import { log } from "../log.js";

/** Creates a provider for one configured upstream. */
export function createOpenAICompatibleProvider(settings: ProviderSettings): Provider {
  // A connection pool of its own, so that shutdown and config reloads can close its sockets.
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const client = new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL,
    defaultHeaders: settings.headers,
    timeout: settings.timeoutMs,
    // One retry loop lives in the gateway; the SDK's own would hide failures from it.
    maxRetries: 0,
    fetch: undiciFetch as unknown as typeof globalThis.fetch,
    fetchOptions: { dispatcher: agent } as OpenAI.RequestOptions["fetchOptions"],
    // The SDK's own complaints (malformed SSE, ...) go to our log, not to stderr.
    logger: log.child({ provider: settings.name }),
    logLevel: "warn",
  });
  const identity = { name: settings.name, secrets: [settings.apiKey] };
  // The SDK's `timeout` stops at the response headers; this one also covers the body and every chunk.
  const watch = (signal: AbortSignal) => watchdog(signal, settings.timeoutMs);
  const failure = (err: unknown, dog: Watchdog) => (dog.expired ? new TimeoutError(`upstream '${settings.name}' timed out`) : fromUpstreamError(err, identity));

  return {
    name: settings.name,
    async complete(request, signal) {
      const dog = watch(signal);
      try {
        const body = { ...request, stream: false } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
        return asCompletion(await client.chat.completions.create(body, { signal: dog.signal }), settings.name);
      } catch (err) {
        throw failure(err, dog);
      } finally {
        dog.stop();
      }
    },
    async stream(request, signal) {
      const dog = watch(signal);
      const body = { ...request, stream: true } as OpenAI.Chat.ChatCompletionCreateParamsStreaming;
      const stream = await client.chat.completions.create(body, { signal: dog.signal }).catch((err: unknown) => {
        dog.stop();
        throw failure(err, dog);
      });
      return watchChunks(stream as AsyncIterable<ChatCompletionChunk>, { dog, caller: signal, failure });
    },
    async listModels(signal) {
      try {
        const ids: string[] = [];
        for await (const model of client.models.list({ signal })) ids.push(model.id);
        return ids;
      } catch (err) {
        throw fromUpstreamError(err, identity);
      }
    },
    async close() {
      await agent.close();
    },
  };
}

/**
 * Yields the upstream's chunks with the watchdog running only while waiting for the next one (a slow
 * client is not the upstream's silence). The SDK ends a stream quietly when its signal aborts; here
 * that end becomes the error it is, so a cut stream never looks complete.
 */
async function* watchChunks(
  stream: AsyncIterable<ChatCompletionChunk>,
  options: { dog: Watchdog; caller: AbortSignal; failure: (err: unknown, dog: Watchdog) => Error },
): AsyncGenerator<ChatCompletionChunk> {
  const { dog, caller, failure } = options;
  try {
    for await (const chunk of stream) {
      dog.pause();
      yield chunk;
      dog.restart();
    }
  } catch (err) {
    throw failure(err, dog);
  } finally {
    dog.stop();
  }
  if (dog.expired || caller.aborted) throw failure(new APIUserAbortError(), dog);
}

/** A whole completion, or a 502: some upstreams answer 200 with an HTML page, nothing, or an error body. */
function asCompletion(result: unknown, provider: string): ChatCompletion {
  if (isRecord(result) && isRecord(result.error)) throw new APIError(undefined, result.error, undefined, undefined);
  if (isRecord(result) && Array.isArray(result.choices)) return result as ChatCompletion;
  throw new UpstreamError(`upstream '${provider}' answered with something that is not a chat completion`);
}

interface Watchdog {
  /** Aborts when the caller aborts or the watchdog expires. */
  signal: AbortSignal;
  /** True once `ms` passed while running. */
  readonly expired: boolean;
  pause(): void;
  restart(): void;
  stop(): void;
}

/** A signal that follows `caller` and also aborts after `ms` of running time without a restart. */
function watchdog(caller: AbortSignal, ms: number): Watchdog {
  const controller = new AbortController();
  let expired = false;
  let running = true;
  // One timer per call, re-armed with refresh() per chunk: a new setTimeout per chunk costs more.
  const timer = setTimeout(function expire() {
    if (!running) return;
    expired = true;
    controller.abort();
  }, ms);
  const follow = () => controller.abort(caller.reason);
  if (caller.aborted) follow();
  else caller.addEventListener("abort", follow, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    pause() {
      running = false;
    },
    restart() {
      running = true;
      timer.refresh();
    },
    stop() {
      running = false;
      clearTimeout(timer);
      caller.removeEventListener("abort", follow);
    },
  };
}

/** The upstream request body as the SDK types it, for providers that need it. */
export type { UpstreamRequest };
