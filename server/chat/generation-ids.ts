/**
 * Generation ids say which boot of the gateway made them: `gen-<uuid>` whose first 8 hex digits are
 * the generation store's boot id (random per process start), the rest random. A store without a
 * shared mirror knows every generation of its own boot, so an unknown id from another boot was
 * started before a restart (or by another replica that shares nothing): it can say so instead of a
 * bare "not found". The id keeps the UUID's shape (36 characters), as clients have seen it so far.
 */
import { randomBytes, randomUUID } from "node:crypto";

/** A fresh boot id: 8 hex digits. */
export function newBootId(): string {
  return randomBytes(4).toString("hex");
}

/** A new generation id of boot `boot`: 90 random bits after it (a version-4 UUID's other fields). */
export function newGenerationId(boot: string): string {
  return `gen-${boot}${randomUUID().slice(8)}`;
}

/** The boot id inside a generation id, or null when `id` is not one this gateway could have made. */
export function bootOf(id: string): string | null {
  return /^gen-([0-9a-f]{8})-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.exec(id)?.[1] ?? null;
}
