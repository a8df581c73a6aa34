/**
 * An integer of a JSON request body beyond ±2^53 (a `seed` of 9007199254740993, a vLLM extra),
 * kept as the client wrote it. `JSON.parse` would round it to the nearest double and the upstream
 * would get another number; the REST door parses bodies itself and keeps such literals as
 * `JsonInteger`s instead (see `server/http-body/exact-integers.ts`).
 *
 * Serialized with `JSON.stringify`, it is a marked string; `withExactIntegers` turns each marked
 * string of the resulting text back into the bare digits, so the upstream's body carries them
 * unchanged. The mark is random per process: a client that wrote such a string itself could only
 * turn its own string into its own number.
 */
const MARK = `languru-integer-${Math.random().toString(36).slice(2, 10)}:`;
const MARKED = new RegExp(`"${MARK}(-?\\d+)"`, "g");

// Whether this process ever made one: until then no text can hold a serialized one, and encoding
// a request skips searching its whole text for the mark (~0.3 µs per KB; requests are often tens of KB).
let made = false;

/** An integer literal outside the safe range, as its digits. */
export class JsonInteger {
  constructor(readonly digits: string) {
    made = true;
  }

  /** What JSON.stringify writes: a string `withExactIntegers` recognises. */
  toJSON(): string {
    return MARK + this.digits;
  }
}

/** JSON text with every serialized `JsonInteger` turned back into its digits; the same text when it has none. */
export function withExactIntegers(json: string): string {
  return made && json.includes(MARK) ? json.replace(MARKED, "$1") : json;
}
