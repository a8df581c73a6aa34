/**
 * Integer literals beyond ±2^53 in a request body, kept exactly. `JSON.parse` turns
 * `"seed": 9007199254740993` into 9007199254740992; the upstream would then get another seed. Such a
 * literal has at least 16 digits, so a body without a run of 16 digits (nearly every body) costs one
 * regex test. Otherwise the body, already parsed and bounded once, is scanned for integer tokens
 * outside strings, those beyond the safe range are rewritten as marked strings, and the text is
 * parsed again with each marked string replaced by a `JsonInteger` (its digits).
 *
 * Floats (`1.5e300`) and exponents stay numbers: JSON gives them no exact integer to keep.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { JsonInteger } from "../../shared/json-integer.js";

/**
 * The wrapper is ours, not the client's: where only a number fits (`n`, `max_tokens`...), zod would
 * say "expected number, received JsonInteger" of an integer the client did send. It is out of
 * range, and is told so in the words zod gives a `1e21` there. Set for this process's zod, where
 * these wrappers are made (the client package never makes one, so it sets nothing of its users').
 */
z.config({
  customError: (issue) => {
    if (issue.code !== "invalid_type" || !(issue.input instanceof JsonInteger)) return undefined;
    return issue.input.digits.startsWith("-")
      ? `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`
      : `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`;
  },
});

const MAYBE_UNSAFE = /\d{16}/;
// A whole integer token: not after a digit, sign, dot or exponent, not followed by a fraction or exponent.
const LONG_INTEGER = /(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;
// Per process and never sent anywhere: a client cannot write a string that the second parse would take for a marker.
const MARK = `\u0000${randomUUID()}:`;
const MARK_IN_JSON = `\\u0000${MARK.slice(1)}`;

/**
 * `parsed` (the result of `JSON.parse(text)`, already held to the depth bound) with every integer
 * literal beyond the safe range as a `JsonInteger`; `parsed` itself when the text has none.
 */
export function keepExactIntegers(text: string, parsed: unknown): unknown {
  if (!MAYBE_UNSAFE.test(text)) return parsed;
  const tokens = unsafeIntegerTokens(text);
  if (tokens.length === 0) return parsed;
  let marked = "";
  let from = 0;
  for (const { start, end } of tokens) {
    marked += `${text.slice(from, start)}"${MARK_IN_JSON}${text.slice(start, end)}"`;
    from = end;
  }
  return revive(JSON.parse(marked + text.slice(from)));
}

interface Token {
  start: number;
  end: number;
}

// The text is valid JSON (it parsed), so a number token outside a string is always a value.
function unsafeIntegerTokens(text: string): Token[] {
  const found: Token[] = [];
  let outside = 0; // a position known to be outside any string
  for (const match of text.matchAll(LONG_INTEGER)) {
    const start = match.index;
    outside = skipStringsUntil(text, outside, start);
    if (outside > start) continue; // inside a string
    if (!Number.isSafeInteger(Number(match[0]))) found.push({ start, end: start + match[0].length });
  }
  return found;
}

// Moves from `at` (outside strings) past every string that opens before `until`; returns where it stopped.
function skipStringsUntil(text: string, at: number, until: number): number {
  let cursor = at;
  while (true) {
    const open = text.indexOf('"', cursor);
    if (open === -1 || open > until) return cursor;
    cursor = closingQuote(text, open + 1) + 1;
  }
}

function closingQuote(text: string, from: number): number {
  let at = from;
  while (true) {
    const quote = text.indexOf('"', at);
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

// The value was depth-checked before (same structure), so recursion is bounded.
function revive(node: unknown): unknown {
  if (typeof node === "string") return node.startsWith(MARK) ? new JsonInteger(node.slice(MARK.length)) : node;
  if (typeof node !== "object" || node === null) return node;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = revive(node[i]);
    return node;
  }
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    const next = revive(value);
    // Defined, not assigned: an own `__proto__` key (JSON.parse makes those) must stay a plain key.
    if (next !== value) Object.defineProperty(record, key, { value: next, writable: true, enumerable: true, configurable: true });
  }
  return node;
}
