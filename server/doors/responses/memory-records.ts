/**
 * Stored responses in this replica's memory, for a gateway with keys off (it has no database):
 * least recently used first out, bounded in count and bytes, gone on restart and not shared
 * between replicas. Ids are unguessable, which is what keeps one client's responses from another's.
 */
import type { ResponseRecords, StoredResponseRow } from "../../store/index.js";

/** An LRU of stored responses holding at most `entries` rows and `bytes` of their bodies. */
export function memoryResponseRecords(bounds: { entries: number; bytes: number }): ResponseRecords {
  // A Map iterates in insertion order: re-inserting on read makes its first key the least recently used.
  const rows = new Map<string, StoredResponseRow>();
  let held = 0;
  // The bodies' UTF-8 bytes, as the total cap counts them in every store (`held` is what they cost the heap).
  let stored = 0;
  const forget = (id: string) => {
    const row = rows.get(id);
    if (!row) return;
    rows.delete(id);
    held -= bodyBytes(row);
    stored -= row.bytes;
  };
  return {
    async put(row) {
      forget(row.id);
      rows.set(row.id, row);
      held += bodyBytes(row);
      stored += row.bytes;
      while (rows.size > bounds.entries || held > bounds.bytes) forget(rows.keys().next().value as string);
    },
    async get(id, owner, now) {
      const row = rows.get(id);
      if (!row || row.owner !== owner) return null;
      if (row.expiresAt <= now) {
        forget(id);
        return null;
      }
      rows.delete(id);
      rows.set(id, row);
      return row.body;
    },
    async delete(id, owner) {
      const row = rows.get(id);
      if (!row || row.owner !== owner) return false;
      forget(id);
      return true;
    },
    async sweep(now) {
      for (const [id, row] of rows) if (row.expiresAt <= now) forget(id);
    },
    async evictOldest(maxBytes, keep) {
      for (const id of rows.keys()) {
        if (stored <= maxBytes) return;
        if (id !== keep) forget(id);
      }
    },
  };
}

// UTF-16 code units, twice over: what the string costs the heap, without encoding it again.
function bodyBytes(row: StoredResponseRow): number {
  return row.body.length * 2;
}
