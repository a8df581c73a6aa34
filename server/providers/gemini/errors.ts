/**
 * Google's error answers, read: `{"error":{"code":429,"message":...,"status":"RESOURCE_EXHAUSTED",
 * "details":[...]}}`, sometimes wrapped in an array. The fields are read by the one error reader
 * (`error-body.ts`, which names the error by its `status`); a `google.rpc.RetryInfo` detail's
 * `retryDelay` ("30s") becomes a `retry-after` header when Google sent none, so the retry policy
 * and the client both wait as long as Google asked.
 */
import { isRecord } from "../../../shared/index.js";
import { errorFieldsOf, errorFieldsOfText, type UpstreamErrorFields } from "../error-body.js";
import { parseJson } from "../answer.js";

/** An error answer's fields and the headers it implies. */
export function geminiError(
  text: string,
  contentType: string | undefined,
  headers: Record<string, string>,
): { fields: UpstreamErrorFields; headers: Record<string, string> } {
  const payload = unwrapped(parseJson(text.trim()));
  const fields = (payload !== undefined ? errorFieldsOf(payload) : null) ?? errorFieldsOfText(text, contentType);
  const delay = retryDelaySeconds(payload);
  return { fields, headers: delay !== null && headers["retry-after"] === undefined ? { ...headers, "retry-after": String(delay) } : headers };
}

/** An error payload inside a stream, unwrapped like an answer's. */
export function unwrapped(payload: unknown): unknown {
  return Array.isArray(payload) && payload.length > 0 ? payload[0] : payload;
}

// `details: [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "31s"}]`; whole seconds, rounded up.
function retryDelaySeconds(payload: unknown): number | null {
  if (!isRecord(payload) || !isRecord(payload.error) || !Array.isArray(payload.error.details)) return null;
  for (const detail of payload.error.details.slice(0, 16)) {
    if (!isRecord(detail) || typeof detail["@type"] !== "string" || !detail["@type"].endsWith("google.rpc.RetryInfo")) continue;
    const match = typeof detail.retryDelay === "string" ? /^(\d{1,6})(?:\.(\d{1,9}))?s$/.exec(detail.retryDelay) : null;
    if (match) return Number(match[1]) + (match[2] && Number(match[2]) > 0 ? 1 : 0);
  }
  return null;
}
