/** Row <-> record conversion shared by both dialects (both store times as epoch ms). */
import { MAX_LEDGER_TEXT, storableSettings, storableText } from "./storable.js";
import type { KeyRecord, KeySettings, UsageFilter, UsageRow } from "./types.js";

/** A `languru_keys` row as either driver returns it (pg returns BIGINT as a string). */
export interface KeyRow {
  id: string;
  name: string | null;
  hash: string;
  models: string | string[] | null;
  rpm: number | null;
  tpm: number | null;
  budget_tokens: number | string | null;
  budget_usd: number | null;
  spent_tokens: number | string;
  spent_usd: number;
  expires_at: number | string | null;
  revoked_at: number | string | null;
  created_at: number | string;
}

/** A `languru_usage` row as either driver returns it. */
export interface UsageDbRow {
  at: number | string;
  key_id: string | null;
  model: string;
  deployment: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  ttft_ms: number | null;
  status: number;
  error_type: string | null;
  cost_usd: number | null;
  stream: number | boolean;
}

const num = (v: number | string | null): number | null => (v == null ? null : Number(v));
const date = (v: number | string | null): Date | null => (v == null ? null : new Date(Number(v)));

/** A key row as a record. */
export function keyFromRow(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    models: row.models == null ? null : typeof row.models === "string" ? (JSON.parse(row.models) as string[]) : row.models,
    rpm: row.rpm,
    tpm: row.tpm,
    budgetTokens: num(row.budget_tokens),
    budgetUsd: row.budget_usd,
    spentTokens: Number(row.spent_tokens),
    spentUsd: Number(row.spent_usd),
    expiresAt: date(row.expires_at),
    revokedAt: date(row.revoked_at),
    createdAt: new Date(Number(row.created_at)),
  };
}

/** A usage row as a record. */
export function usageFromRow(row: UsageDbRow): UsageRow {
  return {
    at: new Date(Number(row.at)),
    keyId: row.key_id,
    model: row.model,
    deployment: row.deployment,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    status: row.status,
    errorType: row.error_type,
    costUsd: row.cost_usd == null ? null : Number(row.cost_usd),
    stream: row.stream === true || row.stream === 1,
  };
}

/** Settings as column/value pairs, for INSERT and UPDATE; `models` is JSON text; text as every store holds it. */
export function settingColumns(settings: Partial<KeySettings>): Array<[string, string | number | null]> {
  const patch = storableSettings(settings);
  const columns: Array<[string, string | number | null]> = [];
  if (patch.name !== undefined) columns.push(["name", patch.name]);
  if (patch.models !== undefined) columns.push(["models", patch.models == null ? null : JSON.stringify(patch.models)]);
  if (patch.rpm !== undefined) columns.push(["rpm", patch.rpm]);
  if (patch.tpm !== undefined) columns.push(["tpm", patch.tpm]);
  if (patch.budgetTokens !== undefined) columns.push(["budget_tokens", patch.budgetTokens]);
  if (patch.budgetUsd !== undefined) columns.push(["budget_usd", patch.budgetUsd]);
  if (patch.expiresAt !== undefined) columns.push(["expires_at", patch.expiresAt?.getTime() ?? null]);
  return columns;
}

/** A usage filter as a WHERE clause; `placeholder(i)` renders the i-th (1-based) parameter. Text is matched as it was stored. */
export function usageWhere(filter: UsageFilter, placeholder: (i: number) => string): { sql: string; params: Array<string | number> } {
  const clauses: string[] = [];
  const params: Array<string | number> = [];
  const add = (clause: string, value: string | number) => {
    params.push(value);
    clauses.push(`${clause} ${placeholder(params.length)}`);
  };
  if (filter.keyId !== undefined) add("key_id =", storableText(filter.keyId, MAX_LEDGER_TEXT));
  if (filter.model !== undefined) add("model =", storableText(filter.model, MAX_LEDGER_TEXT));
  if (filter.from !== undefined) add("at >=", filter.from.getTime());
  if (filter.to !== undefined) add("at <", filter.to.getTime());
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

/** Per-key sums of a batch, so that each key's spend is updated once per flush. */
export function spendByKey(rows: UsageRow[]): Map<string, { tokens: number; usd: number }> {
  const sums = new Map<string, { tokens: number; usd: number }>();
  for (const row of rows) {
    if (row.keyId == null) continue;
    const sum = sums.get(row.keyId) ?? { tokens: 0, usd: 0 };
    sum.tokens += row.promptTokens + row.completionTokens;
    sum.usd += row.costUsd ?? 0;
    sums.set(row.keyId, sum);
  }
  return sums;
}

/** The most rows a usage query returns when it does not say. */
export const DEFAULT_USAGE_LIMIT = 1000;

/** The usage table's columns in the order `pushUsageValues` gives them (one INSERT text for both stores). */
export const USAGE_COLUMNS = "at, key_id, model, deployment, prompt_tokens, completion_tokens, latency_ms, ttft_ms, status, error_type, cost_usd, stream";

/** One ledger row's values in `USAGE_COLUMNS` order, appended to `into` (a multi-row INSERT's parameters). */
export function pushUsageValues(into: unknown[], r: UsageRow, stream: (value: boolean) => boolean | number): void {
  into.push(
    r.at.getTime(),
    r.keyId,
    r.model,
    r.deployment,
    r.promptTokens,
    r.completionTokens,
    r.latencyMs,
    r.ttftMs,
    r.status,
    r.errorType,
    r.costUsd,
    stream(r.stream),
  );
}
