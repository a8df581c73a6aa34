/**
 * Reading an upstream's answer, the same for every provider kind: a body read whole within a bound
 * (its connection closed when it is over or cut short), JSON that may not be JSON, and the error an
 * attempt aborted by its caller becomes.
 */
import { UpstreamError } from "../../shared/index.js";
import { readText } from "../lib/read-text.js";
import type { UpstreamResponse } from "./transport.js";

/**
 * The body as text, at most `limit` bytes. An answer over the limit, or cut short, is not read
 * further: its connection is closed. A cut is not ours to word for the client (the provider's
 * error mapping makes it a generic 502, details logged).
 */
export function readAnswer(res: UpstreamResponse, limit: number): Promise<string> {
  return readText(res.body, limit, {
    tooLarge: () => new UpstreamError(`upstream answer larger than ${limit} bytes`),
    cut: () => new Error("the upstream closed its answer before the end"),
  }).catch((err: unknown) => {
    res.body.destroy();
    throw err;
  });
}

/** The parsed value, or undefined when the text is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** What a call to `provider` fails with once its caller aborted it. */
export function abortedCall(provider: string): UpstreamError {
  return new UpstreamError(`request to upstream '${provider}' was aborted`, { code: "aborted" });
}
