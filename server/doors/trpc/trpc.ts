/**
 * The one tRPC setup file: `initTRPC` is called here once, and only the builders routers may use
 * are exported. Every error shape carries the OpenAI error body in `data.error`, so typed clients
 * see the same `type`, `param` and `code` that REST clients do.
 */
import { initTRPC } from "@trpc/server";
import superjson, { type SuperJSONResult } from "superjson";
import { AuthenticationError, InvalidRequestError, LanguruError } from "../../../shared/index.js";
import type { Caller } from "../../access/index.js";
import { moduleSettings } from "../../config.js";
import { type Context, presentedKey } from "./context.js";
import { MAX_INPUT_DEPTH, assertBoundedJson } from "../../limits/index.js";
import { fromProcedureError, languruErrorOf, toTRPCError } from "./errors.js";
import { type RequestRecord, requestIdForError } from "../../observability/request.js";
import { whenCallEnds } from "../../observability/socket-calls.js";
import { plainFirstOutput } from "./output.js";

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

/** Who may call a procedure: anyone, a key holder (when keys are on), or the master key only. */
type Audience = "public" | "key" | "master";

/**
 * A refused input answers its 400, then the audience's key check runs: `key` resolves the caller
 * (401 without a valid key; with keys off the caller stays unknown), `master` lets only the master
 * key pass (401 without a valid key, 403 with another). Returns the caller for the context.
 */
async function admit(audience: Audience, ctx: Context, getRawInput: () => Promise<unknown>, record: RequestRecord | null): Promise<Caller | undefined> {
  const raw = await getRawInput();
  if (raw instanceof RefusedInput) throw raw.error;
  if (audience === "public" || !ctx.access) return undefined;
  const access = ctx.access;
  const caller = await keyChecked(ctx, () => (audience === "master" ? access.authenticateMaster(presentedKey(ctx)) : access.authenticate(presentedKey(ctx))));
  record?.noteCaller(caller);
  return audience === "master" ? undefined : caller;
}

/** Runs a key check; over a WebSocket its outcome also tells the socket's bounds whether its key is valid (a 403 is a valid key). */
async function keyChecked(ctx: Context, check: () => Promise<Caller>): Promise<Caller> {
  try {
    const caller = await check();
    ctx.socket?.keyChecked(true);
    return caller;
  } catch (err) {
    ctx.socket?.keyChecked(!(err instanceof AuthenticationError));
    throw err;
  }
}

/**
 * The one middleware of every procedure. Each tRPC middleware level copies the call's options and
 * context (measured: four levels cost ~25 µs of a ~145 µs WebSocket mutation), so the steps share
 * one level, in this order:
 * 1. over a WebSocket the socket's bounds admit the call first (`ws-call-bounds.ts`: a refusal is
 *    one small answer, with no record and no access-log line), and no HTTP request carries it, so
 *    each call gets a record of its own (logged and counted as a request; a subscription's record
 *    stays open while its stream runs);
 * 2. `admit`: the refused input's 400, then the key check;
 * 3. the procedure, whose errors become their TRPCError here, once (subscriptions map the errors
 *    thrown while iterating themselves: a middleware never sees those).
 */
function languruCall(audience: Audience) {
  return t.middleware(function languruCall({ ctx, path, type, getRawInput, next }) {
    const run = async (own: RequestRecord | null) => {
      const record = own ?? ctx.record;
      let caller: Caller | undefined;
      try {
        caller = await admit(audience, ctx, getRawInput, record);
      } catch (err) {
        throw toTRPCError(err);
      }
      const result = await next({ ctx: { record, caller } });
      return result.ok ? result : { ...result, error: fromProcedureError(result.error) };
    };
    const socket = ctx.socket;
    if (!socket) return run(null);
    const tracked = () => (ctx.trackCall ? ctx.trackCall({ path, type }, run) : run(null));
    return socket.admitCall().then(
      (end) => whenCallEnds(type, tracked, end),
      (err: unknown) => {
        throw toTRPCError(err);
      },
    );
  });
}

/** Builds a router. */
export const router = t.router;
/** A procedure anyone may call. */
export const publicProcedure = t.procedure.use(languruCall("public"));
/** A procedure that needs an API key when keys are on; `ctx.caller` says whose. */
export const keyProcedure = t.procedure.use(languruCall("key"));
/** A procedure for the master key only, when keys are on (open when they are off). */
export const adminProcedure = t.procedure.use(languruCall("master"));
