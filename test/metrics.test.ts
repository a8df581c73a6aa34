/**
 * `/metrics` over a real socket, read with a Prometheus text-format parser: counters move by exactly
 * the requests sent, retries/fallbacks/upstream errors/cooldowns follow a misbehaving upstream,
 * gauges show open streams, labels stay bounded, and with keys on only the master key or the
 * metrics token may read it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type ModelSettings } from "../server/config.js";
import { MASTER_KEY, createKey, startKeyedGateway } from "./helpers/access.js";
import { fail, startFakeUpstream, type FakeUpstream } from "./helpers/fake-upstream.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";
import { scrape } from "./helpers/prometheus.js";

const METRICS_TOKEN = "metrics-token-0123456789";

function post(gateway: TestGateway, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "echo", messages: [{ role: "user", content: "one two three" }], ...body }),
  });
}

describe("metrics with keys off", () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  beforeAll(async () => {
    upstream = await startFakeUpstream({ models: ["real-model"] });
    const primary: ModelSettings = {
      name: "primary",
      aliases: ["prim"],
      deployments: [{ provider: "fake", model: "real-model", weight: 1 }],
      strategy: "weighted",
      fallbacks: ["echo"],
      contextWindowFallbacks: [],
      retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 5 },
    };
    const base = loadConfig({});
    gateway = await startGateway({
      providers: [upstreamProvider(upstream.baseURL, [])],
      models: [primary],
      routing: { ...base.routing, cooldown: { failures: 2, cooldownMs: 60_000 } },
    });
  });
  afterAll(async () => {
    await gateway?.close(100);
    await upstream?.close();
  });

  it("exposes the default process metrics and every languru family, in Prometheus' format", async () => {
    const metrics = await scrape(gateway.baseURL);
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds"]) {
      expect(metrics.family(name), name).toBeDefined();
    }
    for (const name of [
      "languru_requests_total",
      "languru_request_duration_seconds",
      "languru_time_to_first_token_seconds",
      "languru_gateway_overhead_seconds",
      "languru_prompt_tokens_total",
      "languru_completion_tokens_total",
      "languru_upstream_errors_total",
      "languru_retries_total",
      "languru_fallbacks_total",
      "languru_cooldowns_total",
      "languru_streams_in_flight",
      "languru_generations_in_flight",
      "languru_deployment_cooling",
    ]) {
      expect(metrics.family(name), name).toBeDefined();
    }
    // No store and no Redis configured: their gauges are absent, not a misleading 0.
    expect(metrics.family("languru_store_up")).toBeUndefined();
    expect(metrics.family("languru_redis_up")).toBeUndefined();
  });

  it("counts exactly the requests sent, by door, model and status, with their tokens and latencies", async () => {
    const before = await scrape(gateway.baseURL);
    for (let i = 0; i < 5; i++) expect((await post(gateway, {})).status).toBe(200);
    for (let i = 0; i < 2; i++) await (await post(gateway, { stream: true, stream_options: { include_usage: true } })).text();
    expect((await post(gateway, { model: "made-up-model-name-xyz" })).status).toBe(404);
    const client = sdk(gateway);
    for (let i = 0; i < 3; i++) await client.chat.completions({ model: "echo", messages: [{ role: "user", content: "four five" }] });
    const after = await scrape(gateway.baseURL);
    const delta = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);

    expect(delta("languru_requests_total", { door: "rest", model: "echo", status: "200" })).toBe(7);
    expect(delta("languru_requests_total", { door: "rest", model: "unknown", status: "404" })).toBe(1);
    expect(delta("languru_requests_total", { door: "trpc", model: "echo", status: "200" })).toBe(3);
    // The client's made-up name never becomes a label.
    expect(after.families.flatMap((f) => f.metrics.map((m) => JSON.stringify(m.labels ?? {}))).join()).not.toContain("made-up");
    expect(delta("languru_request_duration_seconds", { door: "rest", model: "echo" })).toBe(7);
    expect(delta("languru_time_to_first_token_seconds", { door: "rest", model: "echo" })).toBe(2);
    expect(delta("languru_gateway_overhead_seconds", { door: "rest" })).toBe(7);
    expect(delta("languru_gateway_overhead_seconds", { door: "trpc" })).toBe(3);
    // 7 REST calls of 3 words, 3 tRPC calls of 2: echo counts words.
    expect(delta("languru_prompt_tokens_total", { model: "echo" })).toBe(7 * 3 + 3 * 2);
    expect(delta("languru_completion_tokens_total", { model: "echo" })).toBe(7 * 3 + 3 * 2);
    expect(delta("languru_retries_total")).toBe(0);
  });

  it("counts an upstream's 4xx as a client_error kind, with no retry and no cooldown", async () => {
    const before = await scrape(gateway.baseURL);
    upstream.script(fail(400, "bad parameter"));
    expect((await post(gateway, { model: "primary" })).status).toBe(400);
    const after = await scrape(gateway.baseURL);
    const delta = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);
    expect(delta("languru_upstream_errors_total", { deployment: "fake/real-model", kind: "client_error" })).toBe(1);
    expect(delta("languru_requests_total", { door: "rest", model: "primary", status: "400" })).toBe(1);
    expect(delta("languru_retries_total")).toBe(0);
    expect(delta("languru_cooldowns_total")).toBe(0);
  });

  it("counts upstream errors by kind, retries, the cooldown and the fallback that answered", async () => {
    const before = await scrape(gateway.baseURL);
    upstream.script(fail(500, "boom"), fail(500, "boom again"));
    const res = await post(gateway, { model: "prim" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-languru-model")).toBe("echo");
    expect(res.headers.get("x-languru-attempts")).toBe("3");
    const after = await scrape(gateway.baseURL);
    const delta = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);
    expect(delta("languru_upstream_errors_total", { deployment: "fake/real-model", kind: "server_error" })).toBe(2);
    expect(delta("languru_retries_total", { model: "primary" })).toBe(2);
    expect(delta("languru_fallbacks_total", { model: "primary" })).toBe(1);
    expect(delta("languru_cooldowns_total", { deployment: "fake/real-model" })).toBe(1);
    expect(after.value("languru_deployment_cooling", { deployment: "fake/real-model" })).toBe(1);
    // An alias is the same model: a request for it answered by it is no fallback.
    expect(delta("languru_requests_total", { door: "rest", model: "primary", status: "200" })).toBe(1);
  });

  it("shows streams and generations in flight while they run", async () => {
    const controller = new AbortController();
    const res = await post(gateway, { stream: true, echo_delay_ms: 300, messages: [{ role: "user", content: "a b c d e f g h" }] }, {});
    const reader = res.body!.getReader();
    await reader.read();
    const during = await scrape(gateway.baseURL);
    expect(during.value("languru_streams_in_flight", { door: "rest" })).toBe(1);

    const client = sdk(gateway);
    const generation = client.chat.stream(
      { model: "echo", messages: [{ role: "user", content: "x y z w" }], extra_body: { echo_delay_ms: 300 } },
      { signal: controller.signal },
    );
    await generation.next();
    const following = await scrape(gateway.baseURL);
    expect(following.value("languru_generations_in_flight")).toBe(1);
    expect(following.value("languru_streams_in_flight", { door: "trpc" })).toBe(1);

    controller.abort();
    await generation.return(undefined).catch(() => undefined);
    await reader.cancel();
    await expect
      .poll(
        async () => {
          const now = await scrape(gateway.baseURL);
          return now.value("languru_streams_in_flight") + now.value("languru_generations_in_flight");
        },
        { timeout: 15_000 },
      )
      .toBe(0);
  });
});

describe("metrics access", () => {
  const gateways: TestGateway[] = [];
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.close(100)));
  });

  it("with keys on: the master key or the metrics token, never an app key", async () => {
    const base = loadConfig({ LANGURU_METRICS_TOKEN: METRICS_TOKEN });
    const gateway = await startKeyedGateway({}, { observability: base.observability });
    gateways.push(gateway);
    const { key } = await createKey(gateway);
    const status = async (headers: Record<string, string>) => (await fetch(`${gateway.baseURL}/metrics`, { headers })).status;
    expect(await status({})).toBe(401);
    expect(await status({ authorization: `Bearer ${key}` })).toBe(403);
    expect(await status({ authorization: "Bearer wrong-token-000000000000" })).toBe(403);
    expect(await status({ authorization: `Bearer ${MASTER_KEY}` })).toBe(200);
    expect(await status({ authorization: `Bearer ${METRICS_TOKEN}` })).toBe(200);
    const metrics = await scrape(gateway.baseURL, { authorization: `Bearer ${METRICS_TOKEN}` });
    // A store is configured now (SQLite): its gauge is there and up.
    expect(metrics.value("languru_store_up")).toBe(1);
  });

  it("with keys off, a metrics token makes /metrics need it", async () => {
    const base = loadConfig({ LANGURU_METRICS_TOKEN: METRICS_TOKEN });
    const gateway = await startGateway({ observability: base.observability });
    gateways.push(gateway);
    expect((await fetch(`${gateway.baseURL}/metrics`)).status).toBe(401);
    expect((await fetch(`${gateway.baseURL}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
  });
});
