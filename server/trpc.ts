/**
 * The one tRPC setup file: `initTRPC` is called here once, and only the builders routers may use
 * are exported. Every error shape carries the OpenAI error body in `data.error`, so typed clients
 * see the same `type`, `param` and `code` that REST clients do.
 */
import { initTRPC } from "@trpc/server";
import superjson, { type SuperJSONResult } from "superjson";
import { InvalidRequestError, LanguruError } from "../shared/index.js";
import type { Caller } from "./access/index.js";
import { moduleSettings } from "./config.js";
import { type Context, presentedKey } from "./context.js";
import { MAX_INPUT_DEPTH, assertBoundedJson } from "./limits/index.js";
import { fromProcedureError, languruErrorOf, toTRPCError } from "./trpc-errors.js";
import { requestIdForError } from "./observability/request.js";
import { plainFirstOutput } from "./trpc-output.js";

const pingIntervalMs = moduleSettings.ssePingMs;
// The expanded input is held to the same bound as a body's bytes.
const inputLimitBytes = moduleSettings.bodyLimitBytes;

/**
 * superjson for inputs, minus `referentialEqualities`: superjson clients always send every copy in
 * full and add those only to restore object identity, which an input never needs; honoured, they
 * let a small body point a thousand places at one large message. What remains is bounded in depth
 * and in serialized size. An input it refuses becomes a `RefusedInput` that the procedure's first
 * middleware throws: thrown here, a WebSocket door would answer without the call's id (a message
 * may carry several calls) and the caller would wait forever.
 */
const boundedInput = {
  serialize: (value: unknown) => superjson.serialize(value),
  deserialize(payload: unknown): unknown {
    const result = payload as SuperJSONResult;
    const meta = result && typeof result === "object" && result.meta ? { ...result.meta, referentialEqualities: undefined } : undefined;
    try {
      // In place: the payload was just parsed off the wire, so superjson's defensive deep copy buys nothing.
      return assertBoundedJson(superjson.deserialize({ json: result?.json, meta }, { inPlace: true }), {
        maxBytes: inputLimitBytes,
        maxDepth: MAX_INPUT_DEPTH,
      });
    } catch (err) {
      return new RefusedInput(err instanceof LanguruError ? err : new InvalidRequestError("The input is not valid superjson.", { code: "invalid_input" }));
    }
  },
};

/** An input the transformer refused, with the error its call answers. */
class RefusedInput {
  constructor(readonly error: LanguruError) {}
}

const t = initTRPC.context<Context>().create({
  transformer: { input: boundedInput, output: plainFirstOutput },
  // Stack traces are internals; no response carries them.
  isDev: false,
  sse: {
    // Pings keep idle subscriptions alive through proxies that close quiet connections.
    ping: { enabled: true, intervalMs: pingIntervalMs },
    client: { reconnectAfterInactivityMs: pingIntervalMs * 3 },
  },
  errorFormatter({ shape, error, ctx }) {
    const languru = languruErrorOf(error);
    return {
      ...shape,
      message: languru.message,
      data: {
        ...shape.data,
        status: languru.status,
        error: languru.toBody().error,
        headers: languru.headers,
        requestId: requestIdForError(languru, error, ctx?.record),
      },
    };
  },
});

/** Every procedure's errors become their TRPCError here, once (subscriptions map theirs while iterating: `mappingErrors`). */
const mapErrors = t.middleware(async function mapErrors({ next }) {
  const result = await next();
  return result.ok ? result : { ...result, error: fromProcedureError(result.error) };
});

/** With keys on, resolves the caller (401 without a valid key); with keys off, the caller stays unknown. */
const authenticate = t.middleware(async function authenticate({ ctx, next }) {
  const caller: Caller | undefined = ctx.access ? await ctx.access.authenticate(presentedKey(ctx)) : undefined;
  ctx.record?.noteCaller(caller);
  return next({ ctx: { caller } });
});

/** With keys on, only the master key passes (401 without a valid key, 403 with another key). */
const requireMaster = t.middleware(async function requireMaster({ ctx, next }) {
  if (!ctx.access) return next();
  ctx.record?.noteCaller(await ctx.access.authenticateMaster(presentedKey(ctx)));
  return next();
});

/** Over a WebSocket no HTTP request carries a call, so each call is tracked (logged, counted) as a request of its own. */
const trackSocketCalls = t.middleware(function trackSocketCalls({ ctx, path, type, next }) {
  return ctx.socket && ctx.trackCall ? ctx.trackCall({ path, type }, (record) => next({ ctx: { record } })) : next();
});

/** Answers a refused input with its 400, as this call's own error. */
const refuseBadInput = t.middleware(async function refuseBadInput({ getRawInput, next }) {
  const raw = await getRawInput();
  if (raw instanceof RefusedInput) throw toTRPCError(raw.error);
  return next();
});

/** Builds a router. */
export const router = t.router;
/** A procedure anyone may call. */
export const publicProcedure = t.procedure.use(trackSocketCalls).use(mapErrors).use(refuseBadInput);
/** A procedure that needs an API key when keys are on; `ctx.caller` says whose. */
export const keyProcedure = publicProcedure.use(authenticate);
/** A procedure for the master key only, when keys are on (open when they are off). */
export const adminProcedure = publicProcedure.use(requireMaster);
