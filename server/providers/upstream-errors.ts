/**
 * Maps whatever an upstream call threw into the one error model, keeping its meaning:
 * 4xx keep their status and (redacted, truncated) message, type and code, 429 keeps `retry-after`;
 * an error the upstream reports inside a stream (or in a 200 body) is relayed the same way, with
 * the status its code or type names. Hidden on purpose, their details going to the log only: the
 * bodies of 5xx answers (they quote internal URLs and versions), connection failures and
 * redirects, all a 502 with a generic message; 529 (overloaded) is a retryable 503; timeouts are 504.
 *
 * Every configured secret (provider keys and `providers[].headers` values) is scrubbed from
 * everything relayed or logged, and so is anything shaped like an API key.
 */
import { LanguruError, ServiceUnavailableError, UpstreamError, errorFromStatus } from "../../shared/index.js";
import { log } from "../log.js";
import type { UpstreamErrorFields } from "./error-body.js";
import { relayedUpstreamHeaders } from "./relayed-headers.js";

const KEPT_HEADERS = ["retry-after", "retry-after-ms"];
// An upstream's 4xx message is relayed, but not a page of it.
const MAX_RELAYED_CHARS = 1_000;
// Shorter configured values (`true`, a version) are not secrets, and replacing them would garble messages.
const MIN_SECRET_LENGTH = 8;
const configuredSecrets = new Set<string>();

/** Adds configured secrets (provider keys, header values) to what every relayed or logged upstream text is scrubbed of. */
export function rememberSecrets(secrets: Iterable<string>): void {
  for (const secret of secrets) if (secret.length >= MIN_SECRET_LENGTH) configuredSecrets.add(secret);
}

/**
 * What an upstream answered instead of a result: its status (none for an error sent with a 200 or
 * as an event inside a stream), the error its body described (read in any dialect, `error-body.ts`),
 * and its headers. The `message` reads as the `openai` SDK words one (`<status> <text>`), for the log.
 */
export class UpstreamAnswerError extends Error {
  constructor(
    readonly status: number | undefined,
    readonly fields: UpstreamErrorFields,
    readonly headers: Record<string, string>,
  ) {
    super(status ? `${status} ${fields.message || "status code (no body)"}` : fields.message || "(no status code or body)");
    this.name = "UpstreamAnswerError";
  }
}

/** The upstream could not be reached (refused, reset, closed before answering). */
export class UpstreamUnreachableError extends Error {
  constructor(cause?: Error) {
    super("Connection error.", { cause });
    this.name = "UpstreamUnreachableError";
  }
}

/** Converts an error raised while calling provider `provider`. */
export function fromUpstreamError(err: unknown, provider: { name: string; secrets: string[] }): LanguruError {
  if (err instanceof LanguruError) return err;
  const scrub = (text: string) => redact(text, provider.secrets);
  const hidden = (what: string, details: string, headers: Record<string, string> = {}) => {
    log.warn({ provider: provider.name, details: scrub(details).slice(0, 4 * MAX_RELAYED_CHARS) }, `upstream ${what}`);
    return new UpstreamError(`upstream '${provider.name}' ${what}`, { headers });
  };
  if (err instanceof UpstreamUnreachableError) return hidden("is unreachable", causeMessage(err));
  if (err instanceof UpstreamAnswerError) {
    const { status, fields } = err;
    // The upstream's request id (and processing time) on every error: it is what its support asks for.
    // Its rate limits are not: on an error the gateway's own would be missing, and the two read alike.
    const ids = upstreamIds(err.headers);
    const headers: Record<string, string> = { ...ids };
    for (const name of KEPT_HEADERS) {
      const value = err.headers[name];
      if (value) headers[name] = value;
    }
    // Every field is the upstream's text and may quote a secret, not only the message.
    const relay = (value: string) => truncate(scrub(value));
    const relayed = (as: number, message: string) =>
      errorFromStatus(as, relay(message), {
        type: fields.type ? relay(fields.type) : undefined,
        param: fields.param ? relay(fields.param) : null,
        code: fields.code ? relay(fields.code) : null,
        headers,
      });
    // An error inside a stream (or in a 200 body) is the upstream's own report, meant for the client:
    // relayed, with the status its code or type names (a failure of the upstream's when it names none).
    if (status === undefined) return relayed(statusNamedBy(fields), fields.message || "the upstream reported an error without a message");
    // Anthropic's 529 (and any 5xx naming itself overloaded): busy, not broken; 503 is retried and tells the client to come back.
    if (status === 529 || (status >= 500 && fields.type === "overloaded_error")) {
      log.warn({ provider: provider.name, status, details: scrub(fields.message).slice(0, 4 * MAX_RELAYED_CHARS) }, "upstream overloaded");
      return new ServiceUnavailableError(`upstream '${provider.name}' is overloaded (${status})`, { code: "upstream_overloaded", headers });
    }
    // A 5xx body often quotes internal URLs and versions: logged, never relayed. A 503's retry-after
    // is kept: the retry loop honours it, and it is good advice for the client too. A redirect (or
    // any status that is no error) is not an answer a chat call can give: the upstream is misconfigured.
    if (status >= 500 || status < 400) return hidden(`failed (${status})`, err.message, status >= 500 ? headers : ids);
    return relayed(status, withoutStatus(fields.message, status) || `the upstream answered ${status} without an error message`);
  }
  return hidden("failed", err instanceof Error ? err.message : String(err));
}

// A plain-text or HTML error often starts with its own status ("400 Bad Request: ..."); the status
// travels on its own, and a client prints it before the message (the openai SDK: "400 400 ...").
function withoutStatus(message: string, status: number): string {
  return message.startsWith(`${status} `) ? message.slice(String(status).length + 1).trimStart() : message;
}

function causeMessage(err: UpstreamUnreachableError): string {
  const cause = err.cause;
  return cause instanceof Error && cause.message ? cause.message : err.message;
}

function truncate(text: string): string {
  return text.length > MAX_RELAYED_CHARS ? `${text.slice(0, MAX_RELAYED_CHARS)}...` : text;
}

// Secrets are replaced wherever they appear, and so is anything shaped like an API key that an
// upstream echoes back (OpenAI's 401 quotes part of the key it got).
function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of [...secrets, ...configuredSecrets]) if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  return out.replace(/\b(sk|key|gsk|xai)-[A-Za-z0-9_*-]{4,}/g, "[redacted]");
}

// What an error reported without an HTTP status means, by its code (a status number) or its type.
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  permission_denied: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  overloaded_error: 503,
  timeout_error: 504,
  // Google's canonical codes (Gemini's `status`).
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNKNOWN: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

function statusNamedBy(fields: UpstreamErrorFields): number {
  const code = Number(fields.code);
  if (Number.isInteger(code) && code >= 400 && code <= 599) return code === 529 ? 503 : code;
  // Own keys only: an upstream's type of "constructor" must not find Object's.
  const named = (name: string | undefined) => (name !== undefined && Object.hasOwn(STATUS_OF_TYPE, name) ? STATUS_OF_TYPE[name] : undefined);
  return named(fields.type) ?? named(fields.code) ?? 502;
}

function upstreamIds(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(relayedUpstreamHeaders(headers))) if (!name.startsWith("x-ratelimit-")) out[name] = value;
  return out;
}
