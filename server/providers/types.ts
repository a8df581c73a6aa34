/** What every provider implements: one whole completion, or a stream of chunks. */
import type { IncomingHttpHeaders } from "node:http";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatMessage } from "../../shared/index.js";

/** A validated request after normalization: `messages` always present, `model` the upstream's name. */
// An intersection, not Omit: Omit over a loose (index-signature) object type drops the known keys.
export type UpstreamRequest = ChatCompletionRequest & { messages: ChatMessage[]; prompt?: undefined };

/** What one upstream call carries besides the request. */
export interface UpstreamCallOptions {
  /** The client's request headers; the provider forwards the ones its configuration allows. */
  clientHeaders?: IncomingHttpHeaders;
  /** Receives the upstream's response headers as soon as they arrived (an error answer's too). */
  answered?(headers: Record<string, string>): void;
}

/** A kind of upstream. Implementations throw LanguruError (never raw SDK errors). */
export interface Provider {
  /** The provider's configured name; `owned_by` in the model list. */
  readonly name: string;
  /** The provider's own bound on one upstream wait (ms), which the attempt pipeline folds into its timers. */
  readonly timeoutMs?: number;
  /** One whole completion; `encoded` is the request already serialized as the upstream body, when the caller has it. */
  complete(request: UpstreamRequest, signal: AbortSignal, encoded?: string, call?: UpstreamCallOptions): Promise<ChatCompletion>;
  /**
   * Opens a stream. The promise settles once the upstream accepted the request, so that errors
   * before the first chunk (bad request, unknown model, rate limit) become a plain HTTP error.
   */
  stream(request: UpstreamRequest, signal: AbortSignal, encoded?: string, call?: UpstreamCallOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
  /** The upstream's own model ids (`GET /models`), for discovery. */
  listModels?(signal: AbortSignal): Promise<string[]>;
  /** Closes the provider's connections (shutdown, or a reload retiring it). */
  close?(): Promise<void>;
}
