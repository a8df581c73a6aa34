/** What the gateway keeps: API keys (hashes only), the usage ledger and stored responses, behind one interface. */
import type { ResponseRecords } from "./responses.js";

/** One API key as stored; the key itself is never stored, only its SHA-256. */
export interface KeyRecord {
  id: string;
  name: string | null;
  /** Hex SHA-256 of the whole key. */
  hash: string;
  /** Public model names (a trailing `*` matches a prefix); null allows every model. */
  models: string[] | null;
  /** Requests per minute; null is unlimited. */
  rpm: number | null;
  /** Tokens (prompt + completion) per minute; null is unlimited. */
  tpm: number | null;
  /** Most tokens the key may ever use; null is unlimited. */
  budgetTokens: number | null;
  /** Most USD the key may ever spend (needs prices in the config); null is unlimited. */
  budgetUsd: number | null;
  /** Tokens used so far, as of the last ledger flush. */
  spentTokens: number;
  /** USD spent so far, as of the last ledger flush. */
  spentUsd: number;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/** The settings an admin chooses for a key. */
export interface KeySettings {
  name: string | null;
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  budgetTokens: number | null;
  budgetUsd: number | null;
  expiresAt: Date | null;
}

/** A key to insert: its settings, id and hash. */
export interface NewKey extends KeySettings {
  id: string;
  hash: string;
}

/** One ledger row: one request, whatever its outcome. */
export interface UsageRow {
  at: Date;
  /** Null for the master key. */
  keyId: string | null;
  /** The model the client asked for. */
  model: string;
  /** `provider/upstream-model` that answered; null when none did. */
  deployment: string | null;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  /** Streams only: until the first chunk. */
  ttftMs: number | null;
  /** The HTTP status the client got (499 when it left). */
  status: number;
  /** The error's `type`, null on success. */
  errorType: string | null;
  /** Null when no price is configured for the deployment or model. */
  costUsd: number | null;
  stream: boolean;
}

/** Which ledger rows to read. */
export interface UsageFilter {
  keyId?: string;
  model?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Most rows returned (newest first); totals always cover every matching row. */
  limit?: number;
}

/** Sums over the matching rows. */
export interface UsageTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number;
}

/** Ledger rows and their totals. */
export interface UsageReport {
  rows: UsageRow[];
  totals: UsageTotals;
}

/** The one store interface; SQLite and PostgreSQL implement it and pass the same test suite. */
export interface Store {
  /** `sqlite` or `postgres`. */
  readonly kind: "sqlite" | "postgres";
  /** Applies pending migrations; idempotent, safe to run from several replicas at once. */
  migrate(): Promise<void>;
  insertKey(key: NewKey): Promise<KeyRecord>;
  findKey(id: string): Promise<KeyRecord | null>;
  listKeys(): Promise<KeyRecord[]>;
  /** Changes some settings; null when no such key. */
  updateKey(id: string, patch: Partial<KeySettings>): Promise<KeyRecord | null>;
  /** Marks a key revoked (kept for the ledger); null when no such key. */
  revokeKey(id: string, at: Date): Promise<KeyRecord | null>;
  /**
   * Appends rows and adds their tokens and cost to their keys' spend, in one transaction. Rows are
   * written as `storableUsage` makes them (no NUL, bounded text, integer counts), so only the
   * store's own rules (a constraint, an outage) can refuse one.
   */
  recordUsage(rows: UsageRow[]): Promise<void>;
  queryUsage(filter: UsageFilter): Promise<UsageReport>;
  /** The Responses door's stored responses (responses.ts). */
  readonly responses: ResponseRecords;
  /** One trivial round trip (`SELECT 1`), for the readiness probe. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
