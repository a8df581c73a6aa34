/**
 * The WebSocket door's message encoder: tRPC's JSON encoder, except for a stream's batch of chunks
 * that reach the client as the upstream sent them. Their JSON text is kept (`json-text.ts`), so the
 * message is spliced from it instead of `JSON.stringify` walking every chunk again: the same wire
 * form, as the REST door writes an upstream's bytes. Anything else, or a message of another shape
 * than tRPC's data message, goes through `JSON.stringify` unchanged.
 */
import { type Encoder, jsonEncoder } from "@trpc/server/adapters/ws";
import { keptJsonText } from "../../../providers/json-text.js";

/** Encodes tRPC's WebSocket messages. */
export const batchSplicingEncoder: Encoder = {
  encode: (message) => splicedBatch(message) ?? JSON.stringify(message),
  decode: (data) => jsonEncoder.decode(data),
};

const MESSAGE_KEYS = new Set(["id", "jsonrpc", "result"]);
const RESULT_KEYS = new Set(["type", "id", "data"]);

/**
 * `{ id, jsonrpc?, result: { type: "data", data: { json: { id, data: [chunk, ...] } }, id? } }` (a
 * tracked batch in superjson's plain-JSON form) with every chunk's text kept: that message as
 * `JSON.stringify` would write it, keys in the same order. Null for any other message, so that it
 * is stringified as usual.
 */
function splicedBatch(message: unknown): string | null {
  if (!isRecord(message) || !onlyKeys(message, MESSAGE_KEYS) || !isId(message.id)) return null;
  const result = message.result;
  if (!isRecord(result) || result.type !== "data" || !onlyKeys(result, RESULT_KEYS) || (result.id !== undefined && !isId(result.id))) return null;
  const data = result.data;
  if (!isRecord(data) || !onlyKeys(data, JSON_KEY)) return null;
  const envelope = data.json;
  if (!isRecord(envelope) || typeof envelope.id !== "string" || !Array.isArray(envelope.data) || !onlyKeys(envelope, ENVELOPE_KEYS)) return null;
  const chunks: unknown[] = envelope.data;
  if (chunks.length === 0) return null;
  const texts: string[] = new Array(chunks.length);
  for (let i = 0; i < chunks.length; i++) {
    const text = keptJsonText(chunks[i]);
    if (text === undefined) return null;
    texts[i] = text;
  }
  const batch = `[${texts.join(",")}]`;
  const envelopeText = objectText(envelope, (key) => (key === "data" ? batch : undefined));
  const dataText = objectText(data, () => envelopeText);
  const resultText = objectText(result, (key) => (key === "data" ? dataText : undefined));
  return objectText(message, (key) => (key === "result" ? resultText : undefined));
}

/** A plain object as `JSON.stringify` writes it (same key order, undefined members left out), with some members' JSON given. */
function objectText(value: Record<string, unknown>, given: (key: string) => string | undefined): string {
  let out = "";
  for (const key of Object.keys(value)) {
    const text = given(key) ?? (JSON.stringify(value[key]) as string | undefined);
    if (text === undefined) continue;
    out += `${out === "" ? "" : ","}${JSON.stringify(key)}:${text}`;
  }
  return `{${out}}`;
}

const JSON_KEY = new Set(["json"]);
const ENVELOPE_KEYS = new Set(["id", "data"]);

/** What `JSON.stringify` writes as itself: a call id is a string, a number or null. */
function isId(value: unknown): value is string | number | null {
  return value === null || typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True when every own enumerable key of `value` is one of `keys` (absent ones are fine). */
function onlyKeys(value: Record<string, unknown>, keys: Set<string>): boolean {
  for (const key in value) if (!keys.has(key)) return false;
  return true;
}
