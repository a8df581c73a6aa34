/**
 * What asking an upstream for usage adds to a stream, found and taken out again for a client that
 * did not ask. OpenAI (and the echo model) then add a usage-only last chunk, and `"usage":null` to
 * every other chunk; without keys the client would have seen neither. Everything else a chunk
 * carries stays as the upstream sent it, usage it sends unasked (Mistral's, DeepSeek's,
 * OpenRouter's with `cost`, all in chunks with choices) included.
 *
 * A chunk losing its `"usage":null` keeps the upstream's bytes otherwise: the member is cut out
 * of its kept JSON text (`json-text.ts`), so the REST door still writes the upstream's own text,
 * byte for byte what the upstream sends a client that does not ask.
 */
import { isRecord } from "../../shared/index.js";
import { keepJsonText, keptJsonText } from "../providers/json-text.js";

/** True for a chunk that only carries usage (no choices, a usage object): the chunk asking adds. */
export function isUsageOnly(chunk: unknown): boolean {
  if (!isRecord(chunk) || !isRecord(chunk.usage)) return false;
  const choices = chunk.choices;
  return choices == null || (Array.isArray(choices) && choices.length === 0);
}

/** The chunk without a top-level `usage: null` (the chunk itself when it has none), keeping its text when it can. */
export function withoutNullUsage<T>(chunk: T): T {
  if (!isRecord(chunk) || chunk.usage !== null) return chunk;
  const { usage: _null, ...rest } = chunk;
  const text = keptJsonText(chunk);
  const cut = text === undefined ? undefined : withoutTopLevelNull(text);
  // Without its text (none kept, or the member not found as written), the door serializes it again.
  return (cut === undefined ? rest : keepJsonText(rest, cut)) as T;
}

// `"usage"`, then optional whitespace, `:`, optional whitespace and `null`.
const NULL_USAGE = /"usage"\s*:\s*null/g;

/**
 * `text` (one JSON object) without its top-level `"usage": null` member and the comma that joined
 * it; undefined when it is not written there plainly (an escaped key, say).
 */
function withoutTopLevelNull(text: string): string | undefined {
  NULL_USAGE.lastIndex = 0;
  for (let match = NULL_USAGE.exec(text); match; match = NULL_USAGE.exec(text)) {
    if (depthAt(text, match.index) !== 1) continue;
    const start = match.index;
    const end = start + match[0].length;
    // The comma before it (a later member) or after it (the first member) goes with it.
    const comma = skipSpace(text, start - 1, -1);
    if (text[comma] === ",") return text.slice(0, comma) + text.slice(end);
    const next = skipSpace(text, end, 1);
    return text.slice(0, start) + text.slice(text[next] === "," ? skipSpace(text, next + 1, 1) : end);
  }
  return undefined;
}

/** The first index from `at` (going `step`) that is not JSON whitespace. */
function skipSpace(text: string, at: number, step: 1 | -1): number {
  let i = at;
  while (i >= 0 && i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i += step;
  return i;
}

/** The nesting depth of `text` at `index` (1 inside the top-level object), or -1 inside a string. */
function depthAt(text: string, index: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return inString ? -1 : depth;
}
