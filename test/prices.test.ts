/**
 * Prices: the list-price table (`server/usage/price-table.ts`) prices a call whose deployment and
 * model the config does not, config prices override it, cached prompt tokens cost the cached rate,
 * and a model name that is an Object key (`constructor`) finds no price. End to end with keys on:
 * a Gemini call's ledger row and the key's spend carry the cost from the table.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../server/config.js";
import { costOf, priceOf } from "../server/usage/prices.js";
import { LISTED_PRICES, listedPrice } from "../server/usage/price-table.js";
import { thinkingResponse } from "./fixtures/gemini/responses.js";
import { adminClient, chat, createKey, startKeyedGateway } from "./helpers/access.js";
import { generated, startFakeGemini, type FakeGemini } from "./helpers/fake-gemini.js";
import { upstreamProvider, type TestGateway } from "./helpers/gateway.js";

describe("the price table", () => {
  it("has the common models of the three providers, each with input, cached input and output", () => {
    for (const id of ["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-flash", "gemini-2.5-pro"]) {
      const price = LISTED_PRICES[id];
      expect(price, id).toBeDefined();
      expect(price!.cachedInput).toBeLessThanOrEqual(price!.input);
      expect(price!.output).toBeGreaterThan(0);
    }
  });

  it("finds dated snapshots and provider/model addresses; a config price wins over it", () => {
    expect(listedPrice("claude-sonnet-4-5-20250929")).toBe(LISTED_PRICES["claude-sonnet-4-5"]);
    expect(listedPrice("gpt-4o-2024-08-06")).toBe(LISTED_PRICES["gpt-4o"]);
    expect(listedPrice("models/gemini-2.5-flash")).toBe(LISTED_PRICES["gemini-2.5-flash"]);
    expect(priceOf({}, { deployment: "gem/gemini-2.5-flash", model: "fast" })).toBe(LISTED_PRICES["gemini-2.5-flash"]);
    expect(priceOf({}, { deployment: null, model: "gem/gemini-2.5-pro" })).toBe(LISTED_PRICES["gemini-2.5-pro"]);
    const configured = { input: 9, output: 9 };
    expect(priceOf({ fast: configured }, { deployment: "gem/gemini-2.5-flash", model: "fast" })).toBe(configured);
    expect(priceOf({}, { deployment: "fake/m1", model: "m1" })).toBeUndefined();
  });

  it("prices cached prompt tokens at the cached rate (input when none is given)", () => {
    const usage = { promptTokens: 1_000_000, completionTokens: 1_000_000, cachedTokens: 600_000 };
    expect(costOf({}, { deployment: null, model: "gemini-2.5-flash" }, usage)).toBeCloseTo(0.4 * 0.3 + 0.6 * 0.03 + 2.5, 9);
    expect(costOf({ m: { input: 1, output: 2 } }, { deployment: null, model: "m" }, usage)).toBeCloseTo(1 + 2, 9);
    expect(costOf({ m: { input: 1, output: 2, cachedInput: 0.5 } }, { deployment: null, model: "m" }, usage)).toBeCloseTo(0.4 + 0.3 + 2, 9);
  });

  it("a model named like an Object key has no price (not Object's own property)", () => {
    for (const model of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(priceOf({}, { deployment: null, model })).toBeUndefined();
      expect(costOf({}, { deployment: `p/${model}`, model }, { promptTokens: 10, completionTokens: 10 })).toBeNull();
    }
  });

  it("the config file's prices take cachedInput", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "languru-prices-"));
    try {
      const file = path.join(dir, "config.json");
      writeFileSync(file, JSON.stringify({ prices: { fast: { input: 1, output: 2, cachedInput: 0.1 } } }));
      expect(loadConfig({ LANGURU_CONFIG: file }).access.prices).toEqual({ fast: { input: 1, output: 2, cachedInput: 0.1 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("with keys on", () => {
  let fake: FakeGemini;
  let gateway: TestGateway;

  beforeAll(async () => {
    fake = await startFakeGemini();
    gateway = await startKeyedGateway(
      {},
      { providers: [upstreamProvider(fake.baseURL, ["gemini-2.5-flash"], { name: "gem", kind: "gemini", apiKey: "AIzaSy-test-gemini-key-0123456789" })] },
    );
  });
  afterAll(async () => {
    await gateway.close(100);
    await fake.close();
  });

  it("a Gemini call's ledger row and spend are priced from the table, cached tokens at the cached rate", async () => {
    const { key, id } = await createKey(gateway, { budgetUsd: 5 });
    fake.script(generated(thinkingResponse));
    const res = await chat(gateway, { model: "gemini-2.5-flash", messages: [{ role: "user", content: "2+2?" }] }, key);
    expect(res.status).toBe(200);
    // 1200 prompt tokens (1000 cached) and 26 completion tokens (thoughts included), at gemini-2.5-flash's list price.
    const expected = (200 * 0.3 + 1000 * 0.03 + 26 * 2.5) / 1_000_000;
    let cost: number | null = null;
    for (let i = 0; i < 40 && cost === null; i++) {
      const report = await adminClient(gateway).usage.query.query({ keyId: id });
      cost = report.rows[0]?.costUsd ?? null;
      if (cost === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(cost).toBeCloseTo(expected, 12);
    const [record] = (await adminClient(gateway).keys.list.query()).filter((k) => k.id === id);
    expect(record?.spentUsd).toBeCloseTo(expected, 12);
  });

  it("a spend budget reserves a Gemini call's worst case from the table", async () => {
    // 4096 default output tokens at $2.50 per million is about a cent: a budget of a tenth of a cent cannot hold it.
    const { key } = await createKey(gateway, { budgetUsd: 0.001 });
    const res = await chat(gateway, { model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] }, key);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("insufficient_quota");
  });
});
