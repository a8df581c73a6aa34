/**
 * The one reader of the token counts an upstream reports. An upstream is not trusted to send counts:
 * a broken or hostile one has sent `-1e9` (which became budget credit), `1e400` (Infinity), `"9"`,
 * `true`, `{}`, `9.5` and `3e9` (which prom-client, the TPM window or a store's INTEGER column
 * throw on). So whatever reads usage for metrics, limits, budgets or the ledger reads it here, and
 * a usage that is not made of counts is unknown: the call is then settled at its estimate, as if
 * the upstream had sent no usage. The client still gets the usage as the upstream sent it.
 */
import { isRecord } from "../../shared/index.js";

/**
 * The largest count taken as one: PostgreSQL's INTEGER, the narrowest column the ledger writes it
 * to. No call comes near it (the largest context windows are ~10^7 tokens).
 */
export const MAX_TOKEN_COUNT = 2_147_483_647;

/** A call's usage in the gateway's own terms. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from a prompt cache (`prompt_tokens_details.cached_tokens`), priced lower; absent when not reported. */
  cachedTokens?: number;
}

/** `value` if it is a token count (a non-negative integer up to `MAX_TOKEN_COUNT`), else null. */
export function tokenCount(value: unknown): number | null {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_TOKEN_COUNT) return null;
  // -0 is an integer >= 0; it is written as 0.
  return value === 0 ? 0 : value;
}

/**
 * The usage an upstream reported in `usage` (a completion's or a chunk's `usage` field, any JSON),
 * or null when it reported none or anything we read in it is not a count. `total_tokens` is not
 * used, but one present and not a count marks the whole report as broken. Of the details only
 * `cached_tokens` is read (it prices the prompt), and only when it is a count no larger than the
 * prompt; otherwise it is left out, the rest of the report still good.
 */
export function upstreamUsage(usage: unknown): TokenUsage | null {
  if (!isRecord(usage)) return null;
  const promptTokens = tokenCount(usage.prompt_tokens);
  const completionTokens = tokenCount(usage.completion_tokens);
  if (promptTokens === null || completionTokens === null) return null;
  if (usage.total_tokens != null && tokenCount(usage.total_tokens) === null) return null;
  const details = usage.prompt_tokens_details;
  const cachedTokens = isRecord(details) ? tokenCount(details.cached_tokens) : null;
  return cachedTokens !== null && cachedTokens > 0 && cachedTokens <= promptTokens
    ? { promptTokens, completionTokens, cachedTokens }
    : { promptTokens, completionTokens };
}

/** `usage` if both its counts are counts, else null: for numbers that reached us typed, but not checked. */
export function checkedUsage(usage: TokenUsage | null | undefined): TokenUsage | null {
  if (!usage) return null;
  const promptTokens = tokenCount(usage.promptTokens);
  const completionTokens = tokenCount(usage.completionTokens);
  if (promptTokens === null || completionTokens === null) return null;
  const cachedTokens = tokenCount(usage.cachedTokens);
  return cachedTokens !== null && cachedTokens > 0 && cachedTokens <= promptTokens
    ? { promptTokens, completionTokens, cachedTokens }
    : { promptTokens, completionTokens };
}
