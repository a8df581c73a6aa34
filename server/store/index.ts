/** The store: PostgreSQL when a URL is given, SQLite otherwise. */
import { createPostgresStore } from "./postgres.js";
import { createSqliteStore } from "./sqlite.js";
import type { Store } from "./types.js";

export type * from "./types.js";
export type { ResponseRecords, StoredResponseRow } from "./responses.js";
export { createPostgresStore, type PostgresStoreOptions } from "./postgres.js";
export { createSqliteStore } from "./sqlite.js";
export { MAX_LEDGER_TEXT, placeholderUsage, storableText, storableUsage, UNSTORABLE_MODEL } from "./storable.js";

/** Where the store lives. */
export interface StoreOptions {
  /** SQLite file path, or `:memory:`; used when `databaseUrl` is absent. */
  sqlitePath: string;
  /** A PostgreSQL connection string. */
  databaseUrl?: string;
  /** PostgreSQL schema (tests use one each). */
  schema?: string;
}

/** Opens the configured store; call `migrate()` before use. */
export function createStore(options: StoreOptions): Store {
  if (options.databaseUrl) return createPostgresStore({ url: options.databaseUrl, schema: options.schema });
  return createSqliteStore(options.sqlitePath);
}
