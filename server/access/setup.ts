/**
 * Builds access control from its config: the store (migrated), the limiter (memory or Redis),
 * the ledger writer and the tokenizer. Only called when a master key is set.
 */
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { createBudgets, createLimiter } from "../limits/index.js";
import { redisReady } from "../lib/redis-ready.js";
import { createStore, type ResponseRecords } from "../store/index.js";
import { createLedger } from "../usage/index.js";
import { createAdmin, type Admin } from "./admin.js";
import type { AccessConfig } from "./config.js";
import { loadTokenizer } from "./estimate.js";
import { createAccess, type Access } from "./service.js";

const SQLITE_LEDGER_BATCH = 64;

/** Access control with its state, ready to serve once `ready` resolves. */
export interface AccessRuntime {
  access: Access;
  admin: Admin;
  /** Resolves once the store is migrated, the tokenizer loaded and Redis (if any) tried. */
  ready: Promise<void>;
  /** The store's stored responses (the Responses door's `store: true`). */
  responses: ResponseRecords;
  /** Flushes the ledger, then closes the store and Redis. */
  close(): Promise<void>;
  /** For the readiness probe: a store round trip, and whether Redis is connected (null when not configured). */
  health: { store(): Promise<void>; redis(): boolean | null };
}

/** Opens everything access control needs. */
export function openAccess(config: AccessConfig & { masterKey: string }, log: Logger): AccessRuntime {
  const store = createStore({ sqlitePath: config.sqlitePath, databaseUrl: config.databaseUrl, schema: config.schema });
  const redis = config.redisUrl ? connectRedis(config.redisUrl, log) : undefined;
  const limiter = createLimiter({ redis, prefix: config.redisPrefix });
  const budgets = createBudgets({
    redis,
    prefix: config.redisPrefix,
    onRedisError: (err) => log.warn({ err: { message: err.message } }, "redis failed a budget command; reserving in this replica's memory"),
  });
  let access: Access | null = null;
  // SQLite writes on the event loop (~3.8 µs a row with its sanitising and spend update): batches of 64 hold it ~0.25 ms each, with
  // requests served between them, where one of 500 held it ~1.9 ms. PostgreSQL's writes are I/O.
  const batchSize = store.kind === "sqlite" ? Math.min(config.ledger.batchSize, SQLITE_LEDGER_BATCH) : config.ledger.batchSize;
  const ledger = createLedger({ store, log, ...config.ledger, batchSize, onFlushed: (rows) => access?.flushed(rows) });
  access = createAccess({
    masterKey: config.masterKey,
    store,
    limiter,
    budgets,
    ledger,
    prices: config.prices,
    keyCacheMs: config.keyCacheMs,
    defaultOutputTokens: config.budgetOutputTokens,
    log,
  });
  const admin = createAdmin({ store, access, ledger });

  const ready = Promise.all([store.migrate(), loadTokenizer(), redis ? redisReady(redis) : null]).then(() => {
    log.info({ store: store.kind, limits: redis ? "redis" : "memory" }, "access control on: API keys required");
  });
  // Whoever starts the gateway awaits `ready`; this only keeps an early failure from being reported as unhandled.
  ready.catch(() => undefined);

  return {
    access,
    admin,
    responses: store.responses,
    ready,
    health: { store: () => store.ping(), redis: () => (redis ? redis.status === "ready" : null) },
    async close() {
      await ledger.close();
      await store.close();
      redis?.disconnect();
    },
  };
}

function connectRedis(url: string, log: Logger): Redis {
  // No offline queue: while Redis is away, commands fail at once and the limiter counts in memory.
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  let down = false;
  redis.on("error", (err: Error) => {
    if (!down) log.warn({ err: { message: err.message } }, "redis unreachable: rate limits are counted per replica until it is back");
    down = true;
  });
  redis.on("ready", () => {
    if (down) log.info("redis reachable again: rate limits are shared");
    down = false;
  });
  return redis;
}
