/**
 * Streams as async iterables: starts a generation with a POST, follows it over SSE (resuming after
 * the last chunk on reconnect), and cancels it when the consumer breaks out or the signal aborts.
 */
import type { TRPCClient } from "@trpc/client";
import type { ChatCompletionChunk, ChatCompletionRequestInput } from "../shared/index.js";
import type { AppRouter } from "../server/routers/_app.js";
import { ConnectionError, isGatewayError, toLanguruError } from "./errors.js";

/** Options of one streamed call. */
export interface StreamOptions {
  signal?: AbortSignal;
}

/** Settings of the stream helper. */
export interface StreamSettings {
  /** Give up after the connection kept failing this long (ms). */
  reconnectTimeoutMs: number;
}

type Event = { type: "chunk"; chunk: ChatCompletionChunk } | { type: "end" } | { type: "error"; error: unknown };

/** Yields the chunks of one generation. Breaking out of the loop, or aborting, cancels it upstream. */
export async function* streamChat(
  trpc: TRPCClient<AppRouter>,
  request: ChatCompletionRequestInput,
  options: StreamOptions,
  settings: StreamSettings,
): AsyncGenerator<ChatCompletionChunk> {
  const signal = options.signal;
  signal?.throwIfAborted();
  let id: string;
  try {
    ({ id } = await trpc.chat.start.mutate({ ...request, stream: true }, { signal }));
  } catch (err) {
    throw signal?.aborted ? signal.reason : toLanguruError(err);
  }

  const queue: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (event: Event) => {
    queue.push(event);
    wake?.();
  };
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  const subscription = trpc.chat.stream.subscribe(
    { id },
    {
      onData: (event) => push({ type: "chunk", chunk: event.data }),
      onError: (error) => push({ type: "error", error }),
      onComplete: () => push({ type: "end" }),
      onConnectionStateChange: (state) => {
        if (state.state !== "connecting") {
          if (reconnectTimer) clearTimeout(reconnectTimer);
          reconnectTimer = null;
          return;
        }
        // tRPC reconnects on 5xx codes; an error the gateway itself sent (an upstream failure
        // mid-stream) is final, so stop here instead of replaying it.
        if (isGatewayError(state.error)) return push({ type: "error", error: state.error });
        reconnectTimer ??= setTimeout(
          () => push({ type: "error", error: new ConnectionError(`lost the stream and could not reconnect within ${settings.reconnectTimeoutMs} ms`) }),
          settings.reconnectTimeoutMs,
        );
      },
    },
  );
  const onAbort = () => push({ type: "error", error: signal?.reason });
  signal?.addEventListener("abort", onAbort, { once: true });

  let finished = false;
  try {
    while (true) {
      const event = queue.shift();
      if (!event) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      if (event.type === "chunk") yield event.chunk;
      else if (event.type === "end") {
        finished = true;
        return;
      } else {
        if (signal?.aborted) throw signal.reason;
        finished = true;
        throw toLanguruError(event.error);
      }
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (reconnectTimer) clearTimeout(reconnectTimer);
    subscription.unsubscribe();
    // Leaving early: tell the gateway now, so the upstream stops without waiting for the resume grace.
    if (!finished) trpc.chat.cancel.mutate({ id }).catch(() => undefined);
  }
}
