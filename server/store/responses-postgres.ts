/** Stored responses in PostgreSQL, on the store's own pool (table `languru_responses`, migrations 2 and 3). */
import type { ResponseRecords } from "./responses.js";
import { TOTAL_SQL, evictOldestRows, evictSql } from "./responses-total.js";

type Query = <R extends Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

const EVICT_SQL = evictSql((n) => `$${n}`);

/** The stored responses of a PostgreSQL store. */
export function postgresResponses(query: Query): ResponseRecords {
  return {
    async put(row) {
      await query(
        `INSERT INTO languru_responses (id, owner, created_at, expires_at, bytes, body) VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, bytes = EXCLUDED.bytes, body = EXCLUDED.body`,
        [row.id, row.owner, row.createdAt, row.expiresAt, row.bytes, row.body],
      );
    },
    async get(id, owner, now) {
      const [row] = await query<{ body: string }>("SELECT body FROM languru_responses WHERE id = $1 AND owner = $2 AND expires_at > $3", [id, owner, now]);
      return row?.body ?? null;
    },
    async delete(id, owner) {
      const rows = await query<{ id: string }>("DELETE FROM languru_responses WHERE id = $1 AND owner = $2 RETURNING id", [id, owner]);
      return rows.length > 0;
    },
    async sweep(now) {
      await query("DELETE FROM languru_responses WHERE expires_at <= $1", [now]);
    },
    evictOldest: (maxBytes, keep) =>
      evictOldestRows(
        {
          // BIGINT comes back as a string.
          total: async () => Number((await query<{ bytes: string }>(TOTAL_SQL))[0]?.bytes ?? 0),
          evictBatch: async (max, kept) => (await query(EVICT_SQL, [max, kept])).length,
        },
        maxBytes,
        keep,
      ),
  };
}
