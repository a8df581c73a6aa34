/**
 * Maps whatever an upstream call threw into the one error model, keeping its meaning:
 * 4xx keep their status and message (429 keeps `retry-after`), 5xx and network failures become
 * 502, timeouts 504. Provider keys are scrubbed from every message.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { LanguruError, TimeoutError, UpstreamError, errorFromStatus, isRecord } from "../../shared/index.js";

const KEPT_HEADERS = ["retry-after", "retry-after-ms"];

/** Converts an error from the `openai` SDK (or anything else) raised while calling provider `provider`. */
export function fromUpstreamError(err: unknown, provider: { name: string; secrets: string[] }): LanguruError {
  if (err instanceof LanguruError) return err;
  const scrub = (text: string) => redact(text, provider.secrets);
  if (err instanceof APIConnectionTimeoutError) {
    return new TimeoutError(`upstream '${provider.name}' timed out`);
  }
  if (err instanceof APIUserAbortError) {
    return new UpstreamError(`request to upstream '${provider.name}' was aborted`, { code: "aborted" });
  }
  if (err instanceof APIConnectionError) {
    return new UpstreamError(`cannot reach upstream '${provider.name}': ${scrub(causeMessage(err))}`);
  }
  if (err instanceof APIError) {
    const body = isRecord(err.error) ? err.error : {};
    const message = scrub(typeof body.message === "string" ? body.message : err.message);
    const status = err.status;
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = err.headers?.get(name);
      if (value) headers[name] = value;
    }
    if (status === undefined || status >= 500) {
      // A 5xx or an error event inside a stream: the upstream failed, not the caller. A 503's
      // retry-after is kept: the retry loop honours it, and it is good advice for the client too.
      return new UpstreamError(`upstream '${provider.name}' failed${status ? ` (${status})` : ""}: ${message}`, { headers });
    }
    // Every field is the upstream's text and may quote the key, not only the message.
    return errorFromStatus(status, message, {
      type: typeof body.type === "string" ? scrub(body.type) : undefined,
      param: typeof body.param === "string" ? scrub(body.param) : null,
      code: typeof body.code === "string" ? scrub(body.code) : null,
      headers,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new UpstreamError(`upstream '${provider.name}' failed: ${scrub(message)}`);
}

function causeMessage(err: APIConnectionError): string {
  const cause = err.cause;
  return cause instanceof Error && cause.message ? cause.message : err.message;
}

// Secrets are replaced wherever they appear, and so is anything shaped like an API key that an
// upstream echoes back (OpenAI's 401 quotes part of the key it got).
function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  return out.replace(/\b(sk|key|gsk|xai)-[A-Za-z0-9_*-]{4,}/g, "[redacted]");
}
