/**
 * Key format, hashing and comparison. A key is `sk-lru-<id>_<secret>`: the 12-hex-digit id is
 * not secret (it names the key in lists and the ledger, and finds its row), the 32-character
 * secret is 192 random bits. Only the SHA-256 of the whole key is stored; a slow hash adds nothing
 * for a random 192-bit secret. Hashes are compared in constant time.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { sha256 } from "../lib/sha256.js";

const PREFIX = "sk-lru-";
const ID_LENGTH = 12;
const SECRET_LENGTH = 32;
const KEY_PATTERN = /^sk-lru-([0-9a-f]{12})_[A-Za-z0-9_-]{32}$/;

/** A freshly made key: shown once, then only its id and hash remain. */
export interface GeneratedKey {
  id: string;
  key: string;
  hash: string;
}

/** Makes a new random key. */
export function generateKey(): GeneratedKey {
  const id = randomBytes(ID_LENGTH / 2).toString("hex");
  const secret = randomBytes((SECRET_LENGTH * 3) / 4).toString("base64url");
  const key = `${PREFIX}${id}_${secret}`;
  return { id, key, hash: hashKey(key) };
}

/** The id inside a well-formed key, or null. */
export function keyIdOf(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

/** Hex SHA-256 of a key. */
export function hashKey(key: string): string {
  return sha256(key, "hex");
}

/** Whether two hex hashes are equal, in time that does not depend on where they differ. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A presented key shortened for messages, as OpenAI does (`sk-***Ab3d`); short strings show nothing. */
export function redactKey(key: string): string {
  return key.length >= 20 ? `${key.slice(0, 3)}***${key.slice(-4)}` : "***";
}

/** Reads the caller's key from `Authorization: Bearer <key>`, Anthropic's `x-api-key` or Azure's `api-key` header. */
export function keyFromHeaders(headers: Record<string, string | string[] | undefined>): string | null {
  const auth = first(headers.authorization);
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match) return match[1]!.trim();
  }
  const apiKey = first(headers["x-api-key"]) ?? first(headers["api-key"]);
  return apiKey ? apiKey.trim() : null;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
