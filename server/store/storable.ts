/**
 * Values every store can hold. Ledger rows carry client-chosen text (the model name as sent) and
 * upstream-reported numbers, and one value a column refuses used to fail its whole batch: PostgreSQL
 * rejects NUL in text (`invalid byte sequence 0x00`), integers past 2^31-1 or with a fraction in an
 * INTEGER column, and SQLite a NaN in a NOT NULL one. So both stores write only what this module
 * returns: NUL and lone UTF-16 surrogates become U+FFFD, ledger text is cut to a bounded length,
 * counts become non-negative integers within an INTEGER column, a cost that is not a finite
 * non-negative number becomes unknown (null), and an invalid time becomes now.
 */
import type { KeySettings, UsageRow } from "./types.js";

/** The longest text a ledger row keeps per field (the registry refuses longer model names anyway). */
export const MAX_LEDGER_TEXT = 256;
/** What a row the store refused is written with instead of its text. */
export const UNSTORABLE_MODEL = "(unstorable)";

// PostgreSQL's INTEGER, the narrowest integer column either store has.
const MAX_INTEGER = 2_147_483_647;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// ES2024's String.prototype.isWellFormed (in Node 20); the project's lib is ES2022.
type WellFormedCheck = string & { isWellFormed(): boolean };

/** `text` with NUL and lone surrogates replaced by U+FFFD, cut to `maxChars` (a pair the cut splits becomes U+FFFD too). */
export function storableText(text: string, maxChars = Number.POSITIVE_INFINITY): string {
  const cut = text.length > maxChars ? text.slice(0, maxChars) : text;
  // The common case, checked natively: nothing to replace (one row per request passes here).
  if (!cut.includes("\0") && (cut as WellFormedCheck).isWellFormed()) return cut;
  // Cutting may leave half a pair at the end, which the replacement then turns into U+FFFD.
  return cut.replaceAll("\0", "\ufffd").replace(LONE_SURROGATE, "\ufffd");
}

/** A ledger row every store accepts; rows that already are come back unchanged in value. */
export function storableUsage(row: UsageRow): UsageRow {
  const at = row.at instanceof Date && Number.isFinite(row.at.getTime()) ? row.at : new Date();
  return {
    at,
    keyId: optionalText(row.keyId),
    model: storableText(String(row.model), MAX_LEDGER_TEXT),
    deployment: optionalText(row.deployment),
    promptTokens: count(row.promptTokens),
    completionTokens: count(row.completionTokens),
    latencyMs: count(row.latencyMs),
    ttftMs: row.ttftMs == null ? null : count(row.ttftMs),
    status: count(row.status),
    errorType: optionalText(row.errorType),
    costUsd: typeof row.costUsd === "number" && Number.isFinite(row.costUsd) && row.costUsd >= 0 ? row.costUsd : null,
    stream: row.stream === true,
  };
}

/** The row without any of its text, for a row the store refused as it was: its spend still counts. */
export function placeholderUsage(row: UsageRow): UsageRow {
  return { ...storableUsage(row), model: UNSTORABLE_MODEL, deployment: null, errorType: null };
}

/** Key settings every store accepts: the name and the model patterns without NUL or lone surrogates. */
export function storableSettings<T extends Partial<KeySettings>>(patch: T): T {
  const out = { ...patch };
  if (typeof out.name === "string") out.name = storableText(out.name);
  if (Array.isArray(out.models)) out.models = out.models.map((m) => storableText(m));
  return out;
}

function optionalText(text: string | null): string | null {
  return text == null ? null : storableText(String(text), MAX_LEDGER_TEXT);
}

// A count no column refuses: NaN, negatives and non-numbers are 0, fractions round, the rest is capped.
function count(value: number): number {
  if (typeof value !== "number" || !(value > 0)) return 0;
  return Math.min(Math.round(value), MAX_INTEGER);
}
