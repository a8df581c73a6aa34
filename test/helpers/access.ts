/** Gateways with keys on, and small helpers to make keys and call the REST door with them. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig, type Config } from "../../server/config.js";
import type { AccessConfig } from "../../server/access/index.js";
import { sdk, startGateway, type TestGateway } from "./gateway.js";

/** The master key every keyed test gateway uses. */
export const MASTER_KEY = "test-master-key-0123456789abcdef";

/** A fresh temporary folder, removed by `cleanup()`. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "languru-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Access settings for tests: SQLite in `sqlitePath`, memory limits, a fast ledger. */
export function accessSettings(overrides: Partial<AccessConfig> = {}): AccessConfig {
  return {
    ...loadConfig({}).access,
    masterKey: MASTER_KEY,
    sqlitePath: ":memory:",
    keyCacheMs: 5_000,
    ledger: { flushMs: 50, batchSize: 100, maxBuffered: 10_000 },
    ...overrides,
  };
}

/** Starts a gateway with keys on. */
export function startKeyedGateway(access: Partial<AccessConfig> = {}, config: Partial<Config> = {}): Promise<TestGateway> {
  return startGateway({ ...config, access: accessSettings(access) });
}

/** The raw tRPC client with the master key. */
export function adminClient(gateway: TestGateway) {
  return sdk(gateway, { apiKey: MASTER_KEY }).trpc;
}

/** Creates a key through the admin procedure; returns the key and its id. */
export async function createKey(gateway: TestGateway, settings: Parameters<ReturnType<typeof adminClient>["keys"]["create"]["mutate"]>[0] = {}) {
  const { key, record } = await adminClient(gateway).keys.create.mutate(settings);
  return { key, id: record.id };
}

/** POSTs a chat completion to the REST door with an optional key. */
export function chat(gateway: TestGateway, body: Record<string, unknown>, key?: string | null, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify({ model: "echo", messages: [{ role: "user", content: "hello there" }], ...body }),
  });
}

/** Every `x-ratelimit-*` and `retry-after` header of a response. */
export function limitHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name.startsWith("x-ratelimit-") || name === "retry-after") out[name] = value;
  });
  return out;
}
