/**
 * Writing a stream's text to an HTTP response with backpressure, for every door that streams
 * (OpenAI's SSE, Anthropic's events, the Responses API's events): frames written in the same turn
 * leave in one write, and a full socket is waited on before more is written.
 */
import type { ServerResponse } from "node:http";
import { coalesceWrites } from "./coalesce-writes.js";

/** Writes `text`; settles at once, or once the socket drained (or closed) when it was full. */
export async function writeWithBackpressure(res: ServerResponse, text: string): Promise<void> {
  if (text === "" || res.destroyed) return;
  coalesceWrites(res.socket);
  if (!res.write(text)) await drainedOrClosed(res);
}

/**
 * Settles on the response's next `drain` or its `close`. Both listeners go once either fires: a
 * long stream waits many times, and `events.once` on each would leave the loser behind every time
 * (MaxListenersExceededWarning, and memory, on a slow reader).
 */
export function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
