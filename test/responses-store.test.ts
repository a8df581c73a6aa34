/**
 * Stored responses (`store`, `GET`/`DELETE /v1/responses/{id}`, `previous_response_id`) are
 * scoped to the key that made them, bounded in size and age, kept in the embedded SQLite store
 * with keys on (across a restart), in PostgreSQL when configured, and in a bounded memory LRU with
 * keys off. All over real sockets with the official `openai` client.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import OpenAI from "openai";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_RESPONSES_SETTINGS } from "../server/doors/responses/index.js";
import { MASTER_KEY, createKey, startKeyedGateway, tempDir } from "./helpers/access.js";
import { startGateway, type TestGateway } from "./helpers/gateway.js";

const DATABASE_URL = process.env.DATABASE_URL;
const clientOf = (gateway: TestGateway, apiKey = "unused") => new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey, maxRetries: 0 });
const settings = (over: Partial<typeof DEFAULT_RESPONSES_SETTINGS>) => ({ ...DEFAULT_RESPONSES_SETTINGS, ...over });
// The SDK's Response type has no `store`, though the API sends it.
const storeOf = (response: object) => (response as { store?: unknown }).store;
const notFound = (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(OpenAI.NotFoundError);

describe("with keys on", () => {
  const temp = tempDir();
  afterAll(() => temp.cleanup());

  it("a response is its key's alone: another key gets 404 for retrieve, delete and previous_response_id", async () => {
    const gateway = await startKeyedGateway();
    try {
      const a = clientOf(gateway, (await createKey(gateway)).key);
      const b = clientOf(gateway, (await createKey(gateway)).key);
      const master = clientOf(gateway, MASTER_KEY);
      const made = await a.responses.create({ model: "echo", input: "secret of a" });
      expect((await a.responses.retrieve(made.id)).output_text).toBe("secret of a");
      await notFound(b.responses.retrieve(made.id));
      await notFound(master.responses.retrieve(made.id));
      await notFound(b.responses.delete(made.id));
      await notFound(b.responses.create({ model: "echo", input: "x", previous_response_id: made.id }));
      // Still there for its owner after the others tried.
      const next = await a.responses.create({ model: "echo", input: "go on", previous_response_id: made.id });
      expect(next.usage!.input_tokens).toBe(3 + 3 + 2);
      const byMaster = await master.responses.create({ model: "echo", input: "mine" });
      expect((await master.responses.retrieve(byMaster.id)).id).toBe(byMaster.id);
      await notFound(a.responses.retrieve(byMaster.id));
    } finally {
      await gateway.close();
    }
  });

  it("no key is a 401 before anything is read", async () => {
    const gateway = await startKeyedGateway();
    try {
      const res = await fetch(`${gateway.baseURL}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "echo", input: "hi" }),
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
      await expect(clientOf(gateway, "sk-wrong").responses.retrieve("resp_x")).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    } finally {
      await gateway.close();
    }
  });

  it("responses live in the embedded SQLite store: a restarted gateway on the same file still has them", async () => {
    const sqlitePath = path.join(temp.dir, "responses.db");
    const first = await startKeyedGateway({ sqlitePath });
    const made = await clientOf(first, MASTER_KEY).responses.create({ model: "echo", input: "survive a restart" });
    await first.close();
    const second = await startKeyedGateway({ sqlitePath });
    try {
      const client = clientOf(second, MASTER_KEY);
      expect((await client.responses.retrieve(made.id)).output_text).toBe("survive a restart");
      await client.responses.delete(made.id);
      await notFound(client.responses.retrieve(made.id));
    } finally {
      await second.close();
    }
  });

  it("an expired response is gone, for retrieve and previous_response_id alike", async () => {
    const gateway = await startKeyedGateway({}, { responses: settings({ ttlMs: 300 }) });
    try {
      const client = clientOf(gateway, MASTER_KEY);
      const made = await client.responses.create({ model: "echo", input: "short lived" });
      expect((await client.responses.retrieve(made.id)).id).toBe(made.id);
      await new Promise((r) => setTimeout(r, 400));
      await notFound(client.responses.retrieve(made.id));
      await notFound(client.responses.create({ model: "echo", input: "x", previous_response_id: made.id }));
    } finally {
      await gateway.close();
    }
  });

  it("a response over the size bound is served but not kept, and says store: false", async () => {
    const gateway = await startKeyedGateway({}, { responses: settings({ maxBytes: 4_096 }) });
    try {
      const client = clientOf(gateway, MASTER_KEY);
      const small = await client.responses.create({ model: "echo", input: "small" });
      expect(storeOf(small)).toBe(true);
      const big = await client.responses.create({ model: "echo", input: "word ".repeat(2_000) });
      expect(big.status).toBe("completed");
      expect(storeOf(big)).toBe(false);
      await notFound(client.responses.retrieve(big.id));
      // The same bound for a stream: the terminal event says it was not kept.
      const streamed = await client.responses.stream({ model: "echo", input: "word ".repeat(2_000) }).finalResponse();
      expect(storeOf(streamed)).toBe(false);
      await notFound(client.responses.retrieve(streamed.id));
    } finally {
      await gateway.close();
    }
  });
});

describe.skipIf(!DATABASE_URL)("with keys on and PostgreSQL", () => {
  it("responses are kept in PostgreSQL, scoped to their key", async () => {
    const schema = `languru_test_${randomBytes(6).toString("hex")}`;
    const gateway = await startKeyedGateway({ databaseUrl: DATABASE_URL, schema });
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      const a = clientOf(gateway, (await createKey(gateway)).key);
      const b = clientOf(gateway, (await createKey(gateway)).key);
      const made = await a.responses.create({ model: "echo", input: "kept in postgres" });
      const rows = await admin.query<{ id: string }>(`SELECT id FROM ${schema}.languru_responses`);
      expect(rows.rows.map((r) => r.id)).toEqual([made.id]);
      expect((await a.responses.retrieve(made.id)).output_text).toBe("kept in postgres");
      await notFound(b.responses.retrieve(made.id));
      await a.responses.delete(made.id);
      await notFound(a.responses.retrieve(made.id));
    } finally {
      await gateway.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });
});

describe("with keys off", () => {
  it("responses are kept in a bounded memory LRU: past the count, the least recently used go first", async () => {
    const gateway = await startGateway({ responses: settings({ memoryEntries: 2 }) });
    try {
      const client = clientOf(gateway);
      const one = await client.responses.create({ model: "echo", input: "one" });
      const two = await client.responses.create({ model: "echo", input: "two" });
      // Reading `one` makes `two` the least recently used.
      await client.responses.retrieve(one.id);
      const three = await client.responses.create({ model: "echo", input: "three" });
      await notFound(client.responses.retrieve(two.id));
      expect((await client.responses.retrieve(one.id)).output_text).toBe("one");
      expect((await client.responses.retrieve(three.id)).output_text).toBe("three");
    } finally {
      await gateway.close();
    }
  });

  it("and bounded in bytes: a burst of large responses holds no more than the budget", async () => {
    const gateway = await startGateway({ responses: settings({ memoryBytes: 200_000 }) });
    try {
      const client = clientOf(gateway);
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await client.responses.create({ model: "echo", input: `${i} ${"w ".repeat(5_000)}` })).id);
      const kept = await Promise.all(
        ids.map((id) =>
          client.responses.retrieve(id).then(
            () => true,
            () => false,
          ),
        ),
      );
      // Each is about 40 KB as the LRU counts it (UTF-16): only the newest few fit in 200 KB.
      expect(kept.filter(Boolean).length).toBeLessThanOrEqual(5);
      expect(kept.at(-1)).toBe(true);
      expect(kept[0]).toBe(false);
    } finally {
      await gateway.close();
    }
  });
});
