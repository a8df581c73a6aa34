/**
 * Server-Sent Events, parsed in one place: bytes from an upstream body become `{ event, data }`
 * messages (eventsource-parser does the framing: CR/LF variants, multi-line `data`, comments).
 * Synchronous on purpose: the caller's loop over the body yields chunks itself, one async layer less.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";

/** One SSE message. */
export type SseMessage = EventSourceMessage;

/** Splits an SSE byte stream into messages. */
export interface SseSplitter {
  /** Feeds bytes; returns the messages they completed (often none or one). */
  push(bytes: Uint8Array): SseMessage[];
  /** The body ended: a trailing event without its blank line is incomplete and dropped, as browsers do. */
  end(): SseMessage[];
}

// An upstream that never ends an event must not grow our buffer without bound.
const MAX_EVENT_BYTES = 16 * 1024 * 1024;
const NONE: SseMessage[] = [];

/** A splitter for one body; throws from `push` when one event outgrows the buffer bound. */
export function sseSplitter(): SseSplitter {
  const decoder = new TextDecoder();
  let out: SseMessage[] = NONE;
  let failure: Error | null = null;
  const parser = createParser({
    onEvent: (message) => {
      if (out === NONE) out = [];
      out.push(message);
    },
    onError: (err) => {
      if (err.type === "max-buffer-size-exceeded") failure = err;
    },
    maxBufferSize: MAX_EVENT_BYTES,
  });
  const take = () => {
    if (failure) throw failure;
    const ready = out;
    out = NONE;
    return ready;
  };
  return {
    push(bytes) {
      parser.feed(decoder.decode(bytes, { stream: true }));
      return take();
    },
    end() {
      parser.feed(decoder.decode());
      return take();
    },
  };
}
