/**
 * Server-Sent Events, parsed in one place: bytes from an upstream body become `{ event, data }`
 * messages (eventsource-parser does the framing: CR/LF variants, multi-line `data`, comments).
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";

/** One SSE message. */
export type SseMessage = EventSourceMessage;

// An upstream that never ends an event must not grow our buffer without bound.
const MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** Yields the messages of an SSE byte stream, in order, as they complete. */
export async function* sseMessages(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let pending: SseMessage[] = [];
  let failure: Error | null = null;
  const parser = createParser({
    onEvent: (message) => void pending.push(message),
    onError: (err) => {
      if (err.type === "max-buffer-size-exceeded") failure = err;
    },
    maxBufferSize: MAX_EVENT_BYTES,
  });
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    if (failure) throw failure;
    if (pending.length === 0) continue;
    const ready = pending;
    pending = [];
    for (const message of ready) yield message;
  }
  // A trailing event without its blank line is incomplete and dropped, as browsers do.
  parser.feed(decoder.decode());
  for (const message of pending) yield message;
}
