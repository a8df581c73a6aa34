/**
 * Schema migrations, in order, for both dialects. A store records the versions it applied in
 * `languru_migrations`; append new entries, never edit applied ones. Times are epoch milliseconds
 * in both dialects, so rows read back the same from either.
 */
import { responsesTotalMigration } from "./responses-total.js";

/** One schema change. */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

/** Every migration, oldest first. */
export const migrations: Migration[] = [
  {
    version: 1,
    name: "keys and usage ledger",
    sqlite: `
      CREATE TABLE languru_keys (
        id TEXT PRIMARY KEY,
        name TEXT,
        hash TEXT NOT NULL UNIQUE,
        models TEXT,
        rpm INTEGER,
        tpm INTEGER,
        budget_tokens INTEGER,
        budget_usd REAL,
        spent_tokens INTEGER NOT NULL DEFAULT 0,
        spent_usd REAL NOT NULL DEFAULT 0,
        expires_at INTEGER,
        revoked_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE languru_usage (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        key_id TEXT,
        model TEXT NOT NULL,
        deployment TEXT,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        latency_ms INTEGER NOT NULL,
        ttft_ms INTEGER,
        status INTEGER NOT NULL,
        error_type TEXT,
        cost_usd REAL,
        stream INTEGER NOT NULL
      );
      CREATE INDEX languru_usage_key_at ON languru_usage (key_id, at);
      CREATE INDEX languru_usage_at ON languru_usage (at);`,
    postgres: `
      CREATE TABLE languru_keys (
        id TEXT PRIMARY KEY,
        name TEXT,
        hash TEXT NOT NULL UNIQUE,
        models JSONB,
        rpm INTEGER,
        tpm INTEGER,
        budget_tokens BIGINT,
        budget_usd DOUBLE PRECISION,
        spent_tokens BIGINT NOT NULL DEFAULT 0,
        spent_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
        expires_at BIGINT,
        revoked_at BIGINT,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE languru_usage (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        key_id TEXT,
        model TEXT NOT NULL,
        deployment TEXT,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        latency_ms INTEGER NOT NULL,
        ttft_ms INTEGER,
        status INTEGER NOT NULL,
        error_type TEXT,
        cost_usd DOUBLE PRECISION,
        stream BOOLEAN NOT NULL
      );
      CREATE INDEX languru_usage_key_at ON languru_usage (key_id, at);
      CREATE INDEX languru_usage_at ON languru_usage (at);`,
  },
  {
    version: 2,
    name: "stored responses of the Responses door",
    sqlite: `
      CREATE TABLE languru_responses (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX languru_responses_expires_at ON languru_responses (expires_at);`,
    postgres: `
      CREATE TABLE languru_responses (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX languru_responses_expires_at ON languru_responses (expires_at);`,
  },
  responsesTotalMigration,
];
