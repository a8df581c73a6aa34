/**
 * The one tRPC setup file: `initTRPC` is called here once, and only the builders routers may use
 * are exported. Every error shape carries the OpenAI error body in `data.error`, so typed clients
 * see the same `type`, `param` and `code` that REST clients do.
 */
import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import { keyFromHeaders, type Caller } from "./access/index.js";
import type { Context } from "./context.js";
import { requestIdForError } from "./observability/request.js";
import { languruErrorOf, toTRPCError } from "./trpc-errors.js";

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
      data: { ...shape.data, status: languru.status, error: languru.toBody().error, headers: languru.headers, requestId: requestIdForError(languru) },
    };
  },
});

/** The key a request presents: a header (`Authorization: Bearer`, `api-key`), or the subscription's `connectionParams.apiKey`. */
function presentedKey(ctx: Context): string | null {
  return keyFromHeaders(ctx.headers) ?? ctx.connectionParams?.apiKey ?? null;
}

/** With keys on, resolves the caller (401 without a valid key); with keys off, the caller stays unknown. */
const authenticate = t.middleware(async function authenticate({ ctx, next }) {
  let caller: Caller | undefined;
  try {
    caller = ctx.access ? await ctx.access.authenticate(presentedKey(ctx)) : undefined;
  } catch (err) {
    throw toTRPCError(err);
  }
  return next({ ctx: { caller } });
});

/** With keys on, only the master key passes (401 without a valid key, 403 with another key). */
const requireMaster = t.middleware(async function requireMaster({ ctx, next }) {
  if (!ctx.access) return next();
  try {
    await ctx.access.authenticateMaster(presentedKey(ctx));
  } catch (err) {
    throw toTRPCError(err);
  }
  return next();
});

/** Builds a router. */
export const router = t.router;
/** A procedure anyone may call. */
export const publicProcedure = t.procedure;
/** A procedure that needs an API key when keys are on; `ctx.caller` says whose. */
export const keyProcedure = t.procedure.use(authenticate);
/** A procedure for the master key only, when keys are on (open when they are off). */
export const adminProcedure = t.procedure.use(requireMaster);
