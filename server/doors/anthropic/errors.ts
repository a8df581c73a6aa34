/**
 * The one error model as Anthropic's error bodies: `{"type":"error","error":{"type","message"},
 * "request_id"}` with Anthropic's types (https://docs.claude.com/en/api/errors): 400
 * `invalid_request_error` (every 4xx without a type of its own), 401 `authentication_error`, 403
 * `permission_error`, 404 `not_found_error`, 413 `request_too_large`, 429 `rate_limit_error` (a
 * spent budget too: its message says so, and no `retry-after` comes with it), 500 and 502
 * `api_error`, 503 `overloaded_error` (Anthropic's 529: every deployment cooling down, or the
 * gateway shutting down), 504 `timeout_error`. The status stays the gateway's, so the official SDKs
 * raise the class they raise for Anthropic's own answer, and retry what they would retry.
 */
import type { ServerResponse } from "node:http";
import type { LanguruError } from "../../../shared/index.js";
import type { RequestRecord } from "../../observability/request.js";
import { asLanguruError, sendJson } from "../openai/respond.js";

const TYPES: Record<number, string> = {
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  503: "overloaded_error",
  504: "timeout_error",
};

const DETAILED_CODES = new Set(["thread_not_found"]);

/** Anthropic's error type for a status. */
export function anthropicErrorType(status: number): string {
  return TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

/** The Anthropic error body of an error. */
export function anthropicErrorBody(error: LanguruError, requestId?: string): Record<string, unknown> {
  const inner: Record<string, unknown> = { type: anthropicErrorType(error.status), message: error.message };
  // The codes Anthropic's SDKs act on (`error.details.error_code`): the thread a turn continues is unknown, so replay it.
  if (error.code !== null && DETAILED_CODES.has(error.code)) inner.details = { error_code: error.code };
  const body: Record<string, unknown> = { type: "error", error: inner };
  if (requestId) body.request_id = requestId;
  return body;
}

/** Sends anything thrown as an Anthropic error, noting it on the request's record. */
export function sendAnthropicError(res: ServerResponse, err: unknown, record?: RequestRecord): void {
  const error = asLanguruError(err);
  record?.noteError(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // After a 413 the rest of the body is not read; closing the connection keeps it from being parsed as a request.
  const headers = error.status === 413 ? { ...error.headers, connection: "close" } : error.headers;
  sendJson(res, error.status, anthropicErrorBody(error, record?.requestId), withRequestId(headers, record));
}

/** Anthropic's `request-id` header (its SDKs read it), the same id as the gateway's `x-request-id`. */
export function withRequestId(headers: Record<string, string>, record: RequestRecord | undefined): Record<string, string> {
  return record ? { ...headers, "request-id": record.requestId } : headers;
}
