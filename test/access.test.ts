/**
 * Keys, limits and the ledger through both doors of a real gateway (SQLite, memory limits):
 * 401/403/429 exactly as OpenAI sends them, rate-limit headers, budgets, admin procedures,
 * subscriptions bound to their key, and ledger totals equal to what clients received.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import OpenAI, { AuthenticationError as OpenAIAuthError, PermissionDeniedError as OpenAIPermissionError, RateLimitError as OpenAIRateLimitError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationError, InsufficientQuotaError, PermissionDeniedError, RateLimitError, type ChatCompletionChunk } from "../client/index.js";
import { estimatePromptTokens, loadTokenizer } from "../server/access/index.js";
import { adminClient, chat, createKey, limitHeaders, MASTER_KEY, startKeyedGateway, tempDir } from "./helpers/access.js";
import { sdk, type TestGateway } from "./helpers/gateway.js";
import { expectSpec } from "./helpers/spec.js";

/** OpenAI's reset durations: `120ms`, `1.5s`, `1m0s`. */
const RESET = /^(\d+m)?\d+(\.\d+)?(ms|s)$/;
const tmp = tempDir();
let gateway: TestGateway;
beforeAll(async () => {
  await loadTokenizer();
  gateway = await startKeyedGateway({ sqlitePath: path.join(tmp.dir, "languru.db"), prices: { echo: { input: 1_000_000, output: 1_000_000 } } });
});
afterAll(async () => {
  await gateway?.close(100);
  tmp.cleanup();
});

const openai = (apiKey: string) => new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey, maxRetries: 0 });
const user = (content: string) => ({ role: "user" as const, content });

async function expectError(res: Response, status: number, error: Record<string, unknown>) {
  expect(res.status).toBe(status);
  const body = await res.json();
  expectSpec("ErrorResponse", body);
  expect(body.error).toMatchObject(error);
  return body;
}

describe("401 invalid_api_key", () => {
  it("without a key", async () => {
    await expectError(await chat(gateway, {}), 401, { type: "invalid_request_error", code: "invalid_api_key" });
  });

  it("with a wrong key, malformed or well-formed", async () => {
    await expectError(await chat(gateway, {}, "nonsense"), 401, { code: "invalid_api_key" });
    const { key } = await createKey(gateway);
    const forged = `${key.slice(0, -4)}AAAA`;
    const body = await expectError(await chat(gateway, {}, forged), 401, { code: "invalid_api_key" });
    expect(JSON.stringify(body)).not.toContain(forged);
  });

  it("with a revoked key", async () => {
    const { key, id } = await createKey(gateway);
    expect((await chat(gateway, {}, key)).status).toBe(200);
    await adminClient(gateway).keys.revoke.mutate({ id });
    const body = await expectError(await chat(gateway, {}, key), 401, { code: "invalid_api_key" });
    expect(body.error.message).toMatch(/revoked/);
  });

  it("with an expired key", async () => {
    const { key } = await createKey(gateway, { expiresAt: new Date(Date.now() - 1_000) });
    const body = await expectError(await chat(gateway, {}, key), 401, { code: "invalid_api_key" });
    expect(body.error.message).toMatch(/expired/);
  });

  it("through the official client and the typed SDK", async () => {
    await expect(openai("sk-wrong-key-000000000000").chat.completions.create({ model: "echo", messages: [user("hi")] })).rejects.toBeInstanceOf(
      OpenAIAuthError,
    );
    const client = sdk(gateway);
    await expect(client.chat.completions({ model: "echo", prompt: "hi" })).rejects.toBeInstanceOf(AuthenticationError);
    await expect(client.models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    const stream = client.chat.stream({ model: "echo", prompt: "hi" });
    await expect(stream.next()).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe("a valid key", () => {
  it("works as Bearer, as Azure's api-key header, and through both SDKs", async () => {
    const { key } = await createKey(gateway);
    expect((await chat(gateway, {}, key)).status).toBe(200);
    expect((await chat(gateway, {}, null, { "api-key": key })).status).toBe(200);
    const completion = await openai(key).chat.completions.create({ model: "echo", messages: [user("one two")] });
    expect(completion.choices[0]?.message.content).toBe("one two");
    const typed = await sdk(gateway, { apiKey: key }).chat.completions({ model: "echo", prompt: "three four" });
    expect(typed.choices[0]?.message.content).toBe("three four");
  });

  it("streams over tRPC: the key travels in connectionParams, and only that key may follow the generation", async () => {
    const a = await createKey(gateway);
    const b = await createKey(gateway);
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of sdk(gateway, { apiKey: a.key }).chat.stream({ model: "echo", prompt: "alpha beta gamma" })) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("alpha beta gamma");

    const { id } = await sdk(gateway, { apiKey: a.key }).trpc.chat.start.mutate({
      model: "echo",
      prompt: "slow words here",
      extra_body: { echo_delay_ms: 200 },
    });
    const other = sdk(gateway, { apiKey: b.key }).trpc;
    const error = await new Promise<unknown>((resolve) => {
      const sub = other.chat.stream.subscribe(
        { id },
        {
          onError: (err) => {
            sub.unsubscribe();
            resolve(err);
          },
          onData: () => resolve("data"),
          onComplete: () => resolve("complete"),
        },
      );
    });
    expect(error).toMatchObject({ data: { status: 404 } });
    // Nor may another key cancel it: the owner still gets every chunk.
    await other.chat.cancel.mutate({ id });
    const owner = sdk(gateway, { apiKey: a.key }).trpc;
    const words = await new Promise<string>((resolve, reject) => {
      let text = "";
      owner.chat.stream.subscribe(
        { id },
        { onData: (e) => (text += e.data.choices[0]?.delta.content ?? ""), onComplete: () => resolve(text), onError: reject },
      );
    });
    expect(words).toBe("slow words here");
  });

  it("sends x-ratelimit-* headers on success", async () => {
    const { key } = await createKey(gateway, { rpm: 100, tpm: 100_000 });
    const res = await chat(gateway, {}, key);
    expect(res.status).toBe(200);
    const headers = limitHeaders(res);
    expect(headers).toMatchObject({ "x-ratelimit-limit-requests": "100", "x-ratelimit-remaining-requests": "99", "x-ratelimit-limit-tokens": "100000" });
    expect(headers["x-ratelimit-reset-requests"]).toMatch(RESET);
    expect(Number(headers["x-ratelimit-remaining-tokens"])).toBeLessThan(100_000);
  });
});

describe("403 model not allowed", () => {
  it("on REST, with the official client, and on tRPC", async () => {
    const { key } = await createKey(gateway, { models: ["gpt-4o-mini"] });
    await expectError(await chat(gateway, {}, key), 403, { type: "invalid_request_error", code: "model_not_found", param: "model" });
    await expect(openai(key).chat.completions.create({ model: "echo", messages: [user("hi")] })).rejects.toBeInstanceOf(OpenAIPermissionError);
    await expect(sdk(gateway, { apiKey: key }).chat.completions({ model: "echo", prompt: "hi" })).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("and the model list shows only allowed models", async () => {
    const { key } = await createKey(gateway, { models: ["gpt-4o-mini"] });
    const list = await (await fetch(`${gateway.baseURL}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json();
    expect(list.data).toEqual([]);
    expect((await fetch(`${gateway.baseURL}/v1/models/echo`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(404);
    const open = await createKey(gateway, { models: ["ech*"] });
    expect((await sdk(gateway, { apiKey: open.key }).models.list()).data.map((m) => m.id)).toContain("echo");
  });
});

describe("429", () => {
  it("over RPM, with retry-after and the x-ratelimit-*-requests trio; refused requests do not count", async () => {
    const { key } = await createKey(gateway, { rpm: 2 });
    expect((await chat(gateway, {}, key)).status).toBe(200);
    expect((await chat(gateway, {}, key)).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await chat(gateway, {}, key);
      const headers = limitHeaders(res);
      await expectError(res, 429, { type: "requests", code: "rate_limit_exceeded" });
      expect(headers).toMatchObject({ "x-ratelimit-limit-requests": "2", "x-ratelimit-remaining-requests": "0" });
      expect(Number(headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(Number(headers["retry-after"])).toBeLessThanOrEqual(60);
      expect(headers["x-ratelimit-reset-requests"]).toMatch(RESET);
    }
    const err = await openai(key)
      .chat.completions.create({ model: "echo", messages: [user("hi")] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAIRateLimitError);
    const typed = await sdk(gateway, { apiKey: key })
      .chat.completions({ model: "echo", prompt: "hi" })
      .catch((e: unknown) => e);
    expect(typed).toBeInstanceOf(RateLimitError);
    expect((typed as RateLimitError).headers["x-ratelimit-limit-requests"]).toBe("2");
  });

  it("over TPM: the estimate is reserved, then settled with the actual usage", async () => {
    const { key } = await createKey(gateway, { tpm: 200 });
    const first = { model: "echo", messages: [user("one two three four five six seven eight nine ten")] };
    const res = await chat(gateway, first, key);
    expect(res.status).toBe(200);
    const used = (await res.json()).usage.total_tokens as number;
    const second = { model: "echo", messages: [user("eleven twelve")] };
    const res2 = await chat(gateway, second, key);
    expect(res2.status).toBe(200);
    // Settled: the window holds the first call's real usage plus the second call's estimate.
    expect(Number(res2.headers.get("x-ratelimit-remaining-tokens"))).toBe(200 - used - estimatePromptTokens(second));
    const big = { model: "echo", messages: [user("word ".repeat(300))] };
    const refused = await chat(gateway, big, key);
    const headers = limitHeaders(refused);
    await expectError(refused, 429, { type: "tokens", code: "rate_limit_exceeded" });
    expect(headers).toMatchObject({ "x-ratelimit-limit-tokens": "200" });
    expect(headers["retry-after"]).toBeDefined();
    expect(headers["x-ratelimit-reset-tokens"]).toMatch(RESET);
    expect(Number(headers["x-ratelimit-remaining-tokens"])).toBeLessThan(200);
  });

  it("over a token budget: insufficient_quota", async () => {
    // Issue 7: a call reserves its worst case (prompt + max_tokens × n), so a budget is never overrun.
    const { key } = await createKey(gateway, { budgetTokens: 40 });
    const res = await chat(gateway, { messages: [user("one two three four five six")], max_tokens: 10 }, key);
    expect(res.status).toBe(200);
    await expectError(await chat(gateway, { max_tokens: 30 }, key), 429, { type: "insufficient_quota", code: "insufficient_quota" });
    const typed = await sdk(gateway, { apiKey: key })
      .chat.completions({ model: "echo", prompt: "hi" })
      .catch((e: unknown) => e);
    expect(typed).toBeInstanceOf(InsufficientQuotaError);
  });

  it("over a spend budget, priced from the config", async () => {
    const { key, id } = await createKey(gateway, { budgetUsd: 20 });
    expect((await chat(gateway, { messages: [user("one two three")], max_tokens: 5 }, key)).status).toBe(200);
    await expectError(await chat(gateway, { max_tokens: 10 }, key), 429, { code: "insufficient_quota" });
    const report = await adminClient(gateway).usage.query.query({ keyId: id });
    expect(report.totals.costUsd).toBe(6); // 3 prompt + 3 completion tokens at $1 each
    const [record] = (await adminClient(gateway).keys.list.query()).filter((k) => k.id === id);
    expect(record?.spentUsd).toBe(6);
  });
});

describe("admin", () => {
  it("keys.* and usage.* need the master key; a key is listed without its hash", async () => {
    const { key, id } = await createKey(gateway, { name: "frontend", models: ["echo"], rpm: 10 });
    await expect(sdk(gateway, { apiKey: key }).trpc.keys.list.query()).rejects.toMatchObject({ data: { code: "FORBIDDEN", status: 403 } });
    await expect(sdk(gateway).trpc.usage.query.query({})).rejects.toMatchObject({ data: { code: "UNAUTHORIZED", status: 401 } });
    const listed = (await adminClient(gateway).keys.list.query()).find((k) => k.id === id);
    expect(listed).toMatchObject({ name: "frontend", models: ["echo"], rpm: 10, tpm: null, revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(listed).not.toHaveProperty("hash");
    const updated = await adminClient(gateway).keys.update.mutate({ id, patch: { rpm: 1, name: null } });
    expect(updated).toMatchObject({ rpm: 1, name: null, models: ["echo"] });
    await expect(adminClient(gateway).keys.revoke.mutate({ id: "000000000000" })).rejects.toMatchObject({ data: { status: 404 } });
  });

  it("deployment health is for the master key only", async () => {
    const { key } = await createKey(gateway);
    const get = (k?: string) => fetch(`${gateway.baseURL}/languru/deployments`, { headers: k ? { authorization: `Bearer ${k}` } : {} });
    expect((await get()).status).toBe(401);
    expect((await get(key)).status).toBe(403);
    expect((await get(MASTER_KEY)).status).toBe(200);
    await expect(sdk(gateway, { apiKey: key }).trpc.models.deployments.query()).rejects.toMatchObject({ data: { status: 403 } });
    expect((await adminClient(gateway).models.deployments.query()).object).toBe("list");
  });
});

describe("usage ledger", () => {
  it("strips the usage it asked the upstream for unless the client asked too", async () => {
    const { key, id } = await createKey(gateway);
    const read = async (body: Record<string, unknown>) => {
      const text = await (await chat(gateway, { stream: true, ...body }, key)).text();
      return text
        .split("\n\n")
        .filter((f) => f.startsWith("data: {"))
        .map((f) => JSON.parse(f.slice(6)) as Record<string, unknown>);
    };
    const plain = await read({ messages: [user("a b c")] });
    for (const chunk of plain) {
      expectSpec("CreateChatCompletionStreamResponse", chunk);
      expect(chunk).not.toHaveProperty("usage");
    }
    const withUsage = await read({ messages: [user("a b c")], stream_options: { include_usage: true } });
    expect(withUsage.at(-1)?.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
    const report = await adminClient(gateway).usage.query.query({ keyId: id });
    expect(report.totals).toMatchObject({ requests: 2, promptTokens: 6, completionTokens: 6, totalTokens: 12 });
    const row = report.rows[0]!;
    expect(row).toMatchObject({ keyId: id, model: "echo", deployment: "languru/echo", status: 200, errorType: null, stream: true });
    expect(row.ttftMs).not.toBeNull();
  });

  it("records failures with their status and error type", async () => {
    const { key, id } = await createKey(gateway);
    const res = await chat(gateway, { model: "no-such-model" }, key);
    expect(res.status).toBe(404);
    const report = await adminClient(gateway).usage.query.query({ keyId: id });
    expect(report.rows[0]).toMatchObject({ status: 404, errorType: "invalid_request_error", promptTokens: 0, completionTokens: 0, deployment: null });
  });

  it("totals equal the usage clients received, exactly, under concurrent load", async () => {
    const { key, id } = await createKey(gateway);
    const client = sdk(gateway, { apiKey: key });
    const api = openai(key);
    const text = (i: number) => Array.from({ length: 1 + (i % 7) }, (_, j) => `w${i}x${j}`).join(" ");
    const calls = Array.from({ length: 48 }, async (_, i) => {
      const messages = [user(text(i))];
      switch (i % 4) {
        case 0:
          return (await api.chat.completions.create({ model: "echo", messages, n: 1 + (i % 3) })).usage!;
        case 1: {
          let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
          const stream = await api.chat.completions.create({ model: "echo", messages, stream: true, stream_options: { include_usage: true } });
          for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
          return usage!;
        }
        case 2:
          return (await client.chat.completions({ model: "echo", messages })).usage!;
        default: {
          let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
          for await (const chunk of client.chat.stream({ model: "echo", messages, stream_options: { include_usage: true } }))
            if (chunk.usage) usage = chunk.usage;
          return usage!;
        }
      }
    });
    const received = await Promise.all(calls);
    const prompt = received.reduce((s, u) => s + u.prompt_tokens, 0);
    const completion = received.reduce((s, u) => s + u.completion_tokens, 0);
    const report = await adminClient(gateway).usage.query.query({ keyId: id });
    expect(report.totals).toEqual({
      requests: 48,
      promptTokens: prompt,
      completionTokens: completion,
      totalTokens: prompt + completion,
      costUsd: prompt + completion,
    });
    const [record] = (await adminClient(gateway).keys.list.query()).filter((k) => k.id === id);
    expect(record?.spentTokens).toBe(prompt + completion);
    const byModel = await adminClient(gateway).usage.query.query({
      keyId: id,
      model: "echo",
      from: new Date(Date.now() - 60_000),
      to: new Date(Date.now() + 1_000),
      limit: 5,
    });
    expect(byModel.rows).toHaveLength(5);
    expect(byModel.totals.requests).toBe(48);
    expect((await adminClient(gateway).usage.query.query({ keyId: id, from: new Date(Date.now() + 60_000) })).totals.requests).toBe(0);
  });
});

describe("the store", () => {
  it("never holds a raw key: the SQLite file has the id and hash only", async () => {
    const { key, id } = await createKey(gateway);
    expect((await chat(gateway, {}, key)).status).toBe(200);
    await adminClient(gateway).usage.query.query({});
    const bytes = readdirSync(tmp.dir)
      .filter((f) => f.startsWith("languru.db"))
      .map((f) => readFileSync(path.join(tmp.dir, f)).toString("latin1"))
      .join("");
    expect(bytes).toContain(id);
    expect(bytes).not.toContain(key);
    expect(bytes).not.toContain(key.slice(key.indexOf("_") + 1));
  });
});
