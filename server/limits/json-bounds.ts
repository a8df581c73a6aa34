/**
 * Bounds on a parsed request value, whatever door it came through: how deep it nests and how large
 * it is once serialized. JSON text is bounded by its byte size, but a parsed value can be larger
 * (tRPC's superjson can point many places at one object) or deep enough to overflow the stack of
 * any recursive code that touches it later (a serializer, a validator, a token estimate).
 *
 * The walk stops as soon as a bound is crossed, so its own cost is bounded by the limits; a
 * circular value is simply too deep.
 */
import { InvalidRequestError, PayloadTooLargeError } from "../../shared/index.js";

/** The bounds of one value. */
export interface JsonBounds {
  /** Largest JSON size in bytes (counted as UTF-16 units: close enough, and never under for ASCII). */
  maxBytes: number;
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
}

/** The nesting depth a request may have: JSON schemas of tools rarely pass 20. */
export const MAX_INPUT_DEPTH = 64;

/** Throws 400 (too deep, circular, not serializable) or 413 (too large when serialized); returns the value otherwise. */
export function assertBoundedJson<T>(value: T, bounds: JsonBounds): T {
  let size = 0;
  const add = (bytes: number) => {
    size += bytes;
    if (size > bounds.maxBytes) {
      throw new PayloadTooLargeError(`The request is larger than the limit of ${bounds.maxBytes} bytes once expanded.`, { code: "payload_too_large" });
    }
  };
  const visit = (node: unknown, depth: number): void => {
    switch (typeof node) {
      case "string":
        add(node.length + 2);
        return;
      case "number":
      case "boolean":
        add(8);
        return;
      case "bigint":
        throw new InvalidRequestError("The request holds a BigInt, which JSON cannot carry: send numbers.", { code: "invalid_value" });
      case "object": {
        if (node === null) {
          add(4);
          return;
        }
        if (depth >= bounds.maxDepth) {
          throw new InvalidRequestError(`The request nests deeper than ${bounds.maxDepth} levels (or refers to itself).`, { code: "too_deep" });
        }
        if (node instanceof Date) {
          add(26);
          return;
        }
        add(2);
        if (Array.isArray(node)) {
          for (const item of node) {
            add(1);
            visit(item, depth + 1);
          }
          return;
        }
        for (const key of Object.keys(node)) {
          add(key.length + 4);
          visit((node as Record<string, unknown>)[key], depth + 1);
        }
        return;
      }
      default:
        return;
    }
  };
  visit(value, 0);
  return value;
}
