/**
 * One-line hooks for the routing code, each given the request's record (the call carries it);
 * without one (tests calling the router directly) they do nothing.
 */
import { LanguruError } from "../../shared/index.js";
import type { RequestRecord } from "./request.js";

/** Awaits an upstream call (or a backoff it asked for), adding the wait to the request's upstream time. */
export function timeUpstream<T>(record: RequestRecord | undefined, pending: Promise<T>): Promise<T> {
  if (!record) return pending;
  const started = performance.now();
  // One `finally` per wait: this runs once per streamed chunk, so no async wrapper around it.
  return pending.finally(() => {
    record.upstreamMs += performance.now() - started;
  });
}

/** Notes whose call it is (a key id, `master`), when a procedure learns it itself: an SSE follower shows a ticket, not a key. */
export function callerKnown(record: RequestRecord | null | undefined, owner: string | null): void {
  if (record && owner) record.noted.keyId = owner;
}

/** Counts a failed upstream attempt by deployment and kind. */
export function upstreamFailed(record: RequestRecord | undefined, deployment: string, error: unknown): void {
  record?.metrics.upstreamError(deployment, failureKind(error));
}

/** Counts a deployment entering cooldown. */
export function cooldownStarted(record: RequestRecord | undefined, deployment: string): void {
  record?.metrics.cooldown(deployment);
}

/** A small fixed set of kinds, so the label stays bounded. */
function failureKind(error: unknown): string {
  if (!(error instanceof LanguruError)) return "other";
  if (error.status === 504 || error.code === "timeout" || error.name === "TimeoutError") return "timeout";
  if (error.status === 429) return "rate_limit";
  if (error.code === "context_length_exceeded") return "context_window";
  if (error.status >= 500 && error.status !== 502) return "server_error";
  if (error.status === 502) return /cannot reach|connect|network|socket|ECONN|fetch failed/i.test(error.message) ? "connection" : "server_error";
  if (error.status >= 400) return "client_error";
  return "other";
}
