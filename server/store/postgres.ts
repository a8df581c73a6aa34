/**
 * The PostgreSQL store (`pg`), for several replicas sharing one database. `schema` puts the tables
 * in their own schema (created if missing), which is how tests run side by side.
 */
import pg from "pg";
import { migrations } from "./migrations.js";
import { postgresResponses } from "./responses-postgres.js";
import {
  DEFAULT_USAGE_LIMIT,
  USAGE_COLUMNS,
  keyFromRow,
  pushUsageValues,
  settingColumns,
  spendByKey,
  usageFromRow,
  usageWhere,
  type KeyRow,
  type UsageDbRow,
} from "./rows.js";
import { totals } from "./sqlite.js";
import { storableUsage } from "./storable.js";
import type { KeyRecord, Store } from "./types.js";

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions {
  url: string;
  /** Schema for the tables; default `public`. */
  schema?: string;
  /** Fail a query that cannot get a connection within this (ms), instead of queueing forever. */
  connectTimeoutMs?: number;
}

// Serializes migrations across replicas starting together; any constant works, this one spells "lru".
const MIGRATION_LOCK = 0x6c7275;

/** Connects a pool (lazily: nothing connects until the first query). */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const schema = options.schema ?? "public";
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name '${schema}'`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    options: `-c search_path=${schema}`,
  });
  // An idle client losing its connection (a restart, a network cut) must not crash the process.
  pool.on("error", () => undefined);

  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await pool.query<R>(sql, params)).rows;
  const find = async (id: string): Promise<KeyRecord | null> => {
    const [row] = await query<KeyRow>("SELECT * FROM languru_keys WHERE id = $1", [id]);
    return row ? keyFromRow(row) : null;
  };
  const transaction = async (run: (client: pg.PoolClient) => Promise<void>) => {
    const client = await pool.connect();
    // A checked-out client that loses its connection emits 'error'; unheard, that would crash the process.
    const ignore = () => undefined;
    client.on("error", ignore);
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      await run(client);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    } finally {
      client.off("error", ignore);
      // A client whose rollback failed has lost its connection: destroy it instead of pooling it.
      client.release(broken);
    }
  };

  return {
    kind: "postgres",
    responses: postgresResponses(query),
    async migrate() {
      if (schema !== "public") await query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await transaction(async (client) => {
        await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
        await client.query("CREATE TABLE IF NOT EXISTS languru_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        const done = new Set((await client.query<{ version: number }>("SELECT version FROM languru_migrations")).rows.map((r) => r.version));
        for (const m of migrations) {
          if (done.has(m.version)) continue;
          await client.query(m.postgres);
          await client.query("INSERT INTO languru_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, Date.now()]);
        }
      });
    },
    async insertKey(key) {
      const columns: Array<[string, string | number | null]> = [["id", key.id], ["hash", key.hash], ["created_at", Date.now()], ...settingColumns(key)];
      await query(
        `INSERT INTO languru_keys (${columns.map((c) => c[0]).join(", ")}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(", ")})`,
        columns.map((c) => c[1]),
      );
      return (await find(key.id))!;
    },
    findKey: find,
    async listKeys() {
      return (await query<KeyRow>("SELECT * FROM languru_keys ORDER BY created_at, id")).map(keyFromRow);
    },
    async updateKey(id, patch) {
      const columns = settingColumns(patch);
      if (columns.length > 0) {
        await query(`UPDATE languru_keys SET ${columns.map((c, i) => `${c[0]} = $${i + 1}`).join(", ")} WHERE id = $${columns.length + 1}`, [
          ...columns.map((c) => c[1]),
          id,
        ]);
      }
      return find(id);
    },
    async revokeKey(id, at) {
      await query("UPDATE languru_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2", [at.getTime(), id]);
      return find(id);
    },
    async recordUsage(given) {
      if (given.length === 0) return;
      const rows = given.map(storableUsage);
      await transaction(async (client) => {
        // One multi-row INSERT per batch: 12 columns, well under PostgreSQL's 65535 parameters for any batch we make.
        const params: unknown[] = [];
        const values = rows.map((r) => {
          const base = params.length;
          pushUsageValues(params, r, (stream) => stream);
          return `(${Array.from({ length: 12 }, (_, i) => `$${base + i + 1}`).join(", ")})`;
        });
        await client.query(`INSERT INTO languru_usage (${USAGE_COLUMNS}) VALUES ${values.join(", ")}`, params);
        for (const [keyId, sum] of spendByKey(rows)) {
          await client.query("UPDATE languru_keys SET spent_tokens = spent_tokens + $1, spent_usd = spent_usd + $2 WHERE id = $3", [
            sum.tokens,
            sum.usd,
            keyId,
          ]);
        }
      });
    },
    async queryUsage(filter) {
      const where = usageWhere(filter, (i) => `$${i}`);
      const limit = Math.max(0, Math.floor(filter.limit ?? DEFAULT_USAGE_LIMIT));
      const rows = (await query<UsageDbRow>(`SELECT * FROM languru_usage ${where.sql} ORDER BY at DESC, id DESC LIMIT ${limit}`, where.params)).map(
        usageFromRow,
      );
      const [t] = await query<{ requests: string; prompt: string | null; completion: string | null; cost: number | null }>(
        `SELECT COUNT(*) AS requests, SUM(prompt_tokens) AS prompt, SUM(completion_tokens) AS completion, SUM(cost_usd) AS cost FROM languru_usage ${where.sql}`,
        where.params,
      );
      return {
        rows,
        totals: totals(
          Number(t?.requests ?? 0),
          t?.prompt == null ? null : Number(t.prompt),
          t?.completion == null ? null : Number(t.completion),
          t?.cost ?? null,
        ),
      };
    },
    async ping() {
      await query("SELECT 1");
    },
    async close() {
      await pool.end();
    },
  };
}
