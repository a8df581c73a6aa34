/** Stored responses in SQLite, on the store's own connection and statement cache (table `languru_responses`, migration 2). */
import type { ResponseRecords } from "./responses.js";
import type { Statements } from "./sqlite-driver.js";

/** The stored responses of a SQLite store. */
export function sqliteResponses(sql: Statements): ResponseRecords {
  return {
    async put(row) {
      sql.run(
        "INSERT OR REPLACE INTO languru_responses (id, owner, created_at, expires_at, body) VALUES (?, ?, ?, ?, ?)",
        row.id,
        row.owner,
        row.createdAt,
        row.expiresAt,
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
  };
}
