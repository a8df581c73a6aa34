/**
 * superjson for outputs, without its walk when there is nothing to encode. Almost every output is
 * plain JSON (completions and chunks parsed from an upstream's JSON), for which superjson's answer
 * is always `{ json: value }`; finding that out costs it a full walk that builds a path per node
 * (~10 % of the gateway's CPU on a tRPC stream in the bench profile). A plain-JSON check is a small
 * fraction of that. Anything else (a Date, a Map, `undefined`, NaN, -0, a class) takes superjson's
 * path, so the wire stays exactly superjson's and any superjson client reads it.
 */
import superjson from "superjson";

// Deeper than any output we make; past it superjson decides (and JSON.stringify would too).
const MAX_DEPTH = 64;

/** The output transformer: `{ json: value }` for plain JSON, superjson for the rest. */
export const plainFirstOutput = {
  serialize: (value: unknown) => (isPlainJson(value, 0) ? { json: value } : superjson.serialize(value)),
  deserialize: (payload: unknown) => superjson.deserialize(payload as Parameters<typeof superjson.deserialize>[0]),
};

/** True when `value` is what JSON.parse could have produced (and so superjson would not annotate). */
export function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}
