/**
 * The SQLite store (better-sqlite3): one file, or `:memory:`. better-sqlite3 is synchronous and
 * each statement takes microseconds, so the async interface just wraps it. WAL mode lets several
 * processes on one machine share the file.
 */
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { migrations } from "./migrations.js";
import { DEFAULT_USAGE_LIMIT, keyFromRow, settingColumns, spendByKey, usageFromRow, usageWhere, type KeyRow, type UsageDbRow } from "./rows.js";
import { storableUsage } from "./storable.js";
import type { KeyRecord, Store, UsageTotals } from "./types.js";

/** Opens (creating if needed) a SQLite store at `path`. */
export function createSqliteStore(path: string): Store {
  const Database = loadDriver();
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("synchronous = NORMAL");

  const selectKey = () => db.prepare<[string], KeyRow>("SELECT * FROM languru_keys WHERE id = ?");
  const insertUsage = () =>
    db.prepare(`INSERT INTO languru_usage (at, key_id, model, deployment, prompt_tokens, completion_tokens, latency_ms, ttft_ms, status, error_type, cost_usd, stream)
      VALUES (@at, @keyId, @model, @deployment, @promptTokens, @completionTokens, @latencyMs, @ttftMs, @status, @errorType, @costUsd, @stream)`);
  const addSpend = () => db.prepare("UPDATE languru_keys SET spent_tokens = spent_tokens + ?, spent_usd = spent_usd + ? WHERE id = ?");
  const find = (id: string): KeyRecord | null => {
    const row = selectKey().get(id);
    return row ? keyFromRow(row) : null;
  };

  return {
    kind: "sqlite",
    async ping() {
      db.prepare("SELECT 1").get();
    },
    async migrate() {
      db.exec("CREATE TABLE IF NOT EXISTS languru_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      // IMMEDIATE takes the write lock first, so two processes starting together do not both migrate.
      db.transaction(() => {
        const done = new Set(
          db
            .prepare<[], { version: number }>("SELECT version FROM languru_migrations")
            .all()
            .map((r) => r.version),
        );
        for (const m of migrations) {
          if (done.has(m.version)) continue;
          db.exec(m.sqlite);
          db.prepare("INSERT INTO languru_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
        }
      }).immediate();
    },
    async insertKey(key) {
      const columns: Array<[string, string | number | null]> = [["id", key.id], ["hash", key.hash], ["created_at", Date.now()], ...settingColumns(key)];
      db.prepare(`INSERT INTO languru_keys (${columns.map((c) => c[0]).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`).run(
        ...columns.map((c) => c[1]),
      );
      return find(key.id)!;
    },
    async findKey(id) {
      return find(id);
    },
    async listKeys() {
      return db.prepare<[], KeyRow>("SELECT * FROM languru_keys ORDER BY created_at, id").all().map(keyFromRow);
    },
    async updateKey(id, patch) {
      const columns = settingColumns(patch);
      if (columns.length > 0) {
        db.prepare(`UPDATE languru_keys SET ${columns.map((c) => `${c[0]} = ?`).join(", ")} WHERE id = ?`).run(...columns.map((c) => c[1]), id);
      }
      return find(id);
    },
    async revokeKey(id, at) {
      db.prepare("UPDATE languru_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?").run(at.getTime(), id);
      return find(id);
    },
    async recordUsage(given) {
      if (given.length === 0) return;
      const rows = given.map(storableUsage);
      const insert = insertUsage();
      const spend = addSpend();
      db.transaction(() => {
        for (const row of rows) {
          insert.run({ ...row, at: row.at.getTime(), stream: row.stream ? 1 : 0 });
        }
        for (const [keyId, sum] of spendByKey(rows)) spend.run(sum.tokens, sum.usd, keyId);
      })();
    },
    async queryUsage(filter) {
      const where = usageWhere(filter, () => "?");
      const rows = db
        .prepare<Array<string | number>, UsageDbRow>(
          `SELECT * FROM languru_usage ${where.sql} ORDER BY at DESC, id DESC LIMIT ${Math.max(0, Math.floor(filter.limit ?? DEFAULT_USAGE_LIMIT))}`,
        )
        .all(...where.params)
        .map(usageFromRow);
      const t = db
        .prepare<Array<string | number>, { requests: number; prompt: number | null; completion: number | null; cost: number | null }>(
          `SELECT COUNT(*) AS requests, SUM(prompt_tokens) AS prompt, SUM(completion_tokens) AS completion, SUM(cost_usd) AS cost FROM languru_usage ${where.sql}`,
        )
        .get(...where.params)!;
      return { rows, totals: totals(t.requests, t.prompt, t.completion, t.cost) };
    },
    async close() {
      db.close();
    },
  };
}

/** Totals from SQL sums (NULL when no row matched). */
export function totals(requests: number, prompt: number | null, completion: number | null, cost: number | null): UsageTotals {
  const p = Number(prompt ?? 0);
  const c = Number(completion ?? 0);
  return { requests: Number(requests), promptTokens: p, completionTokens: c, totalTokens: p + c, costUsd: Number(cost ?? 0) };
}

// better-sqlite3 is an optional native dependency (it compiles from source here, so it needs
// python3, make and a C++ compiler). Loading it only when SQLite is used keeps a gateway without
// keys, or with PostgreSQL, working on a machine where it could not be built.
function loadDriver(): typeof BetterSqlite3 {
  try {
    const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
    // The native part loads on first use, not on require: open a throwaway database to find out now.
    new Database(":memory:").close();
    return Database;
  } catch (err) {
    throw new Error(
      `the SQLite store needs the better-sqlite3 native module, which is not installed or did not build (${(err as Error).message}). ` +
        "Install python3, make and a C++ compiler and run `npm rebuild better-sqlite3`, or set DATABASE_URL to use PostgreSQL.",
    );
  }
}
