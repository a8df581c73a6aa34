/**
 * Reads a JSON request body with a size limit: 413 over the limit, 415 for a non-JSON type, 400 for bad JSON.
 * Integer literals beyond ±2^53 are kept exactly (`JsonInteger`), so the upstream gets the client's digits.
 */
import type { IncomingMessage } from "node:http";
import { InvalidRequestError, LanguruError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../../shared/index.js";
import { MAX_INPUT_DEPTH, assertBoundedJson } from "../limits/index.js";
import { readText } from "../lib/read-text.js";
import { keepExactIntegers } from "./exact-integers.js";

/**
 * Reads and parses the body. A missing content type is read as JSON (raw HTTP clients often omit it);
 * any other non-JSON type, curl's `-d` default `application/x-www-form-urlencoded` included, is a 415.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "" && type !== "application/json" && !type.endsWith("+json")) {
    throw new UnsupportedMediaTypeError(`Unsupported content type '${type}': send 'application/json'.`, { code: "unsupported_media_type" });
  }
  const declared = Number(req.headers["content-length"]);
  if (declared > limitBytes) throw tooLarge(limitBytes);

  const text = await readText(req, limitBytes, {
    tooLarge: () => tooLarge(limitBytes),
    // The client cut its own upload (or the body deadline did): its doing, not a gateway fault to log as an error.
    cut: () => new LanguruError(400, "The request body ended before it was complete.", { code: "incomplete_body" }),
  });
  if (text.trim() === "") throw new InvalidRequestError("The request body is empty: send a JSON object.", { code: "invalid_json" });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError(`The request body is not valid JSON: ${(err as Error).message.slice(0, 200)}`, { code: "invalid_json" });
  }
  // Deep nesting would overflow the stack of whatever touches the value later (validation, serializers).
  assertBoundedJson(parsed, { maxBytes: Number.POSITIVE_INFINITY, maxDepth: MAX_INPUT_DEPTH });
  // A `seed` of 9007199254740993 must reach the upstream as those digits, not as the nearest double.
  return keepExactIntegers(text, parsed);
}

function tooLarge(limitBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The request body is larger than the limit of ${limitBytes} bytes.`, { code: "payload_too_large" });
}
