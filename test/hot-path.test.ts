/**
 * The attempt pipeline's promises over real sockets: a caller's unserializable input is its own 400
 * and cools nothing down; a 200 that is not an event stream is a 502; a deployment back from
 * cooldown lets exactly one probe through; a reload keeps in-flight counts and cooldown state; an
 * aborted upstream stream leaves no socket open; 1,000 concurrent streams complete through REST and
 * the SDK (both transports); a buffered generation costs about its wire bytes.
 */
import { Agent, request } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, type Config, type ModelSettings } from "../server/config.js";
import { delayed, fail, ok, raw, startFakeUpstream, stream, type FakeUpstream } from "./helpers/fake-upstream.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";

const base = loadConfig({});
const opened: Array<{ gateway: TestGateway; upstream: FakeUpstream }> = [];

afterEach(async () => {
  for (const { gateway, upstream } of opened.splice(0)) {
    await gateway.close(200);
    await upstream.close();
  }
});

function model(name: string, upstreamModel: string, extra: Partial<ModelSettings> = {}): ModelSettings {
  return {
    name,
    aliases: [],
    deployments: [{ provider: "up", model: upstreamModel, weight: 1 }],
    strategy: "weighted",
    fallbacks: [],
    contextWindowFallbacks: [],
    ...extra,
  };
}

async function setup(cooldown: Partial<Config["routing"]["cooldown"]> = {}, retry: Partial<Config["routing"]["retry"]> = {}) {
  const upstream = await startFakeUpstream();
  const config: Partial<Config> = {
    providers: [upstreamProvider(upstream.baseURL, [], { name: "up", timeoutMs: 10_000 })],
    models: [model("m", "x")],
    routing: {
      ...base.routing,
      retry: { ...base.routing.retry, baseDelayMs: 10, maxDelayMs: 20, ...retry },
      cooldown: { ...base.routing.cooldown, ...cooldown },
    },
  };
  const gateway = await startGateway(config);
  opened.push({ gateway, upstream });
  return { gateway, upstream, config };
}

function post(gateway: TestGateway, body: string | Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
  return fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body }),
    signal: signal ?? AbortSignal.timeout(10_000),
  });
}

interface DeploymentRow {
  id: string;
  state: string;
  inFlight: number;
  consecutiveFailures: number;
}

async function deployments(gateway: TestGateway): Promise<DeploymentRow[]> {
  return ((await (await fetch(`${gateway.baseURL}/languru/deployments`)).json()) as { data: DeploymentRow[] }).data;
}

describe("a caller's unserializable input is its own 400 and touches nothing", () => {
  it("REST: a 5,000-deep array in an unknown field", async () => {
    const { gateway, upstream } = await setup({ failures: 1 });
    const deep = `${"[".repeat(5_000)}${"]".repeat(5_000)}`;
    const body = `{"model":"m","messages":[{"role":"user","content":"hi"}],"x_vendor":${deep}}`;
    for (let i = 0; i < 3; i++) {
      const res = await post(gateway, body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    }
    expect(upstream.calls).toHaveLength(0);
    expect((await deployments(gateway)).find((d) => d.id === "up/x")).toMatchObject({ state: "healthy", consecutiveFailures: 0 });
    expect((await post(gateway, {})).status).toBe(200);
  });

  it.each([
    ["a BigInt", { json: { model: "m", prompt: "hi", x: "1" }, meta: { values: { x: ["bigint"] } } }],
    ["a circular value", { json: { model: "m", prompt: "hi", x: { self: null } }, meta: { referentialEqualities: { x: ["x.self"] } } }],
  ])("tRPC: %s made by superjson meta", async (_name, input) => {
    const { gateway, upstream } = await setup({ failures: 1 });
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gateway.baseURL}/trpc/chat.completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(input),
      });
      expect(res.status).toBe(400);
    }
    expect(upstream.calls).toHaveLength(0);
    expect((await deployments(gateway)).find((d) => d.id === "up/x")).toMatchObject({ state: "healthy", consecutiveFailures: 0 });
    expect((await post(gateway, {})).status).toBe(200);
  });

  it("an upstream 400 does not count toward cooldown either", async () => {
    const { gateway, upstream } = await setup({ failures: 1 });
    upstream.script(fail(400, "bad temperature", { param: "temperature" }), fail(400, "bad temperature", { param: "temperature" }));
    expect((await post(gateway, {})).status).toBe(400);
    expect((await post(gateway, {})).status).toBe(400);
    expect((await post(gateway, {})).status).toBe(200);
  });
});

describe("the upstream's own JSON text is passed on", () => {
  const chunk = (content: string, finish: string | null = null) =>
    `{ "id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "x", "choices": [ { "index": 0, "delta": { "content": ${JSON.stringify(content)} }, "finish_reason": ${JSON.stringify(finish)} } ] }`;

  it("REST streams carry each chunk's bytes as the upstream wrote them; an event spanning lines is reframed on one line", async () => {
    const { gateway, upstream } = await setup({}, { attempts: 1 });
    // The second event's JSON spans three data lines (SSE joins them with newlines).
    const multiLine = `data: {\ndata:   "id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "x",\ndata:   "choices": [{ "index": 0, "delta": { "content": " world" }, "finish_reason": null }] }\n\n`;
    upstream.otherwise(
      raw(200, `data: ${chunk("hello")}\n\n${multiLine}data: ${chunk("", "stop")}\n\ndata: [DONE]\n\n`, { "content-type": "text/event-stream" }),
    );
    const res = await post(gateway, { stream: true });
    expect(res.status).toBe(200);
    const frames = (await res.text()).split("\n\n").filter((f) => f !== "");
    expect(frames).toHaveLength(4);
    for (const frame of frames) expect(frame).toMatch(/^data: [^\n]+$/);
    expect(frames[0]).toBe(`data: ${chunk("hello")}`);
    expect(JSON.parse(frames[1]!.slice(6))).toMatchObject({ choices: [{ delta: { content: " world" } }] });
    expect(frames[2]).toBe(`data: ${chunk("", "stop")}`);
    expect(frames[3]).toBe("data: [DONE]");
  });

  it("a whole completion's body is the upstream's text (without the newline most servers end it with)", async () => {
    const { gateway, upstream } = await setup({}, { attempts: 1 });
    const body = `{ "id": "x1", "object": "chat.completion", "created": 1, "model": "x", "choices": [ { "index": 0, "message": { "role": "assistant", "content": "hi" }, "finish_reason": "stop" } ] }`;
    upstream.otherwise(raw(200, `${body}\n`, { "content-type": "application/json" }));
    const res = await post(gateway, {});
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(body);
  });
});

describe("a 200 that is not an event stream", () => {
  it("answering a stream request with text/html is a 502, like the non-stream path", async () => {
    const { gateway, upstream } = await setup({}, { attempts: 1 });
    upstream.otherwise(raw(200, "<html>captive portal</html>", { "content-type": "text/html" }));
    const res = await post(gateway, { stream: true });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("upstream_error");
  });
});

describe("cooldown probe", () => {
  it("lets exactly one of 10 concurrent requests through to a deployment back from cooldown", async () => {
    const { gateway, upstream } = await setup({ failures: 1, cooldownMs: 300 }, { attempts: 1 });
    upstream.script(fail(500, "sick", { headers: { "retry-after-ms": "0" } }));
    expect((await post(gateway, {})).status).toBe(502);
    await new Promise((r) => setTimeout(r, 400));
    upstream.otherwise(delayed(500, ok()));
    const statuses = await Promise.all(Array.from({ length: 10 }, () => post(gateway, {}).then((r) => r.status)));
    expect(upstream.calls).toHaveLength(2);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 503)).toHaveLength(9);
    expect((await post(gateway, {})).status).toBe(200);
  });
});

describe("reload", () => {
  it("keeps showing in-flight requests of old streams, and keeps cooldown state of deployments that still exist", async () => {
    const { gateway, upstream, config } = await setup({ failures: 1, cooldownMs: 60_000 }, { attempts: 1 });
    upstream.script(stream(undefined, { delayMs: 150 }));
    const inFlight = post(gateway, { stream: true });
    await upstream.call(0);
    await expect.poll(async () => (await deployments(gateway)).find((d) => d.id === "up/x")?.inFlight, { timeout: 2_000 }).toBe(1);
    // A second deployment fails once and cools down.
    await gateway.services.chat.reload({ ...base, ...config, models: [model("m", "x"), model("sick", "y")] } as Config);
    upstream.script(fail(500, "sick", { headers: { "retry-after-ms": "0" } }));
    expect((await post(gateway, { model: "sick" })).status).toBe(502);
    await gateway.services.chat.reload({ ...base, ...config, models: [model("m", "x"), model("sick", "y")] } as Config);
    const rows = await deployments(gateway);
    expect(rows.find((d) => d.id === "up/x")?.inFlight).toBe(1);
    expect(rows.find((d) => d.id === "up/y")?.state).toBe("cooling");
    expect((await post(gateway, { model: "sick" })).status).toBe(503);
    const text = await (await inFlight).text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    await expect.poll(async () => (await deployments(gateway)).find((d) => d.id === "up/x")?.inFlight, { timeout: 2_000 }).toBe(0);
  });
});

describe("upstream sockets", () => {
  it("an aborted upstream stream leaves no connection open", async () => {
    const { gateway, upstream } = await setup();
    upstream.otherwise(stream(undefined, { hangAfter: 1 }));
    const aborts = Array.from({ length: 20 }, async () => {
      const controller = new AbortController();
      const res = await post(gateway, { stream: true }, controller.signal);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      controller.abort();
    });
    await Promise.all(aborts);
    await expect.poll(() => upstream.inFlight(), { timeout: 3_000 }).toBe(0);
    // undici (fetch or Pool) would open a fresh, never-used connection per aborted one here.
    await expect.poll(() => upstream.openSockets(), { timeout: 1_000 }).toBe(0);
  });
});

describe("under load", () => {
  it("1,000 concurrent REST streams all complete, and every upstream exchange ends", { timeout: 60_000 }, async () => {
    const { gateway, upstream } = await setup();
    upstream.otherwise(stream(undefined, { delayMs: 20 }));
    const agent = new Agent({ keepAlive: true, maxSockets: 1_000 });
    const one = () =>
      new Promise<string>((resolve, reject) => {
        const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
        const url = new URL("/v1/chat/completions", gateway.baseURL);
        const req = request(
          { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/json" } },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (piece: string) => {
              text += piece;
            });
            res.on("end", () => resolve(text));
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    const texts = await Promise.all(Array.from({ length: 1_000 }, one));
    agent.destroy();
    expect(texts.filter((t) => t.endsWith("data: [DONE]\n\n") && !t.includes('"error"'))).toHaveLength(1_000);
    expect(upstream.calls).toHaveLength(1_000);
    await expect.poll(() => upstream.inFlight(), { timeout: 5_000 }).toBe(0);
  });
  for (const transport of ["websocket", "http"] as const) {
    it(`1,000 concurrent SDK streams (${transport}) all complete, none lost to a resume grace or a timeout`, { timeout: 90_000 }, async () => {
      const { gateway, upstream } = await setup();
      // Paced frames keep every stream open at once; a stream that starts late must still be followed.
      upstream.otherwise(stream(undefined, { delayMs: 20 }));
      const client = sdk(gateway, { transport });
      const one = async () => {
        let text = "";
        for await (const chunk of client.chat.stream({ model: "m", messages: [{ role: "user", content: "hi" }] })) {
          text += chunk.choices[0]?.delta.content ?? "";
        }
        return text;
      };
      const results = await Promise.allSettled(Array.from({ length: 1_000 }, one));
      await client.close();
      const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
      expect(failures.slice(0, 3)).toEqual([]);
      expect(results.map((r) => (r.status === "fulfilled" ? r.value : ""))).toEqual(Array(1_000).fill("hello from x"));
      // One upstream generation per stream: nothing was started twice by a reconnect.
      expect(upstream.calls).toHaveLength(1_000);
      await expect.poll(() => gateway.services.generations.running(), { timeout: 5_000 }).toBe(0);
    });
  }
});

describe("buffered generations", () => {
  it("a buffered chunk costs about its bytes on the wire, not a parsed object's worth", { timeout: 60_000 }, async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const heap = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const upstream = await startFakeUpstream();
    const gateway = await startGateway({
      providers: [upstreamProvider(upstream.baseURL, [], { name: "up", timeoutMs: 10_000 })],
      models: [model("m", "x")],
      resumeGraceMs: 60_000,
    });
    opened.push({ gateway, upstream });
    const base = { id: "chatcmpl-buffered", object: "chat.completion.chunk", created: 1_700_000_000, model: "x" };
    const frames = Array.from({ length: 2_000 }, (_, i) => ({
      ...base,
      choices: [{ index: 0, delta: { content: ` word${i}` }, finish_reason: i === 1_999 ? "stop" : null, logprobs: null }],
    }));
    const wireBytesEach = frames.reduce((sum, frame) => sum + JSON.stringify(frame).length, 0);
    upstream.otherwise(stream(frames));
    // Started and never followed: each generation runs to its end and stays buffered for the resume grace.
    const startGenerations = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const res = await fetch(`${gateway.baseURL}/trpc/chat.start`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ json: { model: "m", messages: [{ role: "user", content: `hi ${i}` }] } }),
        });
        expect(res.status).toBe(200);
      }
      await expect.poll(() => gateway.services.generations.running(), { timeout: 30_000 }).toBe(0);
    };
    // One first, so code compiled on the way is not counted as buffered chunks.
    await startGenerations(1);
    const generations = 20;
    const before = heap();
    await startGenerations(generations);
    const grown = heap() - before;
    const wire = generations * wireBytesEach;
    // Parsed chunks cost ~1.6 KB each (8× their ~200 wire bytes); their JSON text costs about its length
    // (plus its SSE framing and a 32-byte slice header: 1.6–1.7× in all, measured; 3.3× when the last
    // turn's parsed chunks stayed with a finished generation).
    expect(grown).toBeLessThan(2.5 * wire);
    expect(upstream.calls).toHaveLength(generations + 1);
  });
});
