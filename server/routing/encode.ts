/**
 * A request prepared once for every attempt: the `prompt` shorthand becomes messages, and the body
 * is serialized once, so each deployment only splices in its own model name. A request that cannot
 * be serialized (a BigInt, a cycle, nesting deeper than JSON.stringify allows) is the caller's 400.
 */
import { InvalidRequestError, type ChatCompletionRequest } from "../../shared/index.js";
import { withExactIntegers } from "../../shared/json-integer.js";
import type { UpstreamRequest } from "../providers/types.js";

/** The seed document's `prompt` shorthand becomes one user message; anything else is returned as is. */
export function normalizeRequest(request: ChatCompletionRequest): ChatCompletionRequest & { messages: NonNullable<ChatCompletionRequest["messages"]> } {
  if (request.messages && request.prompt === undefined) return request as ChatCompletionRequest & { messages: NonNullable<ChatCompletionRequest["messages"]> };
  const { prompt, messages, ...rest } = request;
  return { ...rest, messages: messages ?? [{ role: "user", content: prompt ?? "" }] };
}

/** A normalized request and its body for any upstream model name. */
export interface EncodedRequest {
  /** The request for a deployment whose upstream model is `model`. */
  request(model: string): UpstreamRequest;
  /** The JSON body for that deployment. */
  body(model: string): string;
}

/** Normalizes and serializes once; throws InvalidRequestError when the request is not serializable. */
export function encodeRequest(input: ChatCompletionRequest, stream: boolean): EncodedRequest {
  // A whole completion's body says `stream` only when the client did: the upstream's default is no stream.
  const normalized = normalizeRequest(input);
  const { model: _model, prompt: _prompt, ...rest } = stream ? { ...normalized, stream } : normalized;
  let tail: string;
  try {
    // Integers beyond ±2^53 the client sent (a `seed`) go out as its own digits.
    tail = withExactIntegers(JSON.stringify(rest)).slice(1);
  } catch (err) {
    throw new InvalidRequestError(`The request cannot be serialized as JSON: ${err instanceof Error ? err.message : "unknown reason"}.`);
  }
  return {
    request: (model) => ({ ...rest, model }) as UpstreamRequest,
    // `rest` always has `messages`, so the tail is never just "}".
    body: (model) => `{"model":${JSON.stringify(model)},${tail}`,
  };
}
