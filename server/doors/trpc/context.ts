/** The tRPC context: the services a procedure may use and what it knows about its caller. */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { CreateWSSContextFnOptions } from "@trpc/server/adapters/ws";
import type { TRPCRequestInfo } from "@trpc/server/http";
import { type Access, type Admin, keyFromHeaders } from "../../access/index.js";
import type { GenerationStore } from "../../chat/generations.js";
import type { ChatService } from "../../chat/service.js";
import type { StreamTickets } from "../../chat/stream-tickets.js";
import { recordOf, type RequestRecord, type SocketCallTracker } from "../../observability/index.js";
import { socketInfo } from "./ws/door.js";

/** The long-lived services, created once at startup and handed to every request. */
export interface Services {
  chat: ChatService;
  generations: GenerationStore;
  /** Follow tickets for SSE followers, which carry no key. */
  tickets: StreamTickets;
  /** Null when no master key is set: the gateway is open, as without keys. */
  access: Access | null;
  /** Key management and usage reports; null with access off. */
  admin: Admin | null;
  /** Logs and counts each WebSocket call as a request of its own (HTTP requests are tracked by the server). */
  trackCall: SocketCallTracker | null;
}

/** The WebSocket a call came on: lets a subscription tell an explicit stop from a dropped connection. */
export interface SocketInfo {
  /** True while the connection is open (a stop message arrived on it, rather than it closing). */
  isOpen(): boolean;
  /** Marks a stream open on this socket until the returned function is called (shutdown waits for it). */
  holdStream(): () => void;
  /**
   * Null while the socket takes more; else settles once the peer read what is queued (or the
   * socket closed, or `signal` aborted). A client that stops reading must not make us queue a
   * stream's whole output for it: its generation is already buffered once.
   */
  whenWritable(signal: AbortSignal): Promise<void> | null;
  /**
   * Admits a call on this socket (`ws-call-bounds.ts`): resolves with the function that ends it
   * (once answered, or once its stream ended), or rejects with its refusal (too many in flight, or
   * too many without a valid key).
   */
  admitCall(): Promise<() => void>;
  /** A call's key check on this socket came out valid (true) or refused (false). */
  keyChecked(valid: boolean): void;
}

/** The context every procedure receives. */
export interface Context extends Services {
  headers: IncomingHttpHeaders;
  /**
   * The WebSocket's first message (its `apiKey` authenticates a browser, which cannot set headers
   * on a socket). Always null over HTTP: there it would come from the URL, and no key goes in a URL.
   */
  connectionParams: TRPCRequestInfo["connectionParams"];
  /** Set over WebSocket, null over HTTP. */
  socket: SocketInfo | null;
  /** The call's request record (access log, metrics): the HTTP request's, or one per WebSocket call (set by a middleware). */
  record: RequestRecord | null;
}

/** The key a call presents: a header (`Authorization: Bearer`, `api-key`), or the WebSocket's `connectionParams.apiKey`. */
export function presentedKey(ctx: Pick<Context, "headers" | "connectionParams">): string | null {
  return keyFromHeaders(ctx.headers) ?? ctx.connectionParams?.apiKey ?? null;
}

/** Returns the `createContext` functions of the HTTP and the WebSocket adapters. */
export function createContextFactory(services: Services) {
  return {
    /** HTTP: headers only; `connectionParams` in the URL are ignored. */
    http({ req }: { req: IncomingMessage }): Context {
      return { ...services, headers: req.headers, connectionParams: null, socket: null, record: recordOf(req) ?? null };
    },
    /** WebSocket: created once per connection, after its `connectionParams` message. */
    ws({ req, res, info }: CreateWSSContextFnOptions): Context {
      const socket = socketInfo(res);
      const ctx: Context = { ...services, headers: req.headers, connectionParams: info.connectionParams, socket, record: null };
      // The socket's key, checked once: calls on a socket without a valid one are bounded.
      if (services.access) socket.checkKey(services.access.authenticate(presentedKey(ctx)));
      return ctx;
    },
  };
}
