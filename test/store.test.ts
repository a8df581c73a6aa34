/**
 * The one store suite, run against SQLite and PostgreSQL (when DATABASE_URL is set; each run gets
 * its own schema, dropped afterwards, so parallel files never collide).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../server/access/index.js";
import { createPostgresStore, createSqliteStore, type KeySettings, type Store, type UsageRow } from "../server/store/index.js";

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) console.warn("DATABASE_URL is not set: the PostgreSQL store suite is SKIPPED");

const settings = (over: Partial<KeySettings> = {}): KeySettings => ({
  name: null,
  models: null,
  rpm: null,
  tpm: null,
  budgetTokens: null,
  budgetUsd: null,
  expiresAt: null,
  ...over,
});

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

function storeSuite(name: string, open: () => Promise<{ store: Store; rawKeyTable: () => Promise<string>; close: () => Promise<void> }>) {
  describe(name, () => {
    let store: Store;
    let rawKeyTable: () => Promise<string>;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, rawKeyTable, close } = await open());
      await store.migrate();
      await store.migrate(); // idempotent
    });
    afterAll(() => close?.());

    it("inserts, finds, lists, updates and revokes keys", async () => {
      const made = generateKey();
      const expiresAt = new Date(Date.now() + 86_400_000);
      const created = await store.insertKey({
        ...settings({ name: "web", models: ["echo", "gpt-*"], rpm: 10, tpm: 1000, budgetTokens: 5000, budgetUsd: 2.5, expiresAt }),
        id: made.id,
        hash: made.hash,
      });
      expect(created).toMatchObject({
        id: made.id,
        name: "web",
        models: ["echo", "gpt-*"],
        rpm: 10,
        tpm: 1000,
        budgetTokens: 5000,
        budgetUsd: 2.5,
        spentTokens: 0,
        spentUsd: 0,
        revokedAt: null,
      });
      expect(created.expiresAt?.getTime()).toBe(expiresAt.getTime());
      expect(await store.findKey(made.id)).toEqual(created);
      expect(await store.findKey("000000000000")).toBeNull();
      expect((await store.listKeys()).map((k) => k.id)).toContain(made.id);
      const updated = await store.updateKey(made.id, { rpm: null, models: null, name: "renamed" });
      expect(updated).toMatchObject({ rpm: null, models: null, name: "renamed", tpm: 1000 });
      expect(await store.updateKey("000000000000", { rpm: 1 })).toBeNull();
      const at = new Date();
      expect((await store.revokeKey(made.id, at))?.revokedAt?.getTime()).toBe(at.getTime());
      // Revoking again keeps the first time.
      expect((await store.revokeKey(made.id, new Date(at.getTime() + 5000)))?.revokedAt?.getTime()).toBe(at.getTime());
    });

    it("refuses a duplicate hash", async () => {
      const made = generateKey();
      await store.insertKey({ ...settings(), id: made.id, hash: made.hash });
      await expect(store.insertKey({ ...settings(), id: generateKey().id, hash: made.hash })).rejects.toThrow();
    });

    it("records usage, adds spend to keys, and answers queries by key, model and time with totals", async () => {
      const a = generateKey();
      const b = generateKey();
      await store.insertKey({ ...settings(), id: a.id, hash: a.hash });
      await store.insertKey({ ...settings(), id: b.id, hash: b.hash });
      const t0 = Date.now();
      await store.recordUsage([
        row({ keyId: a.id, at: new Date(t0 - 3000), promptTokens: 10, completionTokens: 5, costUsd: 0.25, stream: true, ttftMs: 12 }),
        row({ keyId: a.id, at: new Date(t0 - 2000), model: "gpt-4o", deployment: "openai/gpt-4o", promptTokens: 7, completionTokens: 3, costUsd: 0.5 }),
        row({ keyId: b.id, at: new Date(t0 - 1000), promptTokens: 1, completionTokens: 1, status: 429, errorType: "requests", deployment: null }),
        row({ keyId: null, at: new Date(t0), promptTokens: 100, completionTokens: 100 }),
      ]);
      await store.recordUsage([]);
      const all = await store.queryUsage({ keyId: a.id });
      expect(all.totals).toEqual({ requests: 2, promptTokens: 17, completionTokens: 8, totalTokens: 25, costUsd: 0.75 });
      expect(all.rows.map((r) => r.model)).toEqual(["gpt-4o", "echo"]);
      expect(all.rows[1]).toEqual(
        row({ keyId: a.id, at: new Date(t0 - 3000), promptTokens: 10, completionTokens: 5, costUsd: 0.25, stream: true, ttftMs: 12 }),
      );
      expect((await store.queryUsage({ keyId: a.id, model: "echo" })).totals.requests).toBe(1);
      expect((await store.queryUsage({ keyId: a.id, from: new Date(t0 - 2500), to: new Date(t0) })).totals.requests).toBe(1);
      const limited = await store.queryUsage({ keyId: a.id, limit: 1 });
      expect(limited.rows).toHaveLength(1);
      expect(limited.totals.requests).toBe(2);
      expect((await store.queryUsage({ keyId: b.id })).rows[0]).toMatchObject({ status: 429, errorType: "requests", deployment: null, costUsd: null });
      expect((await store.queryUsage({ keyId: "nobody" })).totals).toEqual({ requests: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0 });
      expect(await store.findKey(a.id)).toMatchObject({ spentTokens: 25, spentUsd: 0.75 });
      expect(await store.findKey(b.id)).toMatchObject({ spentTokens: 2, spentUsd: 0 });
    });

    it("writes every row of a large batch exactly, whatever its size (149 rows: 64 + 64 + 16 + 4 + 1)", async () => {
      const k = generateKey();
      await store.insertKey({ ...settings(), id: k.id, hash: k.hash });
      const t0 = Date.now() - 10_000;
      const rows = Array.from({ length: 149 }, (_, i) =>
        row({
          keyId: k.id,
          at: new Date(t0 + i),
          model: `m-${i}`,
          deployment: i % 3 === 0 ? null : `d/${i}`,
          promptTokens: i,
          completionTokens: 2 * i,
          latencyMs: i + 1,
          ttftMs: i % 2 === 0 ? null : i,
          status: i % 5 === 0 ? 429 : 200,
          errorType: i % 5 === 0 ? "requests" : null,
          costUsd: i % 4 === 0 ? null : i / 100,
          stream: i % 2 === 1,
        }),
      );
      await store.recordUsage(rows);
      const back = await store.queryUsage({ keyId: k.id, limit: 1000 });
      // Newest first: reversed, every column of every row as given.
      expect(back.rows).toEqual([...rows].reverse());
      const tokens = rows.reduce((sum, r) => sum + r.promptTokens + r.completionTokens, 0);
      expect(back.totals).toMatchObject({ requests: 149, totalTokens: tokens });
      expect((await store.findKey(k.id))?.spentTokens).toBe(tokens);
    });

    it("holds hashes, never raw keys", async () => {
      const made = generateKey();
      await store.insertKey({ ...settings(), id: made.id, hash: made.hash });
      const dump = await rawKeyTable();
      expect(dump).toContain(made.hash);
      expect(dump).not.toContain(made.key);
      expect(dump).not.toContain(made.key.slice(made.key.indexOf("_") + 1));
    });
  });
}

storeSuite("SQLite store", async () => {
  const store = createSqliteStore(":memory:");
  return {
    store,
    rawKeyTable: async () => JSON.stringify(await store.listKeys()),
    close: () => store.close(),
  };
});

describe.skipIf(!DATABASE_URL)("PostgreSQL", () => {
  storeSuite("PostgreSQL store", async () => {
    const schema = `languru_test_${randomBytes(6).toString("hex")}`;
    const store = createPostgresStore({ url: DATABASE_URL!, schema });
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    return {
      store,
      // Reads the table itself, every column as text, not through the store.
      rawKeyTable: async () => JSON.stringify((await admin.query(`SELECT * FROM ${schema}.languru_keys`)).rows),
      close: async () => {
        await store.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      },
    };
  });
});
