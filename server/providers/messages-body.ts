/**
 * The Anthropic Messages body a client sent to the Anthropic door (`POST /v1/messages`), carried
 * beside its translation to a chat request, so that an Anthropic provider can send the client's own
 * body (cache_control marks, thinking signatures, server tools, fields no translation knows) with
 * only `model` and `stream` set for its deployment: no round trip through Chat Completions.
 *
 * It rides on the request under a symbol: object spreads and rest copies (normalizing, metering,
 * encoding) keep it, `JSON.stringify` never writes it, and no other provider ever sees it.
 */
import { withExactIntegers } from "../../shared/json-integer.js";

const MESSAGES_BODY = Symbol("languru.anthropicMessagesBody");

type Carrier = { [MESSAGES_BODY]?: Record<string, unknown> };

/** `request` carrying the client's Messages body. */
export function withMessagesBody<T extends object>(request: T, body: Record<string, unknown>): T {
  (request as Carrier)[MESSAGES_BODY] = body;
  return request;
}

/** The client's Messages body when the request came through the Anthropic door. */
export function messagesBodyOf(request: object): Record<string, unknown> | undefined {
  return (request as Carrier)[MESSAGES_BODY];
}

/**
 * The client's body as the JSON text to send one deployment: its upstream model name and whether
 * it streams; the rest as the client wrote it (integers past 2^53 as its digits).
 */
export function messagesBodyText(body: Record<string, unknown>, model: string, stream: boolean): string {
  const { stream: _stream, ...rest } = body;
  return withExactIntegers(JSON.stringify(stream ? { ...rest, model, stream: true } : { ...rest, model }));
}

/** One Anthropic stream event as the upstream sent it: its SSE event name and its data text. */
export interface RawEvent {
  event: string;
  data: string;
}

const RAW_MESSAGE = Symbol("languru.anthropicRawMessage");
const RAW_EVENTS = Symbol("languru.anthropicRawEvents");

type RawCarrier = { [RAW_MESSAGE]?: Record<string, unknown>; [RAW_EVENTS]?: RawEvent[] };

/**
 * The answer side of the same pass-through: an Anthropic provider that sent the client's body
 * returns its translation (what metering, limits and the ledger read) carrying the upstream's own
 * Message, or on each chunk the events it was made of, so that the Anthropic door relays those
 * instead of translating the translation back.
 */
export function withRawMessage<T extends object>(completion: T, message: Record<string, unknown>): T {
  (completion as RawCarrier)[RAW_MESSAGE] = message;
  return completion;
}

/** The upstream's own Message a completion carries, if any. */
export function rawMessageOf(completion: object): Record<string, unknown> | undefined {
  return (completion as RawCarrier)[RAW_MESSAGE];
}

/** `chunk` carrying the upstream events it was translated from (and those before it that made no chunk). */
export function withRawEvents<T extends object>(chunk: T, events: RawEvent[]): T {
  (chunk as RawCarrier)[RAW_EVENTS] = events;
  return chunk;
}

/** The upstream events a chunk carries, if any. */
export function rawEventsOf(chunk: unknown): RawEvent[] | undefined {
  return typeof chunk === "object" && chunk !== null ? (chunk as RawCarrier)[RAW_EVENTS] : undefined;
}
