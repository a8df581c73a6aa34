/**
 * Issue 7 items 4 and 11: client-chosen names and guessed keys leave bounded state, tRPC batching
 * is off, and echo does not amplify a prompt `n` times past a bound.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccess } from "../../server/access/index.js";
import { createBudgets, createLimiter } from "../../server/limits/index.js";
import { createStore, type Store } from "../../server/store/index.js";
import { createLedger } from "../../server/usage/index.js";
import { log } from "../../server/log.js";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { RESPONSIVE_MS, whileProbing } from "./probe.js";

let upstream: FakeUpstream;
let gateway: TestGateway;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["ok"])] });
});
afterAll(async () => {
  await gateway?.close(100);
  await upstream?.close();
});

const post = (body: Record<string, unknown>) =>
  fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
  });

describe("client-chosen model names", () => {
  it("a 100 KB `provider/<name>` is a clear 400, small, and remembered nowhere", async () => {
    const res = await post({ model: `fake/${"n".repeat(100_000)}` });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ error: { param: "model", code: "model_name_too_long" } });
    expect(text.length).toBeLessThan(1_000);
    expect(upstream.calls).toHaveLength(0);
    const deployments = await (await fetch(`${gateway.baseURL}/languru/deployments`)).text();
    expect(deployments.length).toBeLessThan(10_000);
  });

  it("1,100 distinct `provider/<name>` addresses leave at most 1,000 remembered", { timeout: 60_000 }, async () => {
    for (let i = 0; i < 1_100; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) => post({ model: `fake/m-${i + j}` }).then((r) => r.arrayBuffer()));
      await Promise.all(batch);
    }
    const { data } = (await (await fetch(`${gateway.baseURL}/languru/deployments`)).json()) as { data: Array<{ id: string }> };
    expect(data.length).toBeLessThanOrEqual(1_000 + 2);
    // The most recent ones are the ones kept; the configured ones always are.
    const ids = new Set(data.map((d) => d.id));
    expect(ids.has("fake/m-1099")).toBe(true);
    expect(ids.has("fake/ok")).toBe(true);
    expect(ids.has("fake/m-0")).toBe(false);
  });
});

describe("amplification", () => {
  it("tRPC batching is off: a batch of 1,000 calls is one 400", async () => {
    const paths = Array.from({ length: 1_000 }, () => "models.list").join(",");
    const res = await fetch(`${gateway.baseURL}/trpc/${paths}?batch=1&input=${encodeURIComponent("{}")}`);
    expect(res.status).toBe(400);
  });

  it("echo with n=128 on a 1 MiB prompt is a clear 400, fast, and the gateway stays responsive", async () => {
    const prompt = "word ".repeat(200_000);
    const { result: res, slowestProbeMs } = await whileProbing(gateway.baseURL, () => post({ model: "echo", messages: undefined, prompt, n: 128 }));
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ error: { param: "n", code: "echo_output_too_large" } });
    expect(slowestProbeMs).toBeLessThan(RESPONSIVE_MS);
    // A small n on a small prompt still works, streamed or not.
    expect((await post({ model: "echo", n: 4 })).status).toBe(200);
  });
});

describe("guessed keys", () => {
  it("a well-formed but unknown key costs one store query, not one per attempt", async () => {
    const store = createStore({ sqlitePath: ":memory:" });
    await store.migrate();
    let lookups = 0;
    const counting: Store = Object.assign(Object.create(store) as Store, {
      findKey: (id: string) => {
        lookups++;
        return store.findKey(id);
      },
    });
    const ledger = createLedger({ store, log, flushMs: 1_000, batchSize: 100, maxBuffered: 1_000 });
    const access = createAccess({
      masterKey: "test-master-key-0123456789abcdef",
      store: counting,
      limiter: createLimiter({ prefix: "t" }),
      budgets: createBudgets({ prefix: "t" }),
      ledger,
      prices: {},
      keyCacheMs: 0,
      defaultOutputTokens: 100,
      log,
    });
    const fake = `sk-lru-0123456789ab_${"A".repeat(32)}`;
    for (let i = 0; i < 50; i++) await expect(access.authenticate(fake)).rejects.toMatchObject({ status: 401 });
    expect(lookups).toBe(1);
    // The bound: many distinct guesses do not grow memory without limit (each miss is one query, then cached).
    for (let i = 0; i < 200; i++) await access.authenticate(`sk-lru-${i.toString(16).padStart(12, "0")}_${"B".repeat(32)}`).catch(() => undefined);
    expect(lookups).toBe(201);
    await ledger.close();
    await store.close();
  });
});
