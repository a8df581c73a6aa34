/**
 * Headers that cross the gateway: the upstream response headers a client reads (its request id,
 * processing time, rate limits), and the client request headers a provider is configured to
 * receive (`forwardHeaders`: OpenAI-Organization, OpenAI-Project, OpenRouter's X-Title...).
 * Both sides are bounded: a few named headers, each value cut short.
 */
import type { IncomingHttpHeaders } from "node:http";

// A header value longer than this is not a request id or a count: it is not relayed.
const MAX_VALUE_CHARS = 256;
// Rate-limit headers relayed at most; OpenAI sends six.
const MAX_RATE_LIMIT_HEADERS = 16;
const RATE_LIMIT = /^x-ratelimit-[a-z0-9-]{1,48}$/;

/** The upstream response headers a client gets, under the names it gets them. */
export function relayedUpstreamHeaders(upstream: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  // The client's own `x-request-id` is the gateway's; the upstream's is what its support asks for.
  const id = upstream["x-request-id"] ?? upstream["request-id"];
  if (id !== undefined && id.length <= MAX_VALUE_CHARS) out["x-upstream-request-id"] = id;
  const processing = upstream["openai-processing-ms"];
  if (processing !== undefined && processing.length <= MAX_VALUE_CHARS) out["openai-processing-ms"] = processing;
  let rateLimits = 0;
  for (const [name, value] of Object.entries(upstream)) {
    if (rateLimits === MAX_RATE_LIMIT_HEADERS) break;
    if (!RATE_LIMIT.test(name) || value.length > MAX_VALUE_CHARS) continue;
    out[name] = value;
    rateLimits++;
  }
  return out;
}

/**
 * The response headers of a call: the gateway's own, plus the upstream's relayed ones; the
 * upstream's rate limits only when the gateway set none of its own (two sets would contradict).
 */
export function withUpstreamHeaders(gateway: Record<string, string>, upstream: Record<string, string> | undefined): Record<string, string> {
  if (!upstream) return gateway;
  const ownLimits = Object.keys(gateway).some((name) => name.startsWith("x-ratelimit-"));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(upstream)) if (!(ownLimits && name.startsWith("x-ratelimit-"))) out[name] = value;
  return Object.assign(out, gateway);
}

/** The client's headers a provider forwards: those on its allow-list (lower-cased names), bounded. */
export function forwardedClientHeaders(allowed: readonly string[], client: IncomingHttpHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!client || allowed.length === 0) return out;
  for (const name of allowed) {
    const value = client[name];
    const text = Array.isArray(value) ? value.join(", ") : value;
    if (text !== undefined && text.length <= MAX_VALUE_CHARS) out[name] = text;
  }
  return out;
}
