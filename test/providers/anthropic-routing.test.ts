/**
 * `kind: "anthropic"` gets what every provider gets from routing: each Anthropic error type as the
 * right status (529 a retryable 503, `retry-after` and `anthropic-ratelimit-*` honoured), an error
 * event before the first chunk as an HTTP error and after it as an error frame, abort closing the
 * upstream connection, a fallback from a Claude model to an OpenAI-compatible one, keys metering
 * Claude's usage (cache tokens included) and reserving its default `max_tokens`, the quick path
 * (`ANTHROPIC_API_KEY`), and hostile event shapes and counts that cannot hurt the gateway.
 */
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type Config, type ModelSettings } from "../../server/config.js";
import { ERROR_TYPES, errorBody, message, textMessage, textStream } from "../fixtures/anthropic/messages.js";
import { adminClient, chat, createKey, startKeyedGateway } from "../helpers/access.js";
import { answerEvents, answerMessage, fail, startFakeAnthropic, type FakeAnthropic } from "../helpers/fake-anthropic.js";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";

const KEY = "sk-ant-api03-routing-key-0123456789";

let fake: FakeAnthropic;
let openaiUpstream: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  openaiUpstream = await startFakeUpstream();
});
afterAll(async () => {
  await fake.close();
  await openaiUpstream.close();
});
beforeEach(() => {
  fake.reset();
  openaiUpstream.reset();
});

function model(name: string, provider: string, upstream: string, extra: Partial<ModelSettings> = {}): ModelSettings {
  return {
    name,
    aliases: [],
    deployments: [{ provider, model: upstream, weight: 1 }],
    strategy: "weighted",
    fallbacks: [],
    contextWindowFallbacks: [],
    ...extra,
  };
}

/** A gateway with one Anthropic provider (`claude`) and one OpenAI-compatible one (`openai`), `attempts` tries per model. */
function gatewayWith(attempts: number, extra: Partial<Config> = {}, models: ModelSettings[] = []): Promise<TestGateway> {
  const { routing } = loadConfig({});
  return startGateway({
    // No cooldown: these tests fail the one deployment on purpose, many times.
    routing: { ...routing, retry: { ...routing.retry, attempts, baseDelayMs: 10, maxDelayMs: 20 }, cooldown: { failures: 1_000, cooldownMs: 0 } },
    providers: [
      upstreamProvider(fake.baseURL, ["claude-sonnet-5-5"], { name: "claude", kind: "anthropic", apiKey: KEY }),
      upstreamProvider(openaiUpstream.baseURL, ["gpt-backup"], { name: "openai" }),
    ],
    models,
    ...extra,
  });
}

function post(gateway: TestGateway, body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
  return fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-5-5", messages: [{ role: "user", content: "hi" }], ...body }),
    signal: signal ?? AbortSignal.timeout(10_000),
  });
}

/** The `data:` payloads of an SSE body, `[DONE]` included. */
async function frames(res: Response): Promise<string[]> {
  return (await res.text())
    .split("\n\n")
    .filter((event) => event.startsWith("data: "))
    .map((event) => event.slice("data: ".length));
}

describe("each Anthropic error type becomes the right status", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await gatewayWith(1);
  });
  afterAll(() => gateway.close(100));

  const EXPECTED: Record<number, number> = { 400: 400, 401: 401, 403: 403, 404: 404, 413: 413, 429: 429, 500: 502, 529: 503 };

  for (const { status, type } of ERROR_TYPES) {
    for (const stream of [false, true]) {
      it(`${status} ${type}${stream ? ", streamed" : ""}`, async () => {
        fake.script(fail(status, type, `${type} details from cluster anthropic-prod-7`, status === 429 ? { "retry-after": "7" } : {}));
        const res = await post(gateway, { stream });
        expect(res.status).toBe(EXPECTED[status]);
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        const body = (await res.json()) as { error: { message: string; type: string; code: string | null } };
        if (status < 500) {
          expect(body.error.message).toBe(`${type} details from cluster anthropic-prod-7`);
          expect(body.error.type).toBe(type);
        } else {
          // A 5xx body is logged, never relayed.
          expect(body.error.message).not.toContain("anthropic-prod-7");
        }
        if (status === 429) expect(res.headers.get("retry-after")).toBe("7");
        if (status === 529) expect(body.error.code).toBe("upstream_overloaded");
      });
    }
  }
});

describe("errors inside a stream", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await gatewayWith(2);
  });
  afterAll(() => gateway.close(100));

  const start = textStream([]).slice(0, 2);
  const overloaded = { ...errorBody("overloaded_error", "Overloaded") };

  it("an error event before any output is an HTTP error (503 for overloaded), not a 200 with an error frame", async () => {
    fake.script(answerEvents([...start, overloaded]), answerEvents([...start, overloaded]));
    const res = await post(gateway, { stream: true });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("overloaded_error");
    expect(fake.messageCalls()).toHaveLength(2);
  });

  it("is retried: an overloaded first try, then a stream that works", async () => {
    fake.script(answerEvents([...start, overloaded]), answerEvents(textStream(["fine"])));
    const res = await post(gateway, { stream: true });
    expect(res.status).toBe(200);
    const data = await frames(res);
    expect(data.at(-1)).toBe("[DONE]");
    expect(data.some((d) => d.includes('"content":"fine"'))).toBe(true);
  });

  it("an error event after output: the chunks so far, one error frame relaying Anthropic's type, then [DONE]", async () => {
    const events = textStream(["partial "]);
    fake.script(answerEvents([...events.slice(0, 4), { ...errorBody("api_error", "Internal server error") }]));
    const res = await post(gateway, { stream: true });
    expect(res.status).toBe(200);
    const data = await frames(res);
    expect(data.at(-1)).toBe("[DONE]");
    expect(data.some((d) => d.includes('"content":"partial "'))).toBe(true);
    const error = JSON.parse(data.at(-2) as string) as { error: { type: string } };
    expect(error.error.type).toBe("api_error");
  });

  it("a stream cut before message_stop ends with an error frame, never as if complete", async () => {
    fake.script(answerEvents(textStream(["a", "b"]).slice(0, 5)));
    const res = await post(gateway, { stream: true });
    const data = await frames(res);
    expect(data.at(-1)).toBe("[DONE]");
    expect(JSON.parse(data.at(-2) as string)).toHaveProperty("error");
  });
});

describe("rate limits", () => {
  it("a 429 with only anthropic-ratelimit-* headers: retry-after derived from the exhausted limit's reset, and the retry waits for it", async () => {
    const gateway = await gatewayWith(2);
    try {
      const resetAt = new Date(Date.now() + 1_000).toISOString();
      fake.script(
        fail(429, "rate_limit_error", "Number of requests has exceeded your per-minute rate limit", {
          "anthropic-ratelimit-requests-limit": "50",
          "anthropic-ratelimit-requests-remaining": "0",
          "anthropic-ratelimit-requests-reset": resetAt,
          "anthropic-ratelimit-tokens-remaining": "90000",
          "anthropic-ratelimit-tokens-reset": new Date(Date.now() + 30_000).toISOString(),
        }),
        answerMessage(textMessage, { "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49" }),
      );
      const started = Date.now();
      const res = await post(gateway, {});
      expect(res.status).toBe(200);
      // Backoff alone would be 10-20 ms here; the reset was ~1 s away.
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      // Anthropic's limits reach the client under OpenAI's names.
      expect(res.headers.get("x-ratelimit-limit-requests")).toBe("50");
      expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("49");
      expect(res.headers.get("x-upstream-request-id")).toBe("req_fake");
    } finally {
      await gateway.close(100);
    }
  });

  it("relays the derived retry-after on a 429 that is not retried", async () => {
    const gateway = await gatewayWith(1);
    try {
      fake.script(
        fail(429, "rate_limit_error", "slow down", {
          "anthropic-ratelimit-input-tokens-remaining": "0",
          "anthropic-ratelimit-input-tokens-reset": new Date(Date.now() + 5_000).toISOString(),
        }),
      );
      const res = await post(gateway, {});
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(4);
    } finally {
      await gateway.close(100);
    }
  });
});

describe("abort", () => {
  it("a client leaving a stream mid-way closes the upstream connection", async () => {
    const gateway = await gatewayWith(1);
    try {
      fake.script(answerEvents(textStream(["one ", "two ", "three"]), { hangAfter: 4 }));
      const controller = new AbortController();
      const res = await post(gateway, { stream: true }, controller.signal);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      controller.abort();
      const call = fake.messageCalls()[0];
      expect(await Promise.race([call?.ended, new Promise((r) => setTimeout(() => r("still open"), 3_000))])).toBe("aborted");
    } finally {
      await gateway.close(100);
    }
  });

  it("a client leaving a whole completion closes the upstream connection", async () => {
    const gateway = await gatewayWith(1);
    try {
      fake.script(async (_res, signal) => void (await new Promise((r) => signal.addEventListener("abort", r, { once: true }))));
      const controller = new AbortController();
      const pending = post(gateway, {}, controller.signal).catch(() => undefined);
      while (fake.messageCalls().length === 0) await new Promise((r) => setTimeout(r, 10));
      controller.abort();
      await pending;
      const call = fake.messageCalls()[0];
      expect(await Promise.race([call?.ended, new Promise((r) => setTimeout(() => r("still open"), 3_000))])).toBe("aborted");
    } finally {
      await gateway.close(100);
    }
  });
});

describe("fallback across kinds", () => {
  it("a Claude model that is overloaded falls back to an OpenAI-compatible model, streamed and not", async () => {
    const models = [model("assistant", "claude", "claude-sonnet-5-5", { fallbacks: ["backup"] }), model("backup", "openai", "gpt-backup")];
    const gateway = await gatewayWith(1, {}, models);
    try {
      fake.otherwise(fail(529, "overloaded_error", "Overloaded"));
      const client = new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
      const whole = await client.chat.completions.create({ model: "assistant", messages: [{ role: "user", content: "hello there" }] }).withResponse();
      expect(whole.response.headers.get("x-languru-model")).toBe("backup");
      expect(whole.data.choices[0]?.message.content).toBeTruthy();
      const stream = await client.chat.completions.create({ model: "assistant", messages: [{ role: "user", content: "hello there" }], stream: true });
      let chunks = 0;
      for await (const _ of stream) chunks++;
      expect(chunks).toBeGreaterThan(0);
      expect(fake.messageCalls()).toHaveLength(2);
      expect(openaiUpstream.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(2);
    } finally {
      await gateway.close(100);
    }
  });
});

describe("keys on", () => {
  it("meters Claude's usage (cache reads and writes are prompt tokens) into the ledger, streamed and not", async () => {
    const gateway = await startKeyedGateway(
      {},
      { providers: [upstreamProvider(fake.baseURL, ["claude-sonnet-5-5"], { name: "claude", kind: "anthropic", apiKey: KEY })] },
    );
    try {
      const { key, id } = await createKey(gateway, {});
      fake.script(answerMessage(textMessage), answerEvents(textStream(["x"])));
      expect((await chat(gateway, { model: "claude-sonnet-5-5" }, key)).status).toBe(200);
      const streamed = await chat(gateway, { model: "claude-sonnet-5-5", stream: true }, key);
      const data = await frames(streamed);
      // The client did not ask for usage: the usage chunk metering asked for is not relayed.
      expect(data.some((d) => d.includes('"usage"'))).toBe(false);
      await new Promise((r) => setTimeout(r, 200));
      const { totals } = await adminClient(gateway).usage.query.query({ keyId: id });
      // 20 + 1,000 + 200 prompt and 9 completion; then 125 prompt and 15 completion.
      expect(totals.promptTokens).toBe(1_220 + 125);
      expect(totals.completionTokens).toBe(9 + 15);
    } finally {
      await gateway.close(100);
    }
  });

  it("the quick path: ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, ANTHROPIC_MODELS; a request without max_tokens sends LANGURU_RESERVE_TOKENS, the budget's reservation", async () => {
    const config = loadConfig({
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: fake.baseURL,
      ANTHROPIC_MODELS: "claude-haiku-5-5",
      LANGURU_RESERVE_TOKENS: "1000",
    });
    const anthropic = config.providers.find((p) => p.name === "anthropic");
    expect(anthropic).toMatchObject({ kind: "anthropic", baseURL: fake.baseURL, models: ["claude-haiku-5-5"], defaultMaxTokens: 1000 });
    const gateway = await startKeyedGateway({ budgetOutputTokens: 1000 }, { providers: config.providers });
    try {
      // 1,000 output tokens reserved: a budget of 500 cannot hold the call, and Anthropic is never asked.
      const small = await createKey(gateway, { budgetTokens: 500 });
      expect((await chat(gateway, { model: "claude-haiku-5-5" }, small.key)).status).toBe(429);
      expect(fake.messageCalls()).toHaveLength(0);
      const big = await createKey(gateway, { budgetTokens: 5_000 });
      expect((await chat(gateway, { model: "claude-haiku-5-5" }, big.key)).status).toBe(200);
      expect(fake.messageCalls()[0]?.body.max_tokens).toBe(1000);
      expect(fake.messageCalls()[0]?.headers["x-api-key"]).toBe(KEY);
    } finally {
      await gateway.close(100);
    }
  });
});

describe("hostile answers", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await gatewayWith(1);
  });
  afterAll(() => gateway.close(100));

  it("usage that is not made of counts is no usage: the client gets none rather than garbage", async () => {
    fake.script(answerMessage(message([{ type: "text", text: "x", citations: null }], { usage: { input_tokens: -1e9, output_tokens: "9" } as never })));
    const res = await post(gateway, {});
    expect(res.status).toBe(200);
    expect((await res.json()) as Record<string, unknown>).not.toHaveProperty("usage");
  });

  it("events of odd shapes are skipped; the stream still completes", async () => {
    const odd = [
      { type: "message_start", message: 5 },
      { type: "content_block_start", index: "zero", content_block: null },
      { type: "content_block_delta", index: 0, delta: null },
      { type: "content_block_delta", index: 99, delta: { type: "input_json_delta", partial_json: "{" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: 42 } },
      { type: "brand_new_event", payload: {} },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "ok" } },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 9.5 } },
      { type: "message_stop" },
    ];
    fake.script(answerEvents(odd));
    const res = await post(gateway, { stream: true, stream_options: { include_usage: true } });
    const data = await frames(res);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data
      .slice(0, -1)
      .map((d) => JSON.parse(d) as { choices: Array<{ delta: { content?: string }; finish_reason: string | null }>; usage?: unknown; error?: unknown });
    expect(chunks.some((c) => c.error)).toBe(false);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("ok");
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  it("a stream opening more content blocks than any reply has ends with an error frame, its state bounded", async () => {
    const many = Array.from({ length: 10_001 }, (_, index) => ({ type: "content_block_start", index, content_block: { type: "text", text: "" } }));
    fake.script(answerEvents([...textStream(["before"]).slice(0, 4), ...many, { type: "message_stop" }]));
    const res = await post(gateway, { stream: true });
    const data = await frames(res);
    expect(data.at(-1)).toBe("[DONE]");
    expect(JSON.parse(data.at(-2) as string)).toHaveProperty("error");
  });
});

afterEach(() => undefined);
