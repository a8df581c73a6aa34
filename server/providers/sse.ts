/**
 * Server-Sent Events, parsed in one place: bytes from an upstream body become `{ event, data }`
 * messages (eventsource-parser does the framing: CR/LF variants, multi-line `data`, comments).
 * Synchronous on purpose: the caller's loop over the body yields chunks itself, one async layer less.
 */
import { StringDecoder } from "node:string_decoder";
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
  // Node's StringDecoder, not TextDecoder: both keep a character split across reads whole and
  // replace bad bytes with U+FFFD, but TextDecoder goes through ICU, ~7x slower on a 64-frame read.
  const decoder = new StringDecoder("utf8");
  let first = true;
  // The stream's leading byte-order mark is not part of the first field (TextDecoder dropped it too).
  const decode = (text: string) => {
    if (!first || text === "") return text;
    first = false;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  };
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
      parser.feed(decode(decoder.write(bytes)));
      return take();
    },
    end() {
      parser.feed(decode(decoder.end()));
      return take();
    },
  };
}
