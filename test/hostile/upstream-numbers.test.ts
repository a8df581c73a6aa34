/**
 * Issue 16 item 3: an upstream's token counts are not trusted. A `usage` whose counts are negative,
 * past float range, strings, booleans, objects, fractions or past a 32-bit column never reaches
 * metrics, limits, budgets or the ledger as such: it is treated as unknown and the call is estimated.
 * The process stays up (it used to exit from a prom-client throw in a `finish` listener), `/metrics`
 * stays valid, negative usage is never credit, and every ledger row is writable by every store.
 * The client still gets the upstream's answer as it was sent.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { WebSocket } from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLanguruClient } from "../../client/index.js";
import { MASTER_KEY, adminClient, chat, createKey, startKeyedGateway, tempDir } from "../helpers/access.js";
import type { FakeUpstream } from "../helpers/fake-upstream.js";
import { sdk, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { BAD_COUNTS, hostileModel, startHostileUpstream, type HostileDirective, type UsagePlacement } from "../helpers/hostile-upstream.js";
import { killProcesses, startProcess } from "../helpers/process.js";
import { parseScrape, scrape } from "../helpers/prometheus.js";
import { within } from "./probe.js";

const DATABASE_URL = process.env.DATABASE_URL;
const MAX_COUNT = 2 ** 31 - 1;
const question = { messages: [{ role: "user" as const, content: "how many tokens is this?" }], max_tokens: 5 };
/** A request whose upstream answer follows `directive` (carried in the model name, so every door passes it). */
const asking = (directive: HostileDirective) => ({ ...question, model: hostileModel(directive) });

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startHostileUpstream({ models: ["m"] });
});
afterAll(() => upstream?.close());

/** REST: a whole completion and a stream per placement, each reporting `count` in every usage field. */
async function restCalls(baseURL: string, count: string, key?: string): Promise<void> {
  const post = (body: Record<string, unknown>) =>
    fetch(`${baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ ...question, ...body }),
    });
  const whole = await post(asking({ usage: count }));
  const text = await whole.text();
  expect(whole.status, text).toBe(200);
  // The client gets the upstream's bytes, bad count and all: judging it is the gateway's business only.
  expect(text).toContain(`"prompt_tokens":${count}`);
  for (const placement of ["usage-chunk", "finish-chunk"] satisfies UsagePlacement[]) {
    const streamed = await post({ ...asking({ usage: count, placement }), stream: true, stream_options: { include_usage: true } });
    const body = await streamed.text();
    expect(streamed.status).toBe(200);
    expect(body).not.toContain('"error"');
    expect(body).toContain(`"prompt_tokens":${count}`);
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
  }
}

/** Every token counter in a scrape is a finite, non-negative number no count could exceed. */
function expectSaneTokenCounters(text: string): void {
  const parsed = parseScrape(text);
  for (const name of ["languru_prompt_tokens_total", "languru_completion_tokens_total"]) {
    const value = parsed.value(name);
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThan(MAX_COUNT);
  }
}

describe("a server process fed bad counts", () => {
  const tmp = tempDir();
  afterEach(() => killProcesses());
  afterAll(() => tmp.cleanup());

  for (const keys of ["off", "on"] as const) {
    it(`keys ${keys}: every bad count, whole and streamed, REST and WebSocket: the process stays up, /metrics parses`, { timeout: 60_000 }, async () => {
      const configPath = path.join(tmp.dir, `languru-${keys}.json`);
      writeFileSync(configPath, JSON.stringify({ providers: [{ name: "hostile", kind: "openai-compatible", baseURL: upstream.baseURL, models: ["m"] }] }));
      // Keys on in SQLite memory: the child must not pick up a CI database or Redis from the environment.
      const keyed = { LANGURU_MASTER_KEY: MASTER_KEY, LANGURU_DB: ":memory:", DATABASE_URL: undefined, REDIS_URL: undefined } as unknown as Record<
        string,
        string
      >;
      const server = await startProcess({ LANGURU_CONFIG: configPath, ...(keys === "on" ? keyed : {}) });
      const key = keys === "on" ? MASTER_KEY : undefined;
      const client = createLanguruClient({ url: server.url, WebSocket, apiKey: key });
      try {
        for (const count of BAD_COUNTS) {
          await restCalls(server.url, count, key);
          const whole = await client.chat.completions(asking({ usage: count }));
          expect(whole.choices[0]?.message.content).toBe("hello from a hostile upstream");
          const chunks = [];
          for await (const chunk of client.chat.stream({ ...asking({ usage: count }), stream_options: { include_usage: true } })) chunks.push(chunk);
          expect(chunks.at(-1)?.choices).toEqual([]);
          // Still up: a crash would refuse this connection.
          const health = await within(fetch(`${server.url}/health`), 5_000, `GET /health after ${count}`);
          expect(health.status).toBe(200);
        }
      } finally {
        await client.close();
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(server.child.exitCode).toBeNull();
      const res = await fetch(`${server.url}/metrics`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
      expect(res.status).toBe(200);
      expectSaneTokenCounters(await res.text());
      expect(server.lines.filter((l) => l.level === 50 || l.level === 60)).toEqual([]);
    });
  }
});

describe("keys on: a bad count is never credit, never a bad row", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startKeyedGateway({}, { providers: [upstreamProvider(upstream.baseURL, ["m"], { name: "hostile" })] });
  });
  afterAll(() => gateway?.close(100));

  it("negative usage gives no budget credit: a 1,000-token key is refused near its budget, over the WebSocket", async () => {
    const { key, id } = await createKey(gateway, { budgetTokens: 1_000 });
    const client = sdk(gateway, { apiKey: key });
    let served = 0;
    let refusal: unknown = null;
    try {
      for (let i = 0; i < 300 && !refusal; i++) {
        await client.chat.completions(asking({ usage: "-1e9" })).then(
          () => served++,
          (err: unknown) => (refusal = err),
        );
      }
    } finally {
      await client.close();
    }
    // Each call settles at its estimate (~20 tokens): ~50 fit; with -1e9 taken as credit all 300 did.
    expect(refusal).toMatchObject({ status: 429, code: "insufficient_quota" });
    expect(served).toBeGreaterThan(10);
    expect(served).toBeLessThan(150);
    const { totals, rows } = await adminClient(gateway).usage.query.query({ keyId: id, limit: 1_000 });
    expect(totals.promptTokens + totals.completionTokens).toBeLessThanOrEqual(1_000);
    for (const row of rows) expect(row.promptTokens).toBeGreaterThan(0);
  });

  it("negative usage gives no TPM credit: a 300-token-per-minute key is refused within its window", async () => {
    const { key } = await createKey(gateway, { tpm: 300 });
    let served = 0;
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      const res = await chat(gateway, { ...asking({ usage: "-1e9" }), stream: true }, key);
      await res.text();
      status = res.status;
      if (status === 200) served++;
    }
    expect(status).toBe(429);
    expect(served).toBeLessThan(40);
  });

  it("every bad count through every door leaves rows of non-negative integers and a valid scrape", { timeout: 30_000 }, async () => {
    const { key, id } = await createKey(gateway);
    const client = sdk(gateway, { apiKey: key });
    try {
      for (const count of BAD_COUNTS) {
        await restCalls(gateway.baseURL, count, key);
        await client.chat.completions(asking({ usage: count }));
        for await (const _chunk of client.chat.stream(asking({ usage: count, placement: "finish-chunk" })));
      }
    } finally {
      await client.close();
    }
    const { rows } = await adminClient(gateway).usage.query.query({ keyId: id, limit: 1_000 });
    expect(rows.length).toBe(BAD_COUNTS.length * 5);
    for (const row of rows) {
      for (const n of [row.promptTokens, row.completionTokens]) {
        expect(Number.isSafeInteger(n)).toBe(true);
        expect(n).toBeGreaterThanOrEqual(0);
        expect(n).toBeLessThan(MAX_COUNT);
      }
    }
    const metrics = await fetch(`${gateway.baseURL}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expectSaneTokenCounters(await metrics.text());
    await scrape(gateway.baseURL, { authorization: `Bearer ${MASTER_KEY}` });
  });

  it("a valid count is still taken as it is", async () => {
    const { key, id } = await createKey(gateway);
    const res = await chat(gateway, asking({ usage: "7" }), key);
    expect(res.status).toBe(200);
    await res.text();
    const { rows } = await adminClient(gateway).usage.query.query({ keyId: id });
    expect(rows.map((r) => [r.promptTokens, r.completionTokens])).toEqual([[7, 7]]);
  });
});

describe.skipIf(!DATABASE_URL)("keys on with PostgreSQL", () => {
  const schema = `languru_numbers_${randomBytes(6).toString("hex")}`;
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startKeyedGateway({ databaseUrl: DATABASE_URL, schema }, { providers: [upstreamProvider(upstream.baseURL, ["m"], { name: "hostile" })] });
  });
  afterAll(async () => {
    await gateway?.close(100);
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it("counts past an INTEGER column or with a fraction still leave a row, and later rows follow", async () => {
    const { key, id } = await createKey(gateway);
    for (const count of [...BAD_COUNTS, "7"]) {
      const res = await chat(gateway, asking({ usage: count }), key);
      expect(res.status).toBe(200);
      await res.text();
    }
    const { rows } = await adminClient(gateway).usage.query.query({ keyId: id, limit: 1_000 });
    expect(rows.length).toBe(BAD_COUNTS.length + 1);
    expect(rows.every((r) => Number.isSafeInteger(r.promptTokens) && r.promptTokens >= 0)).toBe(true);
  });
});
