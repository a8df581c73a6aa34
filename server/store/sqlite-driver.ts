/**
 * The SQLite driver: libsql, SQLite's engine (and file format) behind better-sqlite3's synchronous
 * API. It ships prebuilt binaries as per-platform packages on the npm registry, so `npm install`
 * compiles nothing and downloads nothing from anywhere else (better-sqlite3 compiled from source
 * here: two minutes and a C++ toolchain).
 */
import { createRequire } from "node:module";
import type Libsql from "libsql";

/** An open connection. */
export type SqliteDatabase = Libsql.Database;

/** A value SQLite binds: named parameters go as one object (`@name` in the SQL). */
export type SqlValue = string | number | bigint | Buffer | null;
type Params = SqlValue[] | [Record<string, SqlValue>];

/** Prepared statements by SQL text, typed at the call site. */
export interface Statements {
  get<Row>(sql: string, ...params: Params): Row | undefined;
  all<Row>(sql: string, ...params: Params): Row[];
  run(sql: string, ...params: Params): void;
}

// libsql frees a statement only when the garbage collector finalises it after the event loop
// turns, so preparing per call piles up native memory inside a long synchronous stretch (50,000
// lookups: +195 MB) and costs twice the lookup. The store's SQL is a small set of texts; a bound
// keeps the odd one out (a LIMIT in the text) from growing the cache.
const MAX_STATEMENTS = 128;

/** A statement cache over `db`. */
export function statementsOf(db: SqliteDatabase): Statements {
  const cache = new Map<string, Libsql.Statement<unknown[]>>();
  const prepared = (sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
  return {
    get: <Row>(sql: string, ...params: Params) => prepared(sql).get(...params) as Row | undefined,
    all: <Row>(sql: string, ...params: Params) => prepared(sql).all(...params) as Row[],
    run(sql, ...params) {
      prepared(sql).run(...params);
    },
  };
}

/** Opens `path` (a file, or `:memory:`) with the driver, failing with what to do when it cannot load. */
export function openSqlite(path: string): SqliteDatabase {
  const Database = loadDriver();
  return new Database(path);
}

// libsql is a dependency, but its binary comes as an optional package for each platform it is
// built for: on another one (or with `--omit=optional`) it is absent. Loading it only when SQLite is
// used keeps a gateway without keys, or with PostgreSQL, working there.
function loadDriver(): typeof Libsql {
  try {
    const Database = createRequire(import.meta.url)("libsql") as typeof Libsql;
    new Database(":memory:").close();
    return Database;
  } catch (err) {
    throw new Error(
      `the SQLite store needs libsql's prebuilt binary for ${process.platform}-${process.arch}, which is not installed (${(err as Error).message}). ` +
        "Run `npm install` without `--omit=optional`, or set DATABASE_URL to use PostgreSQL.",
    );
  }
}
