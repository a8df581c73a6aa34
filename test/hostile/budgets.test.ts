/**
 * Issue 7 item 8: budgets are reserved at admission (prompt estimate + max output × n) and settled
 * after, so concurrent calls, a large `n`, or replicas taking turns cannot spend past them.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, chat, createKey, startKeyedGateway, tempDir } from "../helpers/access.js";
import type { TestGateway } from "../helpers/gateway.js";

// $0.01 per token either way, so spend is easy to read.
const prices = { echo: { input: 10_000, output: 10_000 } };
const words = { messages: [{ role: "user", content: "one two three" }], max_tokens: 5 };

async function spent(gateway: TestGateway, keyId: string): Promise<{ tokens: number; usd: number }> {
  await new Promise((r) => setTimeout(r, 200));
  const { totals } = await adminClient(gateway).usage.query.query({ keyId });
  return { tokens: totals.promptTokens + totals.completionTokens, usd: totals.costUsd ?? 0 };
}

describe("one replica", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startKeyedGateway({ prices });
  });
  afterAll(() => gateway?.close(100));

  it("20 concurrent streams cannot spend past a token budget", async () => {
    const { key, id } = await createKey(gateway, { budgetTokens: 50 });
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await chat(gateway, { ...words, stream: true, echo_delay_ms: 100 }, key);
        await res.text();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect((await spent(gateway, id)).tokens).toBeLessThanOrEqual(50);
  });

  it("20 concurrent calls cannot spend past a USD budget", async () => {
    const { key, id } = await createKey(gateway, { budgetUsd: 0.5 });
    await Promise.all(Array.from({ length: 20 }, () => chat(gateway, { ...words, stream: true, echo_delay_ms: 100 }, key).then((r) => r.text())));
    expect((await spent(gateway, id)).usd).toBeLessThanOrEqual(0.5);
  });

  it("one n=128 call whose worst case is over the budget is refused before it runs", async () => {
    const { key, id } = await createKey(gateway, { budgetTokens: 1_000 });
    const res = await chat(gateway, { ...words, max_tokens: 10, n: 128 }, key);
    expect(res.status).toBe(429);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("insufficient_quota");
    expect(body.error.message).toContain("max_tokens");
    expect((await spent(gateway, id)).tokens).toBe(0);
    // What fits is served, and the reservation is given back after.
    expect((await chat(gateway, { ...words, n: 2 }, key)).status).toBe(200);
    expect((await chat(gateway, { ...words, n: 2 }, key)).status).toBe(200);
  });

  it("a refusal for budget counts against no rate window", async () => {
    const { key } = await createKey(gateway, { budgetTokens: 20, rpm: 2 });
    expect((await chat(gateway, { ...words, max_tokens: 100 }, key)).status).toBe(429);
    expect((await chat(gateway, { ...words, max_tokens: 100 }, key)).status).toBe(429);
    expect((await chat(gateway, words, key)).status).toBe(200);
  });
});

const REDIS_URL = process.env.REDIS_URL;
describe.skipIf(!REDIS_URL)("two replicas sharing Redis", () => {
  const tmp = tempDir();
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    const shared = { sqlitePath: path.join(tmp.dir, "keys.db"), redisUrl: REDIS_URL, redisPrefix: `languru-test-${randomBytes(6).toString("hex")}`, prices };
    a = await startKeyedGateway(shared);
    b = await startKeyedGateway(shared);
  });
  afterAll(async () => {
    await Promise.all([a?.close(100), b?.close(100)]);
    tmp.cleanup();
  });

  it("alternating between them does not double a token budget", async () => {
    const { key, id } = await createKey(a, { budgetTokens: 60 });
    let served = 0;
    for (let i = 0; i < 20; i++) {
      const res = await chat(i % 2 === 0 ? a : b, words, key);
      await res.text();
      if (res.status === 200) served++;
    }
    expect(served).toBeGreaterThan(0);
    const [fromA, fromB] = [await spent(a, id), await spent(b, id)];
    expect(Math.max(fromA.tokens, fromB.tokens)).toBeLessThanOrEqual(60);
  });
});
