/**
 * The JSON text an upstream sent for a value we parsed and pass on unchanged (a chunk, a whole
 * completion), so the doors and the generation buffer need not serialize it again: the REST door
 * then writes the upstream's own bytes, as a pass-through proxy would. Only single-line text is
 * kept (an SSE `data:` field may span lines; a frame we write may not), and a value changed on
 * the way (metering hiding usage makes a new object) has no text, so it is serialized as usual.
 */
const texts = new WeakMap<object, string>();

/** Remembers `text` as the JSON of `value` (unless it spans lines); returns `value`. */
export function keepJsonText<T>(value: T, text: string): T {
  if (typeof value === "object" && value !== null && !text.includes("\n") && !text.includes("\r")) texts.set(value, text);
  return value;
}

/** The upstream's single-line text for `value`, if it is a value an upstream sent and nothing changed. */
export function keptJsonText(value: unknown): string | undefined {
  return typeof value === "object" && value !== null ? texts.get(value) : undefined;
}

/** The value as single-line JSON: the upstream's text when it is the value it sent, else `JSON.stringify`. */
export function jsonTextOf(value: unknown): string {
  return (typeof value === "object" && value !== null && texts.get(value)) || JSON.stringify(value);
}
