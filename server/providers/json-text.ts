/**
 * The JSON text an upstream sent for a value we parsed and pass on unchanged (a chunk, a whole
 * completion), so the doors and the generation buffer need not serialize it again: the REST door
 * then writes the upstream's own bytes, as a pass-through proxy would. Only single-line text is
 * kept (an SSE `data:` field may span lines; a frame we write may not), and a value changed on
 * the way (metering hiding usage makes a new object) has no text, so it is serialized as usual.
 *
 * The text rides on the value itself, under a module-private symbol, non-enumerable: spreads,
 * `Object.keys`, `JSON.stringify` and superjson never see it, so a copy never inherits it. (A
 * WeakMap did the same at a higher price: one entry per streamed chunk, and the garbage
 * collector's ephemeron work for each; in the burst bench profile it was 5 % of the gateway's CPU.)
 */
const KEPT = Symbol("languru.jsonText");

/** Remembers `text` as the JSON of `value` (unless it spans lines); returns `value`. */
export function keepJsonText<T>(value: T, text: string): T {
  if (typeof value === "object" && value !== null && !text.includes("\n") && !text.includes("\r") && Object.isExtensible(value))
    Object.defineProperty(value, KEPT, { value: text, configurable: true });
  return value;
}

/** The upstream's single-line text for `value`, if it is a value an upstream sent and nothing changed. */
export function keptJsonText(value: unknown): string | undefined {
  return typeof value === "object" && value !== null ? (value as { [KEPT]?: string })[KEPT] : undefined;
}

/** The value as single-line JSON: the upstream's text when it is the value it sent, else `JSON.stringify`. */
export function jsonTextOf(value: unknown): string {
  return keptJsonText(value) || JSON.stringify(value);
}
