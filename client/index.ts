/**
 * The Languru client SDK: `createLanguruClient({ url })` returns a typed client for browsers and
 * Node. Calls and streams go over one WebSocket by default (a stream is one subscription; the key
 * travels in the socket's first message, never in a URL). `transport: "http"` uses HTTP instead:
 * calls are POSTs and a stream is a POST that starts it plus an SSE follow authorised by a token.
 *
 * Node 20 has neither a global WebSocket nor EventSource: pass `WebSocket` from `ws` (or
 * `EventSource` from `eventsource` with `transport: "http"`).
 */
import { createTRPCClient, createWSClient, httpLink, httpSubscriptionLink, splitLink, wsLink, type TRPCClient, type TRPCLink } from "@trpc/client";
import superjson from "superjson";
import { toLanguruError } from "./errors.js";
import { oneCallPerLineEncoder, oneCallPerMessage } from "./one-call-per-message.js";
import { sendingNow } from "./send-now.js";
import { followChunks, type StreamOptions, type StreamSource } from "./stream.js";
import type { AppRouter, ChatCompletionChunk, ChatCompletionParams, ModelList, RoutedChatCompletion } from "./types.js";

export { ConnectionError } from "./errors.js";
export * from "../shared/errors.js";
export type * from "./types.js";
export type { StreamOptions } from "./stream.js";

/** A constructor shaped like the standard EventSource. */
export type EventSourceConstructor = typeof globalThis.EventSource;
/** A WebSocket class: the browser's, Node 22's global one, or the `ws` package's (Node 20). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => object;

/** Options of `createLanguruClient`. */
export interface LanguruClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8680`. */
  url: string;
  /** The API key, when the gateway requires keys: a header over HTTP, the connection message over WebSocket. */
  apiKey?: string;
  /**
   * `websocket` (the default where a WebSocket exists: browsers, Node 22+, or one passed in): one
   * socket for everything. `http` (the default otherwise, e.g. Node 20 without `ws`): POSTs, and SSE
   * for streams.
   */
  transport?: "websocket" | "http";
  /** A WebSocket implementation; Node 20 has none built in (`import { WebSocket } from "ws"`). */
  WebSocket?: WebSocketConstructor;
  /** HTTP transport: an EventSource implementation; Node 20 has none (`import { EventSource } from "eventsource"`). */
  EventSource?: EventSourceConstructor;
  /** HTTP transport: a custom fetch (tests, proxies, edge runtimes). */
  fetch?: typeof globalThis.fetch;
  /** Give up a stream whose connection kept failing this long (ms). Default 30 s. */
  reconnectTimeoutMs?: number;
}

/** Options of one non-streamed call. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The typed client. `trpc` is the raw tRPC client for anything not wrapped here. */
export interface LanguruClient {
  chat: {
    /** One whole completion. */
    completions(request: ChatCompletionParams, options?: CallOptions): Promise<RoutedChatCompletion>;
    /** The completion as it is generated; break out of the loop or abort to stop it upstream. */
    stream(request: ChatCompletionParams, options?: StreamOptions): AsyncGenerator<ChatCompletionChunk>;
  };
  models: {
    /** Every model the gateway routes. */
    list(options?: CallOptions): Promise<ModelList>;
  };
  trpc: TRPCClient<AppRouter>;
  /** Closes the WebSocket (a Node script then exits); later calls open a new one. */
  close(): Promise<void>;
}

/** Creates a typed client for one gateway. */
export function createLanguruClient(options: LanguruClientOptions | string): LanguruClient {
  const opts = typeof options === "string" ? { url: options } : options;
  const transport = opts.transport ?? ((opts.WebSocket ?? globalThis.WebSocket) ? "websocket" : "http");
  const { link, close } = transport === "http" ? httpTransport(opts) : socketTransport(opts);
  const trpc = createTRPCClient<AppRouter>({ links: [link] });
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
      completions: (request, o = {}) => call(() => sendingNow(() => trpc.chat.completions.mutate(request, { signal: o.signal })), o.signal),
      stream: (request, o = {}) => (transport === "http" ? streamOverHttp(trpc, request, o, settings) : followChunks(socketStream(trpc, request), o, settings)),
    },
    models: { list: (o = {}) => call(() => sendingNow(() => trpc.models.list.query(undefined, { signal: o.signal })), o.signal) },
    trpc,
    close,
  };
}

/**
 * superjson, as the gateway speaks it. Answers are decoded in place: tRPC has just parsed them off
 * the wire, so superjson's defensive deep copy of every message (and every stream batch) buys
 * nothing. Inputs keep superjson's copy: a stream's input is sent again on a reconnect, and must be
 * the request as it was when the call was made, not an array the app has since appended to.
 */
const wire = {
  input: superjson,
  output: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: (payload: unknown) => superjson.deserialize(payload as Parameters<typeof superjson.deserialize>[0], { inPlace: true }),
  },
};

/** `ws(s)://host/trpc` for `http(s)://host`. */
function trpcURL(base: string, scheme: "http" | "ws"): string {
  const url = `${base.replace(/\/+$/, "")}/trpc`;
  return scheme === "ws" ? url.replace(/^http/, "ws") : url;
}

function socketTransport(opts: LanguruClientOptions): { link: TRPCLink<AppRouter>; close: () => Promise<void> } {
  // `ws`'s class is typed apart from the DOM's but behaves the same for tRPC's client.
  const WebSocketImpl = (opts.WebSocket ?? globalThis.WebSocket) as typeof globalThis.WebSocket | undefined;
  if (!WebSocketImpl) throw new TypeError('no WebSocket in this runtime: pass `WebSocket` (Node 20: from the `ws` package) or use `transport: "http"`');
  const client = createWSClient({
    url: trpcURL(opts.url, "ws"),
    // One call per message: the gateway refuses batches.
    WebSocket: oneCallPerMessage(WebSocketImpl),
    experimental_encoder: oneCallPerLineEncoder,
    // Sent as the socket's first message, not in its URL.
    connectionParams: opts.apiKey ? { apiKey: opts.apiKey } : undefined,
    // Idle sockets close by themselves, so a script that forgot `close()` still exits.
    lazy: { enabled: true, closeMs: 10_000 },
  });
  return { link: wsLink<AppRouter>({ client, transformer: wire }), close: () => client.close() };
}

function httpTransport(opts: LanguruClientOptions): { link: TRPCLink<AppRouter>; close: () => Promise<void> } {
  const url = trpcURL(opts.url, "http");
  const link = splitLink<AppRouter>({
    condition: (op) => op.type === "subscription",
    // No key here: an SSE URL would carry it. `chat.stream` is authorised by the token `chat.start` returned.
    true: httpSubscriptionLink({ url, transformer: wire, EventSource: opts.EventSource ?? globalThis.EventSource }),
    false: httpLink({ url, transformer: wire, headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}, fetch: opts.fetch }),
  });
  return { link, close: async () => undefined };
}

/** WebSocket: the stream is one subscription (each event a batch of chunks); stopping it cancels the generation on the gateway. */
function socketStream(trpc: TRPCClient<AppRouter>, request: ChatCompletionParams): StreamSource {
  return {
    open: (observer) =>
      sendingNow(() => trpc.chat.generate.subscribe({ ...request, stream: true }, { ...observer, onData: (event) => observer.onChunks(event.data) })),
  };
}

/** HTTP: a POST starts the generation, an SSE subscription follows it, `chat.cancel` stops it early. */
async function* streamOverHttp(
  trpc: TRPCClient<AppRouter>,
  request: ChatCompletionParams,
  options: StreamOptions,
  settings: { reconnectTimeoutMs: number },
): AsyncGenerator<ChatCompletionChunk> {
  const signal = options.signal;
  signal?.throwIfAborted();
  let started: { id: string; token: string };
  try {
    started = await trpc.chat.start.mutate({ ...request, stream: true }, { signal });
  } catch (err) {
    throw signal?.aborted ? signal.reason : toLanguruError(err);
  }
  const { id, token } = started;
  yield* followChunks(
    {
      open: (observer) => trpc.chat.stream.subscribe({ id, token }, { ...observer, onData: (event) => observer.onChunks([event.data]) }),
      cancel: () => void trpc.chat.cancel.mutate({ id }).catch(() => undefined),
    },
    options,
    settings,
  );
}
