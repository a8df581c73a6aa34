/** The tRPC context: the services a procedure may use and what it knows about its caller. */
import type { IncomingMessage } from "node:http";
import type { GenerationStore } from "./chat/generations.js";
import type { ChatService } from "./chat/service.js";

/** The long-lived services, created once at startup and handed to every request. */
export interface Services {
  chat: ChatService;
  generations: GenerationStore;
}

/** Returns the `createContext` the HTTP adapter calls for each request. */
export function createContextFactory(services: Services) {
  return function createContext({ req }: { req: IncomingMessage }) {
    return { ...services, headers: req.headers };
  };
}

/** The context every procedure receives. */
export type Context = Awaited<ReturnType<ReturnType<typeof createContextFactory>>>;
