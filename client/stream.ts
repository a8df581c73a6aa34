/**
 * Streams as async iterables over one tRPC subscription: chunks are queued as they arrive, a
 * reconnect resumes after the last tracked chunk, and leaving early (break, abort) stops the
 * subscription and, where the transport needs it, cancels the generation on the gateway.
 */
import { errorFromBody, isRecord, type LanguruError } from "../shared/errors.js";
import type { ChatCompletionChunk } from "./types.js";
import { ConnectionError, isGatewayError, toLanguruError } from "./errors.js";

/** Options of one streamed call. */
export interface StreamOptions {
  signal?: AbortSignal;
  /**
   * Told when the stream's connection drops after it was up (`reconnecting`: the SDK is resuming it)
   * and when it is back (`connected`); the chunks themselves go on where they stopped.
   */
  onConnectionChange?(state: "reconnecting" | "connected"): void;
}

/** Settings of the stream helper. */
export interface StreamSettings {
  /** Give up after the connection kept failing this long (ms). */
  reconnectTimeoutMs: number;
}

/** The callbacks of a tRPC subscription, as this helper uses them; chunks come in batches (one or more). */
export interface ChunkObserver {
  onChunks(chunks: readonly ChatCompletionChunk[]): void;
  onError(error: unknown): void;
  onComplete(): void;
  onConnectionStateChange(state: { state: string; error?: unknown }): void;
}

/** One stream's subscription: how to open it and, if the transport needs it, how to cancel it. */
export interface StreamSource {
  /** Subscribes; called once. */
  open(observer: ChunkObserver): { unsubscribe(): void };
  /** Tells the gateway to stop now, when leaving before the end (HTTP: a closed SSE looks like a dropped one). */
  cancel?(): void;
}

type Event = { type: "chunks"; chunks: readonly ChatCompletionChunk[] } | { type: "end" } | { type: "error"; error: unknown };

function isErrorChunk(chunk: unknown): boolean {
  return isRecord(chunk) && !Array.isArray(chunk.choices) && chunk.error !== undefined && chunk.error !== null;
}

// The error a chunk carries, with its status when it names one (OpenRouter puts it in `code`), else a 502.
function errorOfChunk(chunk: unknown): LanguruError {
  const error = isRecord(chunk) ? chunk.error : undefined;
  const body = isRecord(error) ? error : { message: typeof error === "string" ? error : "The stream failed." };
  const named = [body.status, body.code].find((n): n is number => typeof n === "number" && n >= 400 && n <= 599);
  return errorFromBody(named ?? 502, { error: body });
}

/** Yields the chunks of one generation. Breaking out of the loop, or aborting, stops it upstream. */
export async function* followChunks(source: StreamSource, options: StreamOptions, settings: StreamSettings): AsyncGenerator<ChatCompletionChunk> {
  const signal = options.signal;
  signal?.throwIfAborted();
  const queue: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (event: Event) => {
    queue.push(event);
    wake?.();
  };
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  // tRPC says `connecting` before the first connection too; only a drop after it was up is news.
  let connection: "never" | "up" | "reconnecting" = "never";
  const report = (state: string) => {
    if (state === "pending" && connection !== "up") {
      if (connection === "reconnecting") options.onConnectionChange?.("connected");
      connection = "up";
    } else if (state === "connecting" && connection === "up") {
      connection = "reconnecting";
      options.onConnectionChange?.("reconnecting");
    }
  };
  const subscription = source.open({
    onChunks: (chunks) => {
      // A chunk means the connection is up, whatever the transport said before.
      report("pending");
      // An error sent as a chunk (`{"error": {...}}`, no `choices`) is thrown, never yielded: code
      // reading `chunk.choices[0]` would hit a TypeError before it saw the error.
      const failed = chunks.findIndex(isErrorChunk);
      if (failed === -1) return push({ type: "chunks", chunks });
      if (failed > 0) push({ type: "chunks", chunks: chunks.slice(0, failed) });
      push({ type: "error", error: errorOfChunk(chunks[failed]) });
    },
    onError: (error) => push({ type: "error", error }),
    onComplete: () => push({ type: "end" }),
    onConnectionStateChange: (state) => {
      report(state.state);
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
  });
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
      if (event.type === "chunks") yield* event.chunks;
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
    if (!finished) source.cancel?.();
  }
}
