/**
 * Issue 16 item 8: a ledger row the store refuses must not poison the ledger. A client-chosen
 * model name with NUL (`echo\u0000`), a lone surrogate or 200 KB of text, and numbers no column
 * holds (3e9, 9.5, NaN, -1e9) are written sanitised on every store; a row the store still refuses
 * is isolated (its batch is split so the good rows land) and written as a placeholder or dropped
 * with a log line, never retried forever; and after a restart the attacker's spend still counts.
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import Database from "libsql";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../server/access/index.js";
import { createPostgresStore, createSqliteStore, type KeySettings, type Store, type UsageRow } from "../../server/store/index.js";
import { createLedger } from "../../server/usage/index.js";
import { adminClient, chat, createKey, startKeyedGateway, tempDir } from "../helpers/access.js";
import type { TestGateway } from "../helpers/gateway.js";

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) console.warn("DATABASE_URL is not set: the PostgreSQL ledger-poisoning suite is SKIPPED");

const POISONS = ["echo\u0000", "echo\ud800x", "echo\udfffy", "echo\u0000\ud83d"];

const noSettings: KeySettings = { name: null, models: null, rpm: null, tpm: null, budgetTokens: null, budgetUsd: null, expiresAt: null };

function row(over: Partial<UsageRow> = {}): UsageRow {
  return {
    at: new Date(),
    keyId: null,
    model: "echo",
    deployment: "languru/echo",
    promptTokens: 1,
    completionTokens: 2,
    latencyMs: 5,
    ttftMs: null,
    status: 200,
    errorType: null,
    costUsd: null,
    stream: false,
    ...over,
  };
}

/** True when `text` holds a NUL or a UTF-16 surrogate without its partner. */
function unstorable(text: string | null): boolean {
  return text !== null && (text.includes("\0") || /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text));
}

/** A pino logger whose lines land in `lines`. */
function capturedLog() {
  const lines: Array<{ msg: string; [field: string]: unknown }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: "info" }, sink), lines };
}

/** A gateway with keys on over `access`, an attacker key allowed `echo*` and a victim key. */
function poisoningSuite(name: string, access: () => Parameters<typeof startKeyedGateway>[0]) {
  describe(name, () => {
    let gateway: TestGateway;
    beforeAll(async () => {
      gateway = await startKeyedGateway(access());
    });
    afterAll(() => gateway?.close(100));

    it("`echo\\u0000` and lone surrogates never block other keys' rows, land sanitised, and still count after a restart", { timeout: 30_000 }, async () => {
      const attacker = await createKey(gateway, { models: ["echo*"] });
      const victim = await createKey(gateway);
      // Interleaved, so that poisoned rows share every batch with the victim's.
      for (let round = 0; round < 5; round++) {
        const calls = [
          ...Array.from({ length: 5 }, () => chat(gateway, {}, victim.key)),
          chat(gateway, {}, attacker.key),
          ...POISONS.map((model) => chat(gateway, { model }, attacker.key)),
        ];
        const statuses = await Promise.all(calls.map(async (res) => (await res).status));
        expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
        expect(statuses.slice(6).every((s) => s === 404)).toBe(true);
        await new Promise((r) => setTimeout(r, 60));
      }
      const admin = adminClient(gateway);
      const victimReport = await admin.usage.query.query({ keyId: victim.id });
      expect(victimReport.totals.requests).toBe(25);
      const attackerReport = await admin.usage.query.query({ keyId: attacker.id });
      expect(attackerReport.totals.requests).toBe(5 * (1 + POISONS.length));
      expect(attackerReport.rows.filter((r) => r.status === 404)).toHaveLength(5 * POISONS.length);
      for (const r of attackerReport.rows) expect(unstorable(r.model)).toBe(false);
      // The sanitised name is still recognisable, and a query for the raw name finds it.
      expect(attackerReport.rows.some((r) => r.model === "echo\ufffd")).toBe(true);
      expect((await admin.usage.query.query({ keyId: attacker.id, model: "echo\u0000" })).totals.requests).toBe(5);
      const spent = attackerReport.totals.totalTokens;
      expect(spent).toBeGreaterThan(0);

      // A restart on the same store: the attacker's budget is not fresh.
      await gateway.close(100);
      gateway = await startKeyedGateway(access());
      const keys = await adminClient(gateway).keys.list.query();
      expect(keys.find((k) => k.id === attacker.id)?.spentTokens).toBe(spent);
      expect(keys.find((k) => k.id === victim.id)?.spentTokens).toBe(victimReport.totals.totalTokens);
    });

    it("a 200 KB model name is a 400 whose ledger row keeps a bounded name", async () => {
      const { key, id } = await createKey(gateway);
      const res = await chat(gateway, { model: `echo${"é".repeat(200_000)}` }, key);
      expect(res.status).toBe(400);
      const report = await adminClient(gateway).usage.query.query({ keyId: id });
      expect(report.rows).toHaveLength(1);
      expect(report.rows[0]!.model.length).toBeLessThanOrEqual(300);
      expect(report.rows[0]!.model.startsWith("echoé")).toBe(true);
    });
  });
}

/** The store-level checks, run against SQLite and PostgreSQL. */
function storeSuite(
  name: string,
  open: () => Promise<{ store: Store; refuse: (sql: { sqlite: string; postgres: string }) => Promise<void>; close: () => Promise<void> }>,
) {
  describe(name, () => {
    let store: Store;
    let refuse: (sql: { sqlite: string; postgres: string }) => Promise<void>;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, refuse, close } = await open());
      await store.migrate();
    });
    afterAll(() => close?.());

    it("writes text and numbers no column holds as sanitised values, and the key's spend stays a finite integer", async () => {
      const made = generateKey();
      await store.insertKey({ ...noSettings, name: "bad\u0000name\ud800", models: ["echo\u0000*"], id: made.id, hash: made.hash });
      const keyId = made.id;
      const hostile = [
        row({ keyId, model: "echo\u0000", deployment: "fake/\u0000x", errorType: "bad\u0000type" }),
        row({ keyId, model: "echo\ud800", deployment: "fake/\udc00" }),
        row({ keyId, model: "x".repeat(100_000) }),
        row({ keyId, promptTokens: 3e9, completionTokens: 9.5 }),
        row({ keyId, promptTokens: -1e9, completionTokens: Number.NaN, latencyMs: Number.POSITIVE_INFINITY, ttftMs: -3 }),
        row({ keyId, costUsd: Number.POSITIVE_INFINITY, status: 1e12, at: new Date(Number.NaN) }),
        row({ keyId, costUsd: -5 }),
      ];
      await store.recordUsage(hostile);
      const report = await store.queryUsage({ keyId });
      expect(report.rows).toHaveLength(hostile.length);
      for (const r of report.rows) {
        for (const text of [r.model, r.deployment, r.errorType]) expect(unstorable(text)).toBe(false);
        expect(r.model.length).toBeLessThanOrEqual(300);
        for (const n of [r.promptTokens, r.completionTokens, r.latencyMs, r.status]) {
          expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
        }
        expect(r.costUsd === null || (Number.isFinite(r.costUsd) && r.costUsd >= 0)).toBe(true);
        expect(Number.isFinite(r.at.getTime())).toBe(true);
      }
      const key = await store.findKey(keyId);
      expect(key?.name).toBe("bad\ufffdname\ufffd");
      expect(Number.isSafeInteger(key?.spentTokens)).toBe(true);
      expect(Number.isFinite(key?.spentUsd)).toBe(true);
    });

    it("a row the store refuses is isolated: its batch is split, the good rows land, it lands as a placeholder or is dropped with a log line", async () => {
      const victim = generateKey();
      const attacker = generateKey();
      await store.insertKey({ ...noSettings, id: victim.id, hash: victim.hash });
      await store.insertKey({ ...noSettings, id: attacker.id, hash: attacker.hash });
      // Refused for its error type (text a placeholder row leaves out), and refused whatever its text.
      await refuse({
        sqlite: `CREATE TRIGGER refuse_poison BEFORE INSERT ON languru_usage WHEN NEW.error_type = 'poison' OR NEW.latency_ms = 424242
                 BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;`,
        postgres: "ALTER TABLE languru_usage ADD CONSTRAINT refuse_poison CHECK (error_type IS DISTINCT FROM 'poison' AND latency_ms <> 424242)",
      });
      const { log, lines } = capturedLog();
      const ledger = createLedger({ store, log, flushMs: 20, batchSize: 50, maxBuffered: 10_000 });
      for (let i = 0; i < 120; i++) {
        if (i === 17) ledger.record(row({ keyId: attacker.id, errorType: "poison", promptTokens: 7, completionTokens: 0, status: 404 }));
        if (i === 80) ledger.record(row({ keyId: attacker.id, latencyMs: 424242, promptTokens: 5, completionTokens: 0 }));
        ledger.record(row({ keyId: victim.id, promptTokens: 1, completionTokens: 1 }));
      }
      await ledger.flush();
      // Not retried forever: nothing is left, and later flushes fail nothing.
      expect(ledger.stats()).toMatchObject({ buffered: 0, written: 121, dropped: 0, rejected: 1 });
      const failures = ledger.stats().failedFlushes;
      ledger.record(row({ keyId: victim.id, promptTokens: 1, completionTokens: 1 }));
      await new Promise((r) => setTimeout(r, 80));
      expect(ledger.stats()).toMatchObject({ buffered: 0, written: 122, failedFlushes: failures });
      await ledger.close();

      expect((await store.queryUsage({ keyId: victim.id })).totals.requests).toBe(121);
      expect((await store.findKey(victim.id))?.spentTokens).toBe(242);
      // The refused text is gone but the attacker's spend is kept; the row refused however written is dropped, with a line saying so.
      const mine = await store.queryUsage({ keyId: attacker.id });
      expect(mine.rows).toHaveLength(1);
      expect(mine.rows[0]).toMatchObject({ errorType: null, status: 404, promptTokens: 7 });
      expect((await store.findKey(attacker.id))?.spentTokens).toBe(7);
      expect(lines.some((l) => /refused.*placeholder/.test(l.msg))).toBe(true);
      expect(lines.some((l) => /refused.*dropped/.test(l.msg) && l.keyId === attacker.id)).toBe(true);
    });
  });
}

describe("SQLite", () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);
  poisoningSuite("a gateway on SQLite", () => ({ sqlitePath: `${dir}/gateway.db` }));
  storeSuite("the SQLite store", async () => {
    const path = `${dir}/store.db`;
    const store = createSqliteStore(path);
    return {
      store,
      async refuse(sql) {
        const db = new Database(path);
        db.exec(sql.sqlite);
        db.close();
      },
      close: () => store.close(),
    };
  });
});

describe.skipIf(!DATABASE_URL)("PostgreSQL", () => {
  const schemas: string[] = [];
  const schema = () => {
    const name = `languru_poison_${randomBytes(6).toString("hex")}`;
    schemas.push(name);
    return name;
  };
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    for (const name of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.end();
  });
  const gatewaySchema = schema();
  poisoningSuite("a gateway on PostgreSQL", () => ({ databaseUrl: DATABASE_URL, schema: gatewaySchema }));
  storeSuite("the PostgreSQL store", async () => {
    const name = schema();
    const store = createPostgresStore({ url: DATABASE_URL!, schema: name });
    return {
      store,
      async refuse(sql) {
        const admin = new pg.Client({ connectionString: DATABASE_URL });
        await admin.connect();
        await admin.query(`SET search_path = ${name}`);
        await admin.query(sql.postgres);
        await admin.end();
      },
      close: () => store.close(),
    };
  });
});
