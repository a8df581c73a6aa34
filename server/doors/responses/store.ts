/**
 * What `store: true` keeps of a response: the Response object (for `GET /v1/responses/{id}`) and
 * its conversation as Chat Completions messages (for `previous_response_id`), scoped to the key
 * that made it, for `ttlMs`, and only when the two together are at most `maxBytes`; a bigger one
 * is served but not kept, and says so with `store: false`. All of them together are at most
 * `maxTotalBytes`: each save evicts the oldest others past it.
 */
import { ServiceUnavailableError, type ChatMessage } from "../../../shared/index.js";
import type { Caller } from "../../access/index.js";
import { log } from "../../log.js";
import type { ResponseRecords } from "../../store/index.js";
import type { ResponsesSettings } from "./settings.js";
import type { ResponseObject } from "./types.js";

/** One stored response. */
export interface StoredResponse {
  response: ResponseObject;
  /** The conversation up to and including this response's output; instructions are not carried over (as at OpenAI). */
  history: ChatMessage[];
}

/** The door's view of the stored responses. */
export interface ResponseStore {
  /** Keeps it; false when it is over the size bound or the store failed (then it is served unstored). */
  save(owner: Owner, stored: StoredResponse): Promise<boolean>;
  /** The caller's response, or null (none, another key's, expired, deleted). */
  load(owner: Owner, id: string): Promise<StoredResponse | null>;
  /** True when the caller's response was there and is now gone. */
  remove(owner: Owner, id: string): Promise<boolean>;
}

/** Whose responses: the key's id, `master`, or `""` with keys off. */
export type Owner = string;

/** The owner of what `caller` stores. */
export function ownerOf(caller: Caller | undefined): Owner {
  if (!caller) return "";
  return caller.kind === "master" ? "master" : caller.key.id;
}

// Expired rows are invisible at once; deleting them is housekeeping, done at most this often.
const SWEEP_EVERY_MS = 60_000;

/** The door's store over `records`. */
export function createResponseStore(records: ResponseRecords, settings: ResponsesSettings, now: () => number = Date.now): ResponseStore {
  let lastSweep = 0;
  const sweep = (at: number) => {
    if (at - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = at;
    records.sweep(at).catch((err: Error) => log.warn({ err: { message: err.message } }, "sweeping expired responses failed"));
  };
  return {
    async save(owner, stored) {
      const body = JSON.stringify(stored);
      const bytes = Buffer.byteLength(body);
      // One bigger than the total cap could only be kept by evicting it at once: it is served unstored, as an oversized one.
      if (bytes > settings.maxBytes || bytes > settings.maxTotalBytes) return false;
      const at = now();
      const id = stored.response.id;
      try {
        await records.put({ id, owner, createdAt: at, expiresAt: at + settings.ttlMs, body, bytes });
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, "storing a response failed; it is served unstored");
        return false;
      }
      // Awaited, so the cap holds once the response is served; a failure leaves this one kept, and the next save evicts again.
      await records.evictOldest(settings.maxTotalBytes, id).catch((err: Error) => log.warn({ err: { message: err.message } }, "evicting old responses failed"));
      sweep(at);
      return true;
    },
    async load(owner, id) {
      const body = await reach(() => records.get(id, owner, now()));
      return body === null ? null : (JSON.parse(body) as StoredResponse);
    },
    remove: (owner, id) => reach(() => records.delete(id, owner)),
  };
}

// A store that cannot be reached is the gateway's trouble, not the client's: a 503 to retry, never a 500.
async function reach<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, "the response store is unreachable");
    throw new ServiceUnavailableError("The response store is unreachable; try again.", { code: "store_unavailable", headers: { "retry-after": "1" } });
  }
}
