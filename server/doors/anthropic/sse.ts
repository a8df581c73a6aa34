/**
 * Anthropic's Server-Sent Events framing: `event: <type>\ndata: <json>\n\n` per event (the SDKs
 * skip a message without an event name), a `ping` right after `message_start` and after every
 * `pingMs` of silence (a slow model keeps proxies and clients from timing the stream out), and a
 * failure after the stream started as an `error` event, after which the stream ends as Anthropic's does.
 */
import type { ServerResponse } from "node:http";
import { ServiceUnavailableError, type ChatCompletionChunk } from "../../../shared/index.js";
import { coalesceWrites } from "../../lib/coalesce-writes.js";
import { writeWithBackpressure } from "../../lib/write-stream.js";
import { rawEventsOf, type RawEvent } from "../../providers/messages-body.js";
import { asLanguruError } from "../openai/respond.js";
import { anthropicErrorBody } from "./errors.js";
import type { MessageEvents, StreamEvent } from "./stream.js";

/** Silence after which a `ping` goes out; Anthropic's own streams ping about this often. */
export const PING_MS = 15_000;

/** What one stream is written with. */
export interface EventStreamOptions {
  headers: Record<string, string>;
  shutdown?: AbortSignal;
  pingMs?: number;
}

/** Writes the chunks as events, honouring backpressure; never throws. */
export async function writeEventStream(
  res: ServerResponse,
  chunks: AsyncIterable<ChatCompletionChunk>,
  events: MessageEvents,
  options: EventStreamOptions,
): Promise<void> {
  res.writeHead(200, {
    ...options.headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  const pinger = startPinger(res, options.pingMs ?? PING_MS);
  try {
    // An Anthropic upstream's own events, when its provider relays them (`providers/messages-body.ts`), go out as they came.
    let relayed: boolean | null = null;
    for await (const chunk of chunks) {
      if (res.destroyed) return;
      const raw = rawEventsOf(chunk);
      if (relayed === null) {
        relayed = raw !== undefined;
        if (!relayed) await writeEvents(res, [...events.of(chunk), { type: "ping" }]);
      } else if (!relayed) await writeEvents(res, events.of(chunk));
      if (relayed && raw) await writeRaw(res, raw);
      pinger.refresh();
    }
    if (!res.destroyed && !relayed) await writeEvents(res, events.end());
  } catch (err) {
    if (res.destroyed) return;
    const error = options.shutdown?.aborted ? shuttingDown() : asLanguruError(err);
    await writeEvents(res, [anthropicErrorBody(error) as StreamEvent]);
  } finally {
    clearTimeout(pinger);
  }
  if (res.destroyed) return;
  coalesceWrites(res.socket);
  res.end();
}

// One timer per stream, pushed back by every chunk (`refresh` re-arms it without a new timer).
function startPinger(res: ServerResponse, pingMs: number): NodeJS.Timeout {
  const timer = setTimeout(function ping() {
    if (res.destroyed || res.writableEnded) return;
    // A reader that is behind needs no keep-alive; the next ping is one period later.
    if (!res.writableNeedDrain) res.write(frameOf({ type: "ping" }));
    timer.refresh();
  }, pingMs);
  return timer;
}

function shuttingDown(): ServiceUnavailableError {
  return new ServiceUnavailableError("The gateway is shutting down; send the request again.", { code: "shutting_down", headers: { "retry-after": "1" } });
}

// JSON.stringify never emits a raw newline, so one `data:` line holds the whole event.
function frameOf(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

async function writeEvents(res: ServerResponse, events: StreamEvent[]): Promise<void> {
  let text = "";
  for (const event of events) text += frameOf(event);
  await writeWithBackpressure(res, text);
}

// The upstream's event names and data as it sent them (data the splitter joined from several lines goes out as several again).
async function writeRaw(res: ServerResponse, events: RawEvent[]): Promise<void> {
  let text = "";
  for (const { event, data } of events) text += `event: ${event}\ndata: ${data.includes("\n") ? data.split("\n").join("\ndata: ") : data}\n\n`;
  await writeWithBackpressure(res, text);
}
