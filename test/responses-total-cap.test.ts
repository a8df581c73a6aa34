/**
 * All stored responses together are bounded in bytes (`LANGURU_RESPONSES_MAX_TOTAL_BYTES`), in every
 * store: SQLite and PostgreSQL (a running total kept by triggers) and the keys-off memory LRU. Past
 * the cap the oldest go first; a `previous_response_id` naming one is a 404 like any unknown id.
 * Over real sockets with the official `openai` client; the databases are read directly to check
 * that the running total is the real sum of what is kept.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import OpenAI from "openai";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_RESPONSES_SETTINGS } from "../server/doors/responses/index.js";
import { migrations } from "../server/store/migrations.js";
import { openSqlite } from "../server/store/sqlite-driver.js";
import { MASTER_KEY, startKeyedGateway, tempDir } from "./helpers/access.js";
import { startGateway, type TestGateway } from "./helpers/gateway.js";

const DATABASE_URL = process.env.DATABASE_URL;
// A stored echo of `big(i)` is about 30 KB (output, then input and output again in its conversation): three fit.
const CAP = 100_000;
const settings = { responses: { ...DEFAULT_RESPONSES_SETTINGS, maxTotalBytes: CAP } };
const big = (i: number) => `${i} ${"w ".repeat(5_000)}`;
const clientOf = (gateway: TestGateway, apiKey = "unused") => new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey, maxRetries: 0 });
const storeOf = (response: object) => (response as { store?: unknown }).store;
const notFound = (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(OpenAI.NotFoundError);
// Saves in one millisecond tie on the creation time; a tick apart, "oldest" is one order.
const tick = () => new Promise((r) => setTimeout(r, 3));

/** What a database holds: ids oldest first, the bodies' real UTF-8 bytes, and the running total the gateway reads. */
interface Held {
  ids: string[];
  bytes: number;
  total: number;
}

/** Fills a store well past the cap through the door, and checks what it kept. */
async function fillPastTheCap(client: OpenAI, held: () => Promise<Held>) {
  const first = await client.responses.create({ model: "echo", input: "the first one" });
  const made = [first.id];
  for (let i = 0; i < 10; i++) {
    await tick();
    made.push((await client.responses.create({ model: "echo", input: big(i) })).id);
  }
  await notFound(client.responses.retrieve(first.id));
  await notFound(client.responses.create({ model: "echo", input: "go on", previous_response_id: first.id }));
  const newest = made.at(-1)!;
  await tick();
  const next = await client.responses.create({ model: "echo", input: "go on", previous_response_id: newest });
  expect(storeOf(next)).toBe(true);
  made.push(next.id);

  const kept = await held();
  expect(kept.bytes).toBeLessThanOrEqual(CAP);
  expect(kept.total).toBe(kept.bytes);
  // The newest ones, in order: eviction took the oldest and nothing else.
  expect(kept.ids.length).toBeGreaterThanOrEqual(2);
  expect(kept.ids.length).toBeLessThan(made.length - 5);
  expect(kept.ids).toEqual(made.slice(-kept.ids.length));
  expect((await client.responses.retrieve(next.id)).id).toBe(next.id);

  // One response bigger than the whole cap (though under the per-response bound) is served, not kept, and evicts nothing.
  const huge = await client.responses.create({ model: "echo", input: "w ".repeat(40_000) });
  expect(huge.status).toBe("completed");
  expect(storeOf(huge)).toBe(false);
  await notFound(client.responses.retrieve(huge.id));
  expect((await held()).ids).toEqual(kept.ids);

  // Deleting through the door moves the total too.
  await client.responses.delete(next.id);
  const after = await held();
  expect(after.total).toBe(after.bytes);
  expect(after.ids).toEqual(kept.ids.slice(0, -1));
}

describe("with keys on and SQLite", () => {
  const temp = tempDir();
  afterAll(() => temp.cleanup());

  const heldIn = (file: string) => async (): Promise<Held> => {
    const db = openSqlite(file);
    try {
      const ids = (db.prepare("SELECT id FROM languru_responses ORDER BY created_at, id").all() as Array<{ id: string }>).map((r) => r.id);
      const { bytes } = db.prepare("SELECT COALESCE(SUM(length(CAST(body AS BLOB))), 0) AS bytes FROM languru_responses").get() as { bytes: number };
      const { total } = db.prepare("SELECT bytes AS total FROM languru_responses_total").get() as { total: number };
      return { ids, bytes, total };
    } finally {
      db.close();
    }
  };

  it("past the cap the oldest responses are evicted, and previous_response_id to one is a 404", async () => {
    const file = path.join(temp.dir, "capped.db");
    const gateway = await startKeyedGateway({ sqlitePath: file }, settings);
    try {
      await fillPastTheCap(clientOf(gateway, MASTER_KEY), heldIn(file));
    } finally {
      await gateway.close();
    }
  });

  it("a database stored before the cap existed is counted at the upgrade, and its oldest rows go first", async () => {
    const file = path.join(temp.dir, "before-the-cap.db");
    const db = openSqlite(file);
    db.exec("CREATE TABLE languru_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const m of migrations.filter((m) => m.version <= 2)) {
      db.exec(m.sqlite);
      db.prepare("INSERT INTO languru_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
    }
    // Three rows of 40 KB, a second apart: 120 KB, over the cap once the gateway counts them.
    const old = ["resp_old0", "resp_old1", "resp_old2"];
    const insert = db.prepare("INSERT INTO languru_responses (id, owner, created_at, expires_at, body) VALUES (?, 'master', ?, ?, ?)");
    old.forEach((id, i) => {
      const at = Date.now() - 10_000 + i * 1_000;
      insert.run(id, at, at + 86_400_000, JSON.stringify({ response: { id, object: "response", pad: "x".repeat(40_000) }, history: [] }));
    });
    db.close();

    const gateway = await startKeyedGateway({ sqlitePath: file }, settings);
    try {
      // Had the upgrade counted nothing, one small save would evict nothing.
      const made = await clientOf(gateway, MASTER_KEY).responses.create({ model: "echo", input: "new" });
      const retrieve = (id: string) => fetch(`${gateway.baseURL}/v1/responses/${id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      expect((await retrieve("resp_old0")).status).toBe(404);
      expect((await retrieve("resp_old1")).status).toBe(200);
      expect((await retrieve(made.id)).status).toBe(200);
      const kept = await heldIn(file)();
      expect(kept.ids).toEqual(["resp_old1", "resp_old2", made.id]);
      expect(kept.total).toBe(kept.bytes);
    } finally {
      await gateway.close();
    }
  });
});

describe.skipIf(!DATABASE_URL)("with keys on and PostgreSQL", () => {
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });
  const capped = async () => {
    if (schemas.length === 0) await admin.connect();
    const schema = `languru_test_${randomBytes(6).toString("hex")}`;
    schemas.push(schema);
    const gateway = await startKeyedGateway({ databaseUrl: DATABASE_URL, schema }, settings);
    const held = async (): Promise<Held> => {
      const ids = (await admin.query<{ id: string }>(`SELECT id FROM ${schema}.languru_responses ORDER BY created_at, id`)).rows.map((r) => r.id);
      const [sum] = (await admin.query<{ bytes: string }>(`SELECT COALESCE(SUM(octet_length(body)), 0) AS bytes FROM ${schema}.languru_responses`)).rows;
      const [total] = (await admin.query<{ bytes: string }>(`SELECT bytes FROM ${schema}.languru_responses_total`)).rows;
      return { ids, bytes: Number(sum!.bytes), total: Number(total!.bytes) };
    };
    return { gateway, schema, held };
  };

  it("past the cap the oldest responses are evicted, and previous_response_id to one is a 404", async () => {
    const { gateway, held } = await capped();
    try {
      await fillPastTheCap(clientOf(gateway, MASTER_KEY), held);
    } finally {
      await gateway.close();
    }
  });

  it("saves racing each other keep the total exact and under the cap, and rows deleted by hand are counted", async () => {
    const { gateway, schema, held } = await capped();
    try {
      const client = clientOf(gateway, MASTER_KEY);
      const made = await Promise.all(Array.from({ length: 12 }, (_, i) => client.responses.create({ model: "echo", input: big(i) })));
      const readable = await Promise.all(
        made.map((r) =>
          client.responses.retrieve(r.id).then(
            () => r.id,
            () => null,
          ),
        ),
      );
      // About 30 KB each: no more than three fit in the cap.
      expect(readable.filter(Boolean).length).toBeLessThanOrEqual(3);
      const raced = await held();
      expect(readable.filter(Boolean).sort()).toEqual([...raced.ids].sort());
      expect(raced.bytes).toBeLessThanOrEqual(CAP);
      expect(raced.ids.length).toBeGreaterThanOrEqual(1);
      expect(raced.total).toBe(raced.bytes);
      // An operator's DELETE, on a connection with another search_path, still moves the total.
      await admin.query(`DELETE FROM ${schema}.languru_responses WHERE id = $1`, [raced.ids[0]]);
      const afterHand = await held();
      expect(afterHand.ids.length).toBe(raced.ids.length - 1);
      expect(afterHand.total).toBe(afterHand.bytes);
    } finally {
      await gateway.close();
    }
  });
});

describe("with keys off", () => {
  it("the memory LRU honours the cap too: the least recently used go first", async () => {
    const gateway = await startGateway(settings);
    try {
      const client = clientOf(gateway);
      const first = await client.responses.create({ model: "echo", input: "the first one" });
      const made: string[] = [];
      for (let i = 0; i < 10; i++) made.push((await client.responses.create({ model: "echo", input: big(i) })).id);
      await notFound(client.responses.retrieve(first.id));
      await notFound(client.responses.create({ model: "echo", input: "go on", previous_response_id: first.id }));
      await notFound(client.responses.retrieve(made[0]!));
      expect((await client.responses.retrieve(made.at(-1)!)).id).toBe(made.at(-1));
      const huge = await client.responses.create({ model: "echo", input: "w ".repeat(40_000) });
      expect(storeOf(huge)).toBe(false);
    } finally {
      await gateway.close();
    }
  });
});
