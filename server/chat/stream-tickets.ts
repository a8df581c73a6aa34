/**
 * Follow tickets: what authorises an HTTP (SSE) follower of a generation. An EventSource sends no
 * headers and a key must never travel in a URL, so `chat.start` returns a random token beside the
 * generation id, and `chat.stream` presents both. A ticket lives while its generation can still be
 * followed: it expires `ttlMs` after its last follower left (or after it was issued, if nobody came).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Caller } from "../access/index.js";

/** Who started a generation, as the ticket remembers it (undefined with keys off). */
export interface Ticket {
  caller: Caller | undefined;
  /** Call when this follower leaves; the expiry clock starts when the last one did. */
  release(): void;
}

/** Issues and checks follow tickets. */
export interface StreamTickets {
  /** A new token for generation `id`, started by `caller`. */
  issue(id: string, caller: Caller | undefined): string;
  /** The ticket when `token` is the one issued for `id`; null otherwise (or once expired). */
  redeem(id: string, token: string): Ticket | null;
  /** Forgets the ticket of a cancelled generation. */
  revoke(id: string): void;
  /** Tickets held now. */
  size(): number;
  /** Forgets everything (shutdown). */
  close(): void;
}

interface Entry {
  token: Buffer;
  caller: Caller | undefined;
  holders: number;
  timer: NodeJS.Timeout | null;
}

/** Creates an in-memory ticket store (one replica, like the generations it points at). */
export function createStreamTickets(options: { ttlMs: number }): StreamTickets {
  const entries = new Map<string, Entry>();

  const expireLater = (id: string, entry: Entry) => {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => entries.delete(id), options.ttlMs);
    entry.timer.unref();
  };

  return {
    issue(id, caller) {
      const token = randomBytes(24);
      const entry: Entry = { token, caller, holders: 0, timer: null };
      entries.set(id, entry);
      expireLater(id, entry);
      return token.toString("base64url");
    },

    redeem(id, token) {
      const entry = entries.get(id);
      const presented = Buffer.from(token, "base64url");
      if (!entry || presented.length !== entry.token.length || !timingSafeEqual(presented, entry.token)) return null;
      entry.holders++;
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = null;
      let released = false;
      return {
        caller: entry.caller,
        release() {
          if (released) return;
          released = true;
          entry.holders--;
          if (entry.holders === 0 && entries.get(id) === entry) expireLater(id, entry);
        },
      };
    },

    revoke(id) {
      const entry = entries.get(id);
      if (entry?.timer) clearTimeout(entry.timer);
      entries.delete(id);
    },

    size: () => entries.size,

    close() {
      for (const entry of entries.values()) if (entry.timer) clearTimeout(entry.timer);
      entries.clear();
    },
  };
}
