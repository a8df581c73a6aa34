/** Settings of access control, limits and the usage ledger, from the environment and the config file. */
import { z } from "zod";
import type { PriceTable } from "../usage/index.js";

/** Everything the access service needs. Auth is on only when `masterKey` is set. */
export interface AccessConfig {
  /** `LANGURU_MASTER_KEY`; null leaves the gateway open, as without this feature. */
  masterKey: string | null;
  /** `LANGURU_DB`: SQLite file (or `:memory:`), used when no `databaseUrl`. */
  sqlitePath: string;
  /** `DATABASE_URL`: PostgreSQL instead of SQLite. */
  databaseUrl?: string;
  /** PostgreSQL schema for the tables (`LANGURU_DB_SCHEMA`, default `public`). */
  schema?: string;
  /** `REDIS_URL`: rate-limit counters shared by every replica. */
  redisUrl?: string;
  /** `LANGURU_REDIS_PREFIX`: prefix of the counters in Redis. */
  redisPrefix: string;
  /** `LANGURU_KEY_CACHE_MS`: how long a replica trusts a key it read (revocations elsewhere take this long). */
  keyCacheMs: number;
  /** `LANGURU_RESERVE_TOKENS`: output tokens per choice a request without `max_tokens` reserves against budgets. */
  budgetOutputTokens: number;
  /** `LANGURU_LEDGER_FLUSH_MS` and the batch and buffer bounds of the ledger writer. */
  ledger: { flushMs: number; batchSize: number; maxBuffered: number };
  /** USD per 1M tokens by deployment id or model name (the config file's `prices`). */
  prices: PriceTable;
}

/** The config file's `prices`: `{ "gpt-4o-mini": { "input": 0.15, "output": 0.6, "cachedInput": 0.075 } }`; without `cachedInput`, cached tokens cost `input`. */
export const PricesConfig = z
  .record(z.string().min(1), z.strictObject({ input: z.number().min(0), output: z.number().min(0), cachedInput: z.number().min(0).optional() }))
  .default({});

/** The environment variables of this feature. */
export const AccessEnv = z.object({
  LANGURU_MASTER_KEY: z.string().min(16, "use at least 16 characters").optional(),
  LANGURU_DB: z.string().min(1).default("./languru.db"),
  LANGURU_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .optional(),
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  LANGURU_REDIS_PREFIX: z.string().min(1).default("languru"),
  LANGURU_KEY_CACHE_MS: z.coerce.number().int().min(0).default(5_000),
  LANGURU_LEDGER_FLUSH_MS: z.coerce.number().int().positive().default(1_000),
  LANGURU_RESERVE_TOKENS: z.coerce.number().int().positive().default(4_096),
});

/** Builds the access settings from validated variables and the file's prices. */
export function accessConfigFrom(env: z.output<typeof AccessEnv>, prices: PriceTable): AccessConfig {
  return {
    masterKey: env.LANGURU_MASTER_KEY ?? null,
    sqlitePath: env.LANGURU_DB,
    databaseUrl: env.DATABASE_URL,
    schema: env.LANGURU_DB_SCHEMA,
    redisUrl: env.REDIS_URL,
    redisPrefix: env.LANGURU_REDIS_PREFIX,
    keyCacheMs: env.LANGURU_KEY_CACHE_MS,
    budgetOutputTokens: env.LANGURU_RESERVE_TOKENS,
    ledger: { flushMs: env.LANGURU_LEDGER_FLUSH_MS, batchSize: 500, maxBuffered: 100_000 },
    prices,
  };
}
