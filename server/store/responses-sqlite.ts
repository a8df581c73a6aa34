/** Stored responses in SQLite, on the store's own connection and statement cache (table `languru_responses`, migrations 2 and 3). */
import type { ResponseRecords } from "./responses.js";
import { TOTAL_SQL, evictOldestRows, evictSql } from "./responses-total.js";
import type { Statements } from "./sqlite-driver.js";

const EVICT_SQL = evictSql((n) => `?${n}`);

/** The stored responses of a SQLite store. */
export function sqliteResponses(sql: Statements): ResponseRecords {
  return {
    async put(row) {
      // An upsert, not INSERT OR REPLACE: the rows REPLACE deletes fire no delete trigger, and the running total would drift.
      sql.run(
        `INSERT INTO languru_responses (id, owner, created_at, expires_at, bytes, body) VALUES (?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, created_at = excluded.created_at, expires_at = excluded.expires_at, bytes = excluded.bytes, body = excluded.body`,
        row.id,
        row.owner,
        row.createdAt,
        row.expiresAt,
        row.bytes,
        row.body,
      );
    },
    async get(id, owner, now) {
      const row = sql.get<{ body: string }>("SELECT body FROM languru_responses WHERE id = ? AND owner = ? AND expires_at > ?", id, owner, now);
      return row?.body ?? null;
    },
    async delete(id, owner) {
      const found = sql.get<{ id: string }>("SELECT id FROM languru_responses WHERE id = ? AND owner = ?", id, owner);
      if (!found) return false;
      sql.run("DELETE FROM languru_responses WHERE id = ? AND owner = ?", id, owner);
      return true;
    },
    async sweep(now) {
      sql.run("DELETE FROM languru_responses WHERE expires_at <= ?", now);
    },
    evictOldest: (maxBytes, keep) =>
      evictOldestRows(
        {
          total: async () => sql.get<{ bytes: number }>(TOTAL_SQL)?.bytes ?? 0,
          evictBatch: async (max, kept) => sql.all(EVICT_SQL, max, kept).length,
        },
        maxBytes,
        keep,
      ),
  };
}
