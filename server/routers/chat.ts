/** `chat.*`: completions as a mutation, and streaming as start + resumable subscription. */
import { tracked } from "@trpc/server";
import { z } from "zod";
import { ChatCompletionRequest } from "../../shared/index.js";
import { keyProcedure, router } from "../trpc.js";
import { mappingErrors } from "../trpc-errors.js";

const GenerationRef = z.object({ id: z.string().min(1) });

/** The chat router. */
export const chatRouter = router({
  /** One whole `ChatCompletion`; `languru` says which deployment answered after how many tries. */
  completions: keyProcedure.input(ChatCompletionRequest).mutation(async ({ input, ctx, signal }) => {
    const { value, route } = await ctx.chat.complete({ ...input, stream: false }, { signal: signal ?? new AbortController().signal, caller: ctx.caller });
    return { ...value, languru: route };
  }),

  /**
   * Starts a streamed generation and returns its id (and, as `languru`, the route that answered).
   * A POST, so the conversation may be large; errors before the first chunk are thrown here.
   */
  start: keyProcedure.input(ChatCompletionRequest).mutation(async ({ input, ctx }) => {
    const { id, route } = await ctx.generations.start({ ...input, stream: true }, ctx.caller);
    return { id, languru: route };
  }),

  /**
   * Follows a generation: yields its `ChatCompletionChunk`s, each tracked by its index, so that a
   * reconnecting client resumes after `lastEventId` instead of starting over. Only the key that
   * started the generation may follow it (its key comes in `connectionParams`: SSE has no headers).
   */
  stream: keyProcedure.input(GenerationRef.extend({ lastEventId: z.string().nullish() })).subscription(async function* ({ input, ctx, signal }) {
    const chunks = ctx.generations.follow(input.id, input.lastEventId, signal ?? new AbortController().signal, ctx.caller);
    for await (const { index, chunk } of mappingErrors(chunks)) yield tracked(String(index), chunk);
  }),

  /** Stops a generation at once (the client is done with it) and with it the upstream request. */
  cancel: keyProcedure.input(GenerationRef).mutation(({ input, ctx }) => {
    ctx.generations.cancel(input.id, ctx.caller);
    return { id: input.id, cancelled: true };
  }),
});
