/**
 * The total cap on stored responses, for both dialects: each row carries its body's size, triggers
 * keep the sum of them in a one-row table (`languru_responses_total`), and an index on the creation
 * time finds the oldest rows. Checking the cap after an insert is then a primary-key read, and
 * evicting reads only the rows it deletes: no scan of the table, however big it grows.
 *
 * Triggers rather than bookkeeping in code: every statement that adds or removes rows (a put, a
 * delete, the expiry sweep, an operator's own SQL) moves the total in the same transaction, so it
 * cannot drift, and replicas sharing a PostgreSQL database share one total.
 */
import type { Migration } from "./migrations.js";

// Rows deleted by one statement: enough that an insert (at most one response's worth of bytes) is
// paid for in one; a cap lowered at a restart is caught up over several saves, MAX_BATCHES each.
const EVICT_BATCH = 500;
const MAX_BATCHES = 8;

/** Migration 3: sizes, the running total and the creation-time index. */
export const responsesTotalMigration: Migration = {
  version: 3,
  name: "a running total of stored responses' bytes",
  sqlite: `
    ALTER TABLE languru_responses ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
    UPDATE languru_responses SET bytes = length(CAST(body AS BLOB));
    CREATE INDEX languru_responses_created_at ON languru_responses (created_at);
    CREATE TABLE languru_responses_total (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL);
    INSERT INTO languru_responses_total (id, bytes) SELECT 1, COALESCE(SUM(bytes), 0) FROM languru_responses;
    CREATE TRIGGER languru_responses_added AFTER INSERT ON languru_responses BEGIN
      UPDATE languru_responses_total SET bytes = bytes + NEW.bytes WHERE id = 1;
    END;
    CREATE TRIGGER languru_responses_changed AFTER UPDATE OF bytes ON languru_responses BEGIN
      UPDATE languru_responses_total SET bytes = bytes + NEW.bytes - OLD.bytes WHERE id = 1;
    END;
    CREATE TRIGGER languru_responses_removed AFTER DELETE ON languru_responses BEGIN
      UPDATE languru_responses_total SET bytes = bytes - OLD.bytes WHERE id = 1;
    END;`,
  // Statement-level triggers: a sweep deleting 100,000 rows updates the total once, where a row-level
  // one would update one row 100,000 times in a transaction (a version chain walked at each update).
  // `SET search_path FROM CURRENT` pins the function to the store's schema whoever deletes the rows.
  postgres: `
    ALTER TABLE languru_responses ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
    UPDATE languru_responses SET bytes = octet_length(body);
    CREATE INDEX languru_responses_created_at ON languru_responses (created_at);
    CREATE TABLE languru_responses_total (id INTEGER PRIMARY KEY CHECK (id = 1), bytes BIGINT NOT NULL);
    INSERT INTO languru_responses_total (id, bytes) SELECT 1, COALESCE(SUM(bytes), 0) FROM languru_responses;
    CREATE FUNCTION languru_responses_count() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    DECLARE delta BIGINT;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        SELECT COALESCE(SUM(bytes), 0) INTO delta FROM new_rows;
      ELSIF TG_OP = 'UPDATE' THEN
        SELECT (SELECT COALESCE(SUM(bytes), 0) FROM new_rows) - (SELECT COALESCE(SUM(bytes), 0) FROM old_rows) INTO delta;
      ELSE
        SELECT -COALESCE(SUM(bytes), 0) INTO delta FROM old_rows;
      END IF;
      IF delta <> 0 THEN
        UPDATE languru_responses_total SET bytes = bytes + delta WHERE id = 1;
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER languru_responses_added AFTER INSERT ON languru_responses
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION languru_responses_count();
    CREATE TRIGGER languru_responses_changed AFTER UPDATE ON languru_responses
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION languru_responses_count();
    CREATE TRIGGER languru_responses_removed AFTER DELETE ON languru_responses
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION languru_responses_count();`,
};

/** The bytes of all stored responses, as the triggers keep it. */
export const TOTAL_SQL = "SELECT bytes FROM languru_responses_total WHERE id = 1";

/**
 * Deletes, of the `EVICT_BATCH` oldest rows but `keep`, the first ones whose bytes cover the excess
 * over the cap: a running sum over the batch, oldest first, stops where the total is back under.
 * `at(1)` is the cap, `at(2)` the kept id, in the dialect's placeholders.
 */
export function evictSql(at: (n: 1 | 2) => string): string {
  return `DELETE FROM languru_responses WHERE id IN (
      SELECT id FROM (
        SELECT id, SUM(bytes) OVER (ORDER BY created_at, id ROWS UNBOUNDED PRECEDING) - bytes AS before
        FROM (SELECT id, created_at, bytes FROM languru_responses WHERE id <> ${at(2)} ORDER BY created_at LIMIT ${EVICT_BATCH}) AS oldest
      ) AS ranked
      WHERE before < (${TOTAL_SQL}) - ${at(1)}
    ) RETURNING id`;
}

/** A store's two steps of eviction. */
export interface RunningTotal {
  /** The total bytes stored. */
  total(): Promise<number>;
  /** Runs `evictSql` once; the count of rows it deleted. */
  evictBatch(maxBytes: number, keep: string): Promise<number>;
}

/** Evicts the oldest rows, never `keep`, until the total is at most `maxBytes` (or MAX_BATCHES ran). */
export async function evictOldestRows(table: RunningTotal, maxBytes: number, keep: string): Promise<void> {
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    if ((await table.total()) <= maxBytes) return;
    // A short batch covered the excess, or ran out of rows to delete.
    if ((await table.evictBatch(maxBytes, keep)) < EVICT_BATCH) return;
  }
}
