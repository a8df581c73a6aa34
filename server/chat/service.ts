/**
 * The one chat service behind both doors (tRPC and REST). The doors only translate; every
 * decision (normalizing, routing, and later retries, limits and usage) lives here once.
 */
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, Model } from "../../shared/index.js";
import type { UpstreamRequest } from "../providers/types.js";
import type { ModelRegistry } from "./registry.js";

/** Options of one call; the signal comes from the door and reaches the upstream request. */
export interface CallOptions {
  signal: AbortSignal;
}

/** Chat completions for any routable model. */
export interface ChatService {
  /** One whole completion. */
  complete(request: ChatCompletionRequest, options: CallOptions): Promise<ChatCompletion>;
  /** Opens a stream; settles once the upstream accepted it, so early errors are plain errors. */
  stream(request: ChatCompletionRequest, options: CallOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
  /** Every routable model. */
  models(): Model[];
}

/** Creates the chat service over a model registry. */
export function createChatService(registry: ModelRegistry): ChatService {
  return {
    async complete(request, { signal }) {
      const route = registry.resolve(request.model);
      return route.provider.complete(toUpstream(request, route.upstreamModel), signal);
    },
    async stream(request, { signal }) {
      const route = registry.resolve(request.model);
      return route.provider.stream(toUpstream(request, route.upstreamModel), signal);
    },
    models: () => registry.list(),
  };
}

/** The seed document's `prompt` shorthand becomes one user message; `model` becomes the upstream's name. */
export function toUpstream(request: ChatCompletionRequest, upstreamModel: string): UpstreamRequest {
  const { prompt, messages, ...rest } = request;
  return {
    ...rest,
    model: upstreamModel,
    messages: messages ?? [{ role: "user", content: prompt ?? "" }],
  };
}
