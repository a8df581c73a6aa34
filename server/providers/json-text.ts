/**
 * The JSON text an upstream sent for a value we parsed and pass on unchanged (a chunk, a whole
 * completion), so the doors and the generation buffer need not serialize it again: the REST door
 * then writes the upstream's own bytes, as a pass-through proxy would. Only single-line text is
 * kept (an SSE `data:` field may span lines; a frame we write may not), and a value changed on
 * the way (metering hiding usage makes a new object) has no text, so it is serialized as usual.
 *
 * The text rides on the value itself as a private class field (`#text`), stamped on through the
 * base-constructor "return override": spreads, `Object.keys`, `JSON.stringify`, superjson and
 * `structuredClone` never see a private field, so a copy never inherits it. It is as cheap as an
 * ordinary property store. (A WeakMap cost the garbage collector ephemeron work per streamed
 * chunk, 5 % of the burst bench's CPU; `Object.defineProperty` with a symbol, which came next, is
 * a runtime call: ~180 ns a chunk, more than a quarter of parsing one.)
 */

/** A base "class" whose constructor returns its argument, so `super(value)` makes `this` the value. */
const AsThis = function (this: unknown, value: object) {
  return value;
} as unknown as new (
  value: object,
) => object;

class JsonText extends AsThis {
  #text: string;

  private constructor(value: object, text: string) {
    super(value);
    this.#text = text;
  }

  /** Stamps `text` on `value`, replacing an earlier stamp. */
  static stamp(value: object, text: string): void {
    if (#text in value) (value as JsonText).#text = text;
    else new JsonText(value, text);
  }

  static of(value: object): string | undefined {
    return #text in value ? (value as JsonText).#text : undefined;
  }
}

/** Remembers `text` as the JSON of `value` (unless it spans lines); returns `value`. */
export function keepJsonText<T>(value: T, text: string): T {
  if (typeof value === "object" && value !== null && Object.isExtensible(value) && !text.includes("\n") && !text.includes("\r")) JsonText.stamp(value, text);
  return value;
}

/** The upstream's single-line text for `value`, if it is a value an upstream sent and nothing changed. */
export function keptJsonText(value: unknown): string | undefined {
  return typeof value === "object" && value !== null ? JsonText.of(value) : undefined;
}

/** The value as single-line JSON: the upstream's text when it is the value it sent, else `JSON.stringify`. */
export function jsonTextOf(value: unknown): string {
  return keptJsonText(value) || JSON.stringify(value);
}
