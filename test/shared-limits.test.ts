/**
 * Several replicas enforce one limit through Redis: two gateways in this process, each with its
 * own Redis connection and limiter, sharing one SQLite key file. Skipped (loudly) without REDIS_URL.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLanguruClient } from "../client/index.js";
import { killProcesses, startProcess } from "./helpers/process.js";
import { MASTER_KEY, chat, createKey, limitHeaders, startKeyedGateway, tempDir } from "./helpers/access.js";
import type { TestGateway } from "./helpers/gateway.js";

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn("REDIS_URL is not set: the shared Redis rate-limit suite is SKIPPED");

describe.skipIf(!REDIS_URL)("rate limits shared through Redis", () => {
  const tmp = tempDir();
  const redisPrefix = `languru-test-${randomBytes(6).toString("hex")}`;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    const sqlitePath = path.join(tmp.dir, "keys.db");
    a = await startKeyedGateway({ sqlitePath, redisUrl: REDIS_URL, redisPrefix });
    b = await startKeyedGateway({ sqlitePath, redisUrl: REDIS_URL, redisPrefix });
  });
  afterAll(async () => {
    await Promise.all([a?.close(100), b?.close(100)]);
    tmp.cleanup();
  });

  it("two gateways enforce one combined RPM limit", async () => {
    const { key } = await createKey(a, { rpm: 5 });
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => chat(i % 2 === 0 ? a : b, {}, key).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    const res = await chat(b, {}, key);
    expect(res.status).toBe(429);
    expect(limitHeaders(res)).toMatchObject({ "x-ratelimit-limit-requests": "5", "x-ratelimit-remaining-requests": "0" });
  });

  it("and one combined TPM window", async () => {
    const { key } = await createKey(b, { tpm: 120 });
    const body = { messages: [{ role: "user", content: "one two three four five six seven eight nine ten" }] };
    let used = 0;
    for (const gateway of [a, b, a, b, a, b, a, b, a, b]) {
      const res = await chat(gateway, body, key);
      if (res.status !== 200) break;
      used += ((await res.json()) as { usage: { total_tokens: number } }).usage.total_tokens;
    }
    // Each call uses 20 tokens (10 words in, 10 out) after settling; a 27-token estimate must fit under 120.
    expect(used).toBeLessThanOrEqual(120);
    expect(used).toBeGreaterThanOrEqual(80);
  });
});

describe.skipIf(!REDIS_URL)("two server processes sharing Redis", () => {
  const tmp = tempDir();
  afterEach(() => killProcesses());
  afterAll(() => tmp.cleanup());

  it("enforce one combined RPM limit", async () => {
    const env = {
      LANGURU_MASTER_KEY: MASTER_KEY,
      LANGURU_DB: path.join(tmp.dir, "shared.db"),
      REDIS_URL: REDIS_URL!,
      LANGURU_REDIS_PREFIX: `languru-procs-${randomBytes(6).toString("hex")}`,
    };
    const a = await startProcess(env);
    const b = await startProcess(env);
    const { key } = await createLanguruClient({ url: a.url, apiKey: MASTER_KEY, transport: "http" }).trpc.keys.create.mutate({ rpm: 4 });
    const call = (url: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: "echo", messages: [{ role: "user", content: "hi" }] }),
      }).then((r) => r.status);
    const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => call(i % 2 === 0 ? a.url : b.url)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
  });
});

describe("Redis unreachable", () => {
  const tmp = tempDir();
  let gateway: TestGateway;
  beforeAll(async () => {
    // Nothing listens on port 1: every Redis command fails, and the limiter counts in memory instead.
    gateway = await startKeyedGateway({ sqlitePath: path.join(tmp.dir, "keys.db"), redisUrl: "redis://127.0.0.1:1", redisPrefix: "unreachable" });
  });
  afterAll(async () => {
    await gateway?.close(100);
    tmp.cleanup();
  });

  it("limits still hold, per replica", async () => {
    const { key } = await createKey(gateway, { rpm: 2 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await chat(gateway, {}, key)).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
  });
});
