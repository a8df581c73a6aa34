/**
 * What a revocation does to calls admitted before it. New calls are refused at once (the key is
 * checked on every call); beyond that, a revoked key's running streams end at their next chunk
 * with a 401, which closes the upstream request, and its follow tokens are refused, so neither a
 * stream nor its buffered output outlives the key. A revocation made on this replica counts at
 * once; one made on another replica once this replica's cached copy of the key is older than
 * `keyCacheMs`. During a store outage a running stream goes on (it was admitted; the cache answers).
 */
import { AuthenticationError } from "../../shared/index.js";
import type { StreamObserver } from "../routing/attempt.js";
import type { Access, Caller } from "./service.js";

// How often a stream asks whether its key still stands; the key cache answers most of these without a store query.
const CHECK_EVERY_MS = 250;

/** An observer that passes every chunk and throws the 401 once it learned the key was revoked; null for the master key. */
export function revocationGuard(access: Access, caller: Caller | undefined): StreamObserver | null {
  if (!caller || caller.kind === "master") return null;
  const keyId = caller.key.id;
  // Admission just looked the key up.
  let checkedAt = Date.now();
  let checking = false;
  let revoked = false;
  const check = () => {
    checking = true;
    checkedAt = Date.now();
    access.keyActive(keyId).then(
      (active) => {
        revoked ||= !active;
        checking = false;
      },
      () => {
        checking = false;
      },
    );
  };
  return {
    chunk(chunk) {
      if (revoked) throw revokedError(keyId, "its stream has ended");
      if (!checking && Date.now() - checkedAt >= CHECK_EVERY_MS) check();
      return chunk;
    },
    end: () => undefined,
  };
}

/** Throws the 401 when the key that owns a follow token (null: the master key, or keys off) has been revoked since. */
export async function refuseRevokedOwner(access: Access | null, owner: string | null): Promise<void> {
  if (!access || owner === null) return;
  if (!(await access.keyActive(owner))) throw revokedError(owner, "its follow tokens are no longer valid");
}

function revokedError(keyId: string, consequence: string): AuthenticationError {
  return new AuthenticationError(`The API key ${keyId} has been revoked; ${consequence}.`, { type: "invalid_request_error" });
}
