/** The tRPC context: the services a procedure may use and what it knows about its caller. */
import type { IncomingMessage } from "node:http";
import type { TRPCRequestInfo } from "@trpc/server/http";
import type { Access, Admin } from "./access/index.js";
import type { GenerationStore } from "./chat/generations.js";
import type { ChatService } from "./chat/service.js";

/** The long-lived services, created once at startup and handed to every request. */
export interface Services {
  chat: ChatService;
  generations: GenerationStore;
  /** Null when no master key is set: the gateway is open, as without keys. */
  access: Access | null;
  /** Key management and usage reports; null with access off. */
  admin: Admin | null;
}

/** Returns the `createContext` the HTTP adapter calls for each request. */
export function createContextFactory(services: Services) {
  return function createContext({ req, info }: { req: IncomingMessage; info?: TRPCRequestInfo }) {
    // Subscriptions (SSE, a GET an EventSource makes) cannot carry headers; their key comes in `connectionParams`.
    return { ...services, headers: req.headers, connectionParams: info?.connectionParams ?? null };
  };
}

/** The context every procedure receives. */
export type Context = Awaited<ReturnType<ReturnType<typeof createContextFactory>>>;
