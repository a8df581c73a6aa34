/** Which failures are worth another try, and how long to wait before it. */
import { InternalError, type LanguruError } from "../../shared/index.js";
import type { RetrySettings } from "../config.js";
import { CallerAbortedError } from "./caller-aborted.js";

const RETRYABLE_STATUS = new Set([408, 409, 429, 500, 502, 503, 504]);

/** Connection errors, timeouts and upstream 408/409/429/5xx; never the caller's own mistakes, nor our bugs. */
export function isRetryable(error: LanguruError): boolean {
  return RETRYABLE_STATUS.has(error.status) && !(error instanceof CallerAbortedError) && !(error instanceof InternalError);
}

/**
 * What says something about the deployment and so counts toward its cooldown: network failures,
 * timeouts, 5xx and 429. Never the caller's input, the caller leaving, or a bug of ours.
 */
export function isUpstreamFault(error: LanguruError): boolean {
  if (error instanceof CallerAbortedError || error instanceof InternalError) return false;
  return error.status === 429 || error.status >= 500;
}

/** The upstream said the conversation does not fit the model's context window. */
export function isContextWindowError(error: LanguruError): boolean {
  if (error.status !== 400) return false;
  return error.code === "context_length_exceeded" || /context (length|window)|maximum context|too many tokens/i.test(error.message);
}

/**
 * Exponential backoff with full jitter, or the upstream's `retry-after-ms` / `retry-after`
 * when it gave one, capped so that one slow upstream cannot hold a request for minutes.
 */
export function retryDelayMs(error: LanguruError, attempt: number, policy: RetrySettings, random = Math.random): number {
  const hinted = retryAfterMs(error.headers);
  if (hinted !== null) return Math.min(hinted, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The wait an upstream asked for, in ms, or null. */
export function retryAfterMs(headers: Record<string, string>): number | null {
  const ms = Number(headers["retry-after-ms"]);
  if (headers["retry-after-ms"] !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers["retry-after"];
  if (value === undefined) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
