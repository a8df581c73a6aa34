/**
 * Anthropic's rate-limit headers in the gateway's terms. Anthropic names them
 * `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`, the
 * reset an RFC 3339 time; the retry policy and clients read OpenAI's `retry-after` and
 * `x-ratelimit-*`. So a 429 without `retry-after` gets one from the reset of the limit that ran
 * out (the retry policy then waits for it, within its cap), and every answer's limits are also
 * given as `x-ratelimit-{limit,remaining,reset}-<kind>` (the reset as seconds, `"12s"`), which the
 * gateway relays to clients as it relays OpenAI's.
 */

const KINDS = ["requests", "tokens", "input-tokens", "output-tokens"] as const;

/** `headers` plus the OpenAI-named equivalents of Anthropic's rate-limit headers (and a derived `retry-after` on a 429). */
export function withOpenAIRateLimits(headers: Record<string, string>, status: number, now = Date.now()): Record<string, string> {
  const out = { ...headers };
  let exhaustedUntil: number | null = null;
  for (const kind of KINDS) {
    const limit = headers[`anthropic-ratelimit-${kind}-limit`];
    const remaining = headers[`anthropic-ratelimit-${kind}-remaining`];
    const resetAt = Date.parse(headers[`anthropic-ratelimit-${kind}-reset`] ?? "");
    const resetSeconds = Number.isNaN(resetAt) ? null : Math.max(0, Math.ceil((resetAt - now) / 1000));
    if (limit !== undefined) out[`x-ratelimit-limit-${kind}`] = limit;
    if (remaining !== undefined) out[`x-ratelimit-remaining-${kind}`] = remaining;
    if (resetSeconds !== null) out[`x-ratelimit-reset-${kind}`] = `${resetSeconds}s`;
    if (remaining === "0" && resetSeconds !== null) exhaustedUntil = Math.max(exhaustedUntil ?? 0, resetSeconds);
  }
  if (status === 429 && out["retry-after"] === undefined && exhaustedUntil !== null) out["retry-after"] = String(exhaustedUntil);
  return out;
}
