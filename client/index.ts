/**
 * The Languru client SDK: `createLanguruClient(url)` returns a typed client for Node 20 and
 * browsers. Non-streamed calls go over HTTP POST; streams start with a POST and follow over SSE.
 *
 * In Node 20 (no global EventSource) pass one: `import { EventSource } from "eventsource"`.
 */
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";
import superjson from "superjson";
import type { ChatCompletionChunk, ChatCompletionRequestInput, ModelList } from "../shared/index.js";
import type { AppRouter } from "../server/routers/_app.js";
import { toLanguruError } from "./errors.js";
import { streamChat, type StreamOptions } from "./stream.js";

export { ConnectionError } from "./errors.js";
// Errors and types only: re-exporting the zod schemas would put all of zod in every browser bundle.
// Apps that want the schemas import `languru/shared`.
export * from "../shared/errors.js";
export type * from "../shared/schemas/messages.js";
export type * from "../shared/schemas/request.js";
export type * from "../shared/schemas/response.js";

/** A constructor shaped like the standard EventSource. */
export type EventSourceConstructor = typeof globalThis.EventSource;

/** Options of `createLanguruClient`. */
export interface LanguruClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8680`. */
  url: string;
  /** Sent as `Authorization: Bearer <key>` when the gateway requires keys. */
  apiKey?: string;
  /** A custom fetch (tests, proxies, edge runtimes). */
  fetch?: typeof globalThis.fetch;
  /** An EventSource implementation; required in Node 20, which has none. */
  EventSource?: EventSourceConstructor;
  /** Give up a stream whose connection kept failing this long (ms). Default 30 s. */
  reconnectTimeoutMs?: number;
}

/** A whole completion plus `languru: { model, deployment, attempts }`: which deployment answered. */
export type RoutedChatCompletion = inferRouterOutputs<AppRouter>["chat"]["completions"];

/** Options of one non-streamed call. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The typed client. `trpc` is the raw tRPC client for anything not wrapped here. */
export interface LanguruClient {
  chat: {
    /** One whole completion. */
    completions(request: ChatCompletionRequestInput, options?: CallOptions): Promise<RoutedChatCompletion>;
    /** The completion as it is generated; break out of the loop or abort to stop it upstream. */
    stream(request: ChatCompletionRequestInput, options?: StreamOptions): AsyncGenerator<ChatCompletionChunk>;
  };
  models: {
    /** Every model the gateway routes. */
    list(options?: CallOptions): Promise<ModelList>;
  };
  trpc: TRPCClient<AppRouter>;
}

/** Creates a typed client for one gateway. */
export function createLanguruClient(options: LanguruClientOptions | string): LanguruClient {
  const opts = typeof options === "string" ? { url: options } : options;
  const url = `${opts.url.replace(/\/+$/, "")}/trpc`;
  const headers = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
  const trpc = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource: opts.EventSource ?? globalThis.EventSource,
          // A native EventSource cannot send headers; the key travels as a connection parameter.
          connectionParams: opts.apiKey ? { apiKey: opts.apiKey } : undefined,
        }),
        false: httpLink({ url, transformer: superjson, headers, fetch: opts.fetch }),
      }),
    ],
  });
  const settings = { reconnectTimeoutMs: opts.reconnectTimeoutMs ?? 30_000 };
  const call = async <T>(run: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw signal?.aborted ? signal.reason : toLanguruError(err);
    }
  };

  return {
    chat: {
      completions: (request, o = {}) => call(() => trpc.chat.completions.mutate(request, { signal: o.signal }), o.signal),
      stream: (request, o = {}) => streamChat(trpc, request, o, settings),
    },
    models: { list: (o = {}) => call(() => trpc.models.list.query(undefined, { signal: o.signal }), o.signal) },
    trpc,
  };
}
