/** OpenAI's rate-limit headers, from the state of a key's windows. */
import type { TakeResult, WindowState } from "../limits/index.js";

/** `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` for the windows a key has. */
export function rateLimitHeaders(result: Pick<TakeResult, "requests" | "tokens">): Record<string, string> {
  return { ...trio("requests", result.requests), ...trio("tokens", result.tokens) };
}

/** `retry-after` (whole seconds, at least 1) for the window that was over. */
export function retryAfter(window: WindowState | null): Record<string, string> {
  return { "retry-after": String(Math.max(1, Math.ceil((window?.resetMs ?? 1000) / 1000))) };
}

function trio(kind: "requests" | "tokens", window: WindowState | null): Record<string, string> {
  if (!window) return {};
  return {
    [`x-ratelimit-limit-${kind}`]: String(window.limit),
    [`x-ratelimit-remaining-${kind}`]: String(window.remaining),
    [`x-ratelimit-reset-${kind}`]: formatDuration(window.resetMs),
  };
}

/** A duration as OpenAI writes it in reset headers: `120ms`, `1.5s`, `6m0s`. */
export function formatDuration(ms: number): string {
  const rounded = Math.max(0, Math.round(ms));
  if (rounded < 1000) return `${rounded}ms`;
  if (rounded < 60_000) return `${Number((rounded / 1000).toFixed(3))}s`;
  const minutes = Math.floor(rounded / 60_000);
  return `${minutes}m${Number(((rounded % 60_000) / 1000).toFixed(3))}s`;
}
