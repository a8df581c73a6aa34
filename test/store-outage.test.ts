/**
 * What a store outage does, with PostgreSQL behind a TCP proxy the test cuts: keys verified
 * recently keep working from the cache, unknown keys get 503 (fail closed), ledger rows wait in
 * memory and reach the store once it is back. Plus the ledger writer's bounds on its own.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store, UsageRow } from "../server/store/index.js";
import { createLedger } from "../server/usage/index.js";
import { adminClient, chat, createKey, startKeyedGateway } from "./helpers/access.js";
import type { TestGateway } from "./helpers/gateway.js";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.js";

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) console.warn("DATABASE_URL is not set: the PostgreSQL outage suite is SKIPPED");

describe.skipIf(!DATABASE_URL)("PostgreSQL outage", () => {
  const schema = `languru_outage_${randomBytes(6).toString("hex")}`;
  let proxy: TcpProxy;
  let gateway: TestGateway;
  beforeAll(async () => {
    const url = new URL(DATABASE_URL!);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    // keyCacheMs 0: every request asks the store, so the outage is felt at once.
    gateway = await startKeyedGateway({ databaseUrl: url.toString(), schema, keyCacheMs: 0 });
  });
  afterAll(async () => {
    await gateway?.close(100);
    await proxy?.close();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it("serves known keys from the cache, refuses unknown ones with 503, and keeps the ledger rows", async () => {
    const known = await createKey(gateway);
    const unknown = await createKey(gateway);
    expect((await chat(gateway, {}, known.key)).status).toBe(200);

    proxy.cut();
    const during = await Promise.all([1, 2, 3].map(() => chat(gateway, {}, known.key)));
    expect(during.map((r) => r.status)).toEqual([200, 200, 200]);
    const refused = await chat(gateway, {}, unknown.key);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await refused.json()).error).toMatchObject({ code: "store_unavailable", type: "api_error" });
    await expect(adminClient(gateway).keys.list.query()).rejects.toMatchObject({ data: { status: 503, code: "SERVICE_UNAVAILABLE" } });
    // Wait for a flush to fail: the rows stay buffered.
    await new Promise((r) => setTimeout(r, 300));

    proxy.restore();
    expect((await chat(gateway, {}, unknown.key)).status).toBe(200);
    const report = await adminClient(gateway).usage.query.query({ keyId: known.id });
    expect(report.totals.requests).toBe(4);
  });
});

describe("ledger writer", () => {
  const row = (i: number): UsageRow => ({
    at: new Date(),
    keyId: "k",
    model: "echo",
    deployment: "languru/echo",
    promptTokens: i,
    completionTokens: 0,
    latencyMs: 1,
    ttftMs: null,
    status: 200,
    errorType: null,
    costUsd: null,
    stream: false,
  });

  /** A store whose writes fail while `down`; only `recordUsage` is used by the ledger. */
  function flakyStore() {
    const written: UsageRow[] = [];
    const state = { down: false, written };
    const store = {
      async recordUsage(rows: UsageRow[]) {
        if (state.down) throw new Error("connection refused");
        written.push(...rows);
      },
    } as unknown as Store;
    return { store, state };
  }

  it("never blocks, retries after an outage, bounds its buffer, and reports what it dropped", async () => {
    const { store, state } = flakyStore();
    const ledger = createLedger({ store, log: pino({ level: "silent" }), flushMs: 20, batchSize: 10, maxBuffered: 25 });
    state.down = true;
    for (let i = 0; i < 40; i++) ledger.record(row(i));
    await ledger.flush();
    expect(ledger.stats()).toMatchObject({ buffered: 25, written: 0, dropped: 15 });
    expect(ledger.stats().failedFlushes).toBeGreaterThan(0);
    state.down = false;
    await ledger.flush();
    expect(ledger.stats()).toMatchObject({ buffered: 0, written: 25, dropped: 15 });
    // The newest rows are the ones kept, in order.
    expect(state.written.map((r) => r.promptTokens)).toEqual(Array.from({ length: 25 }, (_, i) => i + 15));
    ledger.record(row(99));
    await new Promise((r) => setTimeout(r, 60));
    expect(state.written.at(-1)?.promptTokens).toBe(99);
    await ledger.close();
  });

  it("answers a request that arrives mid-flush before the flush ends: a synchronous store's batches let the event loop run between them", async () => {
    // A store that writes synchronously, as SQLite does on the event loop (~2 ms a batch here).
    const batches: number[] = [];
    let answeredAfterBatch: number | null = null;
    const store = {
      async recordUsage(rows: UsageRow[]) {
        const until = performance.now() + 2;
        while (performance.now() < until);
        batches.push(rows.length);
      },
    } as unknown as Store;
    const ledger = createLedger({ store, log: pino({ level: "silent" }), flushMs: 60_000, batchSize: 64, maxBuffered: 10_000 });
    const server = createServer((_req, res) => {
      answeredAfterBatch = batches.length;
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      // Warm the connection path first, so the request below needs only the event loop.
      await (await fetch(`http://127.0.0.1:${port}/`)).text();
      for (let i = 0; i < 640; i++) ledger.record(row(i));
      const flushed = ledger.flush();
      const answered = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
      await flushed;
      await answered;
      expect(batches).toEqual(Array.from({ length: 10 }, () => 64));
      // Served while the flush still had batches to write, not after all ten.
      expect(answeredAfterBatch).not.toBeNull();
      expect(answeredAfterBatch!).toBeLessThan(10);
    } finally {
      server.close();
      await ledger.close();
    }
  });

  it("flushes what is left on close", async () => {
    const { store, state } = flakyStore();
    const ledger = createLedger({ store, log: pino({ level: "silent" }), flushMs: 60_000, batchSize: 1000, maxBuffered: 10_000 });
    for (let i = 0; i < 5; i++) ledger.record(row(i));
    expect(state.written).toHaveLength(0);
    await ledger.close();
    expect(state.written).toHaveLength(5);
  });
});
