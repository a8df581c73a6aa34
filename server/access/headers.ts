/** OpenAI's rate-limit headers, from the state of a key's windows. */
import type { TakeResult, WindowState } from "../limits/index.js";

/** `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` for the windows a key has (built on every admitted call). */
export function rateLimitHeaders(result: Pick<TakeResult, "requests" | "tokens">): Record<string, string> {
  const headers: Record<string, string> = {};
  const { requests, tokens } = result;
  if (requests) {
    headers["x-ratelimit-limit-requests"] = String(requests.limit);
    headers["x-ratelimit-remaining-requests"] = String(requests.remaining);
    headers["x-ratelimit-reset-requests"] = formatDuration(requests.resetMs);
  }
  if (tokens) {
    headers["x-ratelimit-limit-tokens"] = String(tokens.limit);
    headers["x-ratelimit-remaining-tokens"] = String(tokens.remaining);
    headers["x-ratelimit-reset-tokens"] = formatDuration(tokens.resetMs);
  }
  return headers;
}

/** `retry-after` (whole seconds, at least 1) for the window that was over. */
export function retryAfter(window: WindowState | null): Record<string, string> {
  return { "retry-after": String(Math.max(1, Math.ceil((window?.resetMs ?? 1000) / 1000))) };
}

/** A duration as OpenAI writes it in reset headers: `120ms`, `1.5s`, `6m0s`. */
export function formatDuration(ms: number): string {
  const rounded = Math.max(0, Math.round(ms));
  if (rounded < 1000) return `${rounded}ms`;
  // A whole number of ms over 1000 prints with at most three decimals and no trailing zeros (1.5s).
  if (rounded < 60_000) return `${rounded / 1000}s`;
  const minutes = Math.floor(rounded / 60_000);
  return `${minutes}m${(rounded % 60_000) / 1000}s`;
}
