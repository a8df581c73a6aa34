/**
 * `chat.*`: completions as a mutation, and streaming two ways. Over a WebSocket (the SDK's default)
 * a stream is one subscription, `chat.generate`, whose input is the whole request. Over HTTP it is
 * `chat.start` (a POST: the conversation never goes in a URL) then `chat.stream`, an SSE follow
 * authorised by the token `chat.start` returned, since an EventSource carries no key header.
 */
import { tracked } from "@trpc/server";
import { z } from "zod";
import { type ChatCompletionChunk, ChatCompletionParams, InvalidRequestError, requestFromParams } from "../../../../shared/index.js";
import type { Caller } from "../../../access/index.js";
import { refuseRevokedOwner } from "../../../access/revocation.js";
import { generationNotFound } from "../../../chat/generation-mirror.js";
import { ownerOf } from "../../../chat/generations.js";
import { callerKnown } from "../../../observability/hooks.js";
import { type Context, presentedKey } from "../context.js";
import { keyProcedure, publicProcedure, router } from "../trpc.js";
import { toTRPCError } from "../errors.js";

const GenerationRef = z.object({ id: z.string().min(1).max(200) });
const FollowInput = GenerationRef.extend({
  /** What `chat.start` returned beside the id; lets an SSE follower in without a key. */
  token: z.string().min(1).max(100).optional(),
  lastEventId: z.string().max(300).nullish(),
});
// tRPC adds `lastEventId` to the input when it resubscribes after a reconnect.
const GenerateInput = ChatCompletionParams.safeExtend({ lastEventId: z.string().max(300).nullish() });

/** The chat router. */
export const chatRouter = router({
  /** One whole `ChatCompletion`; `languru` says which deployment answered after how many tries. */
  completions: keyProcedure.input(ChatCompletionParams).mutation(async ({ input, ctx, signal }) => {
    // A whole completion: the upstream body carries no `stream` field (its default is no stream).
    const { stream: _stream, ...request } = requestFromParams(input);
    const { value, route } = await ctx.chat.complete(request, {
      signal: signal ?? new AbortController().signal,
      caller: ctx.caller,
      record: ctx.record ?? undefined,
      clientHeaders: ctx.headers,
    });
    return { ...value, languru: route };
  }),

  /**
   * Starts a streamed generation for an HTTP follower; returns its id, the follow `token` for
   * `chat.stream`, and (as `languru`) the route that answered. Errors before the first chunk are thrown here.
   */
  start: keyProcedure.input(ChatCompletionParams).mutation(async ({ input, ctx, signal }) => {
    // The client leaving before the first chunk stops the upstream call and its retries.
    const { id, route } = await ctx.generations.start({ ...requestFromParams(input), stream: true }, ctx.caller, signal, ctx.record ?? undefined, {
      shareBeforeId: true,
      clientHeaders: ctx.headers,
    });
    return { id, token: ctx.tickets.issue(id, ctx.caller), languru: route };
  }),

  /**
   * Starts a generation and streams it in one subscription (the WebSocket path). Each event is an
   * array of consecutive `ChatCompletionChunk`s (what arrived together: one message per burst, not
   * per chunk), tracked as `<generation id>:<index of its last chunk>`, so a resubscribe after a
   * dropped connection follows the same generation from where it stopped. Stopping the
   * subscription cancels the generation at once.
   */
  generate: keyProcedure.input(GenerateInput).subscription(async function* ({ input, ctx, signal }) {
    const { lastEventId, ...params } = input;
    const stopped = signal ?? new AbortController().signal;
    const release = ctx.socket?.holdStream();
    let id: string | null = null;
    try {
      let after: string | null = null;
      if (lastEventId) ({ id, after } = parseGenerateEventId(lastEventId));
      else
        ({ id } = await ctx.generations.start({ ...requestFromParams(params), stream: true }, ctx.caller, stopped, ctx.record ?? undefined, {
          clientHeaders: ctx.headers,
        }));
      const generation = id;
      for await (const { first, chunks } of ctx.generations.follow(generation, after, stopped, ownerOf(ctx.caller))) {
        const queued = ctx.socket?.whenWritable(stopped);
        if (queued) await queued;
        yield tracked(`${generation}:${first + chunks.length - 1}`, chunks);
      }
    } catch (err) {
      throw toTRPCError(err);
    } finally {
      release?.();
      if (id) cancelOnStop(ctx, { id, signal: stopped, owner: ownerOf(ctx.caller) });
    }
  }),

  /**
   * Follows a generation: yields its `ChatCompletionChunk`s, each tracked by its index, so that a
   * reconnecting client resumes after `lastEventId` instead of starting over. The follower shows
   * the `token` from `chat.start`, or the key that started the generation (a header, or the
   * WebSocket's `connectionParams`); to anyone else the generation does not exist.
   */
  stream: publicProcedure.input(FollowInput).subscription(async function* ({ input, ctx, signal }) {
    const stopped = signal ?? new AbortController().signal;
    const ticket = input.token ? ctx.tickets.redeem(input.id, input.token) : null;
    const release = ctx.socket?.holdStream();
    let owner: string | null = null;
    try {
      if (input.token && !ticket) throw generationNotFound(input.id);
      owner = ticket ? ticket.owner : ownerOf(await keyCaller(ctx));
      if (ticket) await refuseRevokedOwner(ctx.access, ticket.owner);
      callerKnown(ctx.record, owner);
      const batches = ctx.generations.follow(input.id, input.lastEventId, stopped, owner);
      for await (const { first, chunks } of batches) {
        const queued = ctx.socket?.whenWritable(stopped);
        if (queued) await queued;
        for (let i = 0; i < chunks.length; i++) yield tracked(String(first + i), chunks[i] as ChatCompletionChunk);
      }
    } catch (err) {
      // Nobody is listening any more; an error here would only surface as an unhandled rejection.
      if (signal?.aborted) return;
      throw toTRPCError(err);
    } finally {
      release?.();
      cancelOnStop(ctx, { id: input.id, signal: stopped, owner });
    }
  }),

  /** Stops a generation at once (the client is done with it) and with it the upstream request. */
  cancel: keyProcedure.input(GenerationRef).mutation(({ input, ctx }) => {
    ctx.generations.cancel(input.id, ownerOf(ctx.caller));
    return { id: input.id, cancelled: true };
  }),
});

/**
 * A subscription stopped on a socket that is still open was stopped on purpose (a `subscription.stop`,
 * a component unmount): cancel now. A closed socket is a dropped connection: keep the resume grace.
 * Over HTTP the two look the same, so the SDK calls `chat.cancel` there.
 */
function cancelOnStop(ctx: Context, stop: { id: string; signal: AbortSignal; owner: string | null }): void {
  if (!stop.signal.aborted || !ctx.socket?.isOpen()) return;
  ctx.generations.cancel(stop.id, stop.owner);
}

/** The caller of a follow without a token: the key in a header, or in the socket's connectionParams. */
async function keyCaller(ctx: Context): Promise<Caller | undefined> {
  if (!ctx.access) return undefined;
  return ctx.access.authenticate(presentedKey(ctx));
}

/** `<generation id>:<chunk index>`, as `chat.generate` tracks its chunks. */
function parseGenerateEventId(eventId: string): { id: string; after: string } {
  const cut = eventId.lastIndexOf(":");
  if (cut <= 0) throw new InvalidRequestError(`'lastEventId' must be '<generation id>:<index>', got '${eventId}'`, { param: "lastEventId" });
  return { id: eventId.slice(0, cut), after: eventId.slice(cut + 1) };
}
