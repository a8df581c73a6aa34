/**
 * The one tRPC setup file: `initTRPC` is called here once, and only the builders routers may use
 * are exported. Every error shape carries the OpenAI error body in `data.error`, so typed clients
 * see the same `type`, `param` and `code` that REST clients do.
 */
import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import type { Context } from "./context.js";
import { languruErrorOf } from "./trpc-errors.js";

const pingIntervalMs = Number(process.env.LANGURU_SSE_PING_MS ?? 10_000);

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  // Stack traces are internals; no response carries them.
  isDev: false,
  sse: {
    // Pings keep idle subscriptions alive through proxies that close quiet connections.
    ping: { enabled: true, intervalMs: pingIntervalMs },
    client: { reconnectAfterInactivityMs: pingIntervalMs * 3 },
  },
  errorFormatter({ shape, error }) {
    const languru = languruErrorOf(error);
    return {
      ...shape,
      message: languru.message,
      data: { ...shape.data, status: languru.status, error: languru.toBody().error, headers: languru.headers },
    };
  },
});

/** Builds a router. */
export const router = t.router;
/** A procedure anyone may call. */
export const publicProcedure = t.procedure;
