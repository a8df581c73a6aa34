/**
 * Maps whatever an upstream call threw into the one error model, keeping its meaning:
 * 4xx keep their status and (redacted, truncated) message, 429 keeps `retry-after`; 5xx and
 * network failures become a 502 with a generic message, their details going to the log only
 * (upstream 5xx text quotes internal URLs and versions); timeouts are 504.
 *
 * Every configured secret (provider keys and `providers[].headers` values) is scrubbed from
 * everything relayed or logged, and so is anything shaped like an API key.
 */
import { LanguruError, UpstreamError, errorFromStatus, isRecord } from "../../shared/index.js";
import { log } from "../log.js";

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
 * as an event inside a stream), the `error` object of its body, and its headers. The message is
 * made as the `openai` SDK makes it, so relayed texts read the same as when the SDK was the client.
 */
export class UpstreamAnswerError extends Error {
  constructor(
    readonly status: number | undefined,
    readonly error: unknown,
    readonly headers: Record<string, string>,
    text?: string,
  ) {
    super(messageOf(status, error, text));
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
    const body = isRecord(err.error) ? err.error : {};
    const text = typeof body.message === "string" ? body.message : err.message;
    const status = err.status;
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = err.headers[name];
      if (value) headers[name] = value;
    }
    if (status === undefined || status >= 500) {
      // A 5xx or an error event inside a stream: the upstream failed, not the caller. A 503's
      // retry-after is kept: the retry loop honours it, and it is good advice for the client too.
      return hidden(`failed${status ? ` (${status})` : ""}`, text, headers);
    }
    // Every field is the upstream's text and may quote a secret, not only the message.
    const relay = (value: string) => truncate(scrub(value));
    return errorFromStatus(status, relay(text), {
      type: typeof body.type === "string" ? relay(body.type) : undefined,
      param: typeof body.param === "string" ? relay(body.param) : null,
      code: typeof body.code === "string" ? relay(body.code) : null,
      headers,
    });
  }
  return hidden("failed", err instanceof Error ? err.message : String(err));
}

// `<status> <message>`, as the openai SDK's APIError words it.
function messageOf(status: number | undefined, error: unknown, text: string | undefined): string {
  const inner = isRecord(error) ? error.message : undefined;
  const message = inner ? (typeof inner === "string" ? inner : JSON.stringify(inner)) : error ? JSON.stringify(error) : text;
  if (status && message) return `${status} ${message}`;
  if (status) return `${status} status code (no body)`;
  return message || "(no status code or body)";
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
