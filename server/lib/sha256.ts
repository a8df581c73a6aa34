/**
 * SHA-256 of a string, on the hot path (every keyed call hashes its key; the token estimate keys
 * its cache by a digest): the one-shot `crypto.hash` (Node 20.12+) costs less than half of a Hash
 * object, with the Hash object where it is missing.
 */
import * as crypto from "node:crypto";

type Encoding = "hex" | "base64";

/** The SHA-256 of `text` (UTF-8), as hex or base64. */
export const sha256: (text: string, encoding: Encoding) => string =
  typeof crypto.hash === "function"
    ? (text, encoding) => crypto.hash("sha256", text, encoding)
    : (text, encoding) => crypto.createHash("sha256").update(text, "utf8").digest(encoding);
