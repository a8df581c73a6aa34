/**
 * The Anthropic door's pass-through (`../messages-body.ts`): when a request came through
 * `POST /v1/messages`, this provider sends the client's own body (only `model` and `stream` set for
 * the deployment; cache_control, thinking signatures, server tools intact) with the client's
 * `anthropic-beta`, and hands back, beside its usual translation, the upstream's own Message or
 * events, which the door relays unchanged.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { ChatCompletionChunk } from "../../../shared/index.js";
import { messagesBodyOf, messagesBodyText, withRawEvents, type RawEvent } from "../messages-body.js";
import type { SseMessage } from "../sse.js";
import type { UpstreamRequest } from "../types.js";
import type { EventTranslator } from "./read-events.js";

// Long enough for any list of betas; a longer value is not forwarded.
const MAX_BETA_CHARS = 4_096;

/** The client's body for this deployment, when the request came through the Anthropic door. */
export function passThroughBody(request: UpstreamRequest, stream: boolean): string | null {
  const body = messagesBodyOf(request);
  return body ? messagesBodyText(body, request.model, stream) : null;
}

/** The client's `anthropic-beta` header, forwarded with its own body (a configured one wins). */
export function betaHeaders(client: IncomingHttpHeaders | undefined): Record<string, string> {
  const value = client?.["anthropic-beta"];
  const text = Array.isArray(value) ? value.join(",") : value;
  return text && text.length <= MAX_BETA_CHARS ? { "anthropic-beta": text } : {};
}

/**
 * A translator whose chunks carry the events they came from. Events that make no chunk
 * (`message_start`, `ping`, `content_block_stop`, ...) ride on the next chunk; those left when the
 * stream is done ride on one last chunk without choices.
 */
export class RawEventsTranslator implements EventTranslator {
  private pending: RawEvent[] = [];

  constructor(private readonly inner: EventTranslator) {}

  get done(): boolean {
    return this.inner.done;
  }

  get finished(): boolean {
    return this.inner.finished;
  }

  chunksOf(message: SseMessage): ChatCompletionChunk[] {
    const chunks = this.inner.chunksOf(message);
    this.pending.push({ event: message.event ?? "message", data: message.data });
    const first = chunks[0];
    if (first) {
      withRawEvents(first, this.pending);
      this.pending = [];
    }
    if (this.inner.done && this.pending.length > 0) {
      chunks.push(withRawEvents(carrierOf(chunks.at(-1)), this.pending));
      this.pending = [];
    }
    return chunks;
  }
}

// A chunk that says nothing, in the stream's envelope, only to carry the last events.
function carrierOf(last: ChatCompletionChunk | undefined): ChatCompletionChunk {
  return {
    id: last?.id ?? "msg_unknown",
    object: "chat.completion.chunk",
    created: last?.created ?? Math.floor(Date.now() / 1000),
    model: last?.model ?? "",
    choices: [],
  };
}
