/**
 * Fault injection for routing and resilience: fake upstreams that fail on command, and the
 * documented outcome (retried, fell back, cooled down, error frame then [DONE], 502/503/504), each
 * within the configured time. After every test no upstream socket is open and nothing is in flight.
 */
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, type Config, type ModelSettings, type ProviderSettings } from "../server/config.js";
import { completion, delayed, drop, fail, hang, ok, raw, startFakeUpstream, stream, type FakeUpstream } from "./helpers/fake-upstream.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";
import { expectSpec } from "./helpers/spec.js";

const base = loadConfig({});
const opened: Array<{ gateway: TestGateway; upstreams: FakeUpstream[] }> = [];

afterEach(async () => {
  for (const { gateway, upstreams } of opened.splice(0)) {
    await gateway.close(200);
    // Nothing left behind: the gateway closed its pools, and no exchange is still running.
    for (const upstream of upstreams) {
      await expect.poll(() => upstream.openSockets(), { timeout: 1_000 }).toBe(0);
      expect(upstream.inFlight()).toBe(0);
      await upstream.close();
    }
  }
});

function provider(name: string, upstream: FakeUpstream, extra: Partial<ProviderSettings> = {}): ProviderSettings {
  return upstreamProvider(upstream.baseURL, [], { name, timeoutMs: 10_000, ...extra });
}

function model(name: string, deployments: Array<[string, string, number?]>, extra: Partial<ModelSettings> = {}): ModelSettings {
  return {
    name,
    aliases: [],
    deployments: deployments.map(([p, m, weight]) => ({ provider: p, model: m, weight: weight ?? 1 })),
    strategy: "weighted",
    fallbacks: [],
    contextWindowFallbacks: [],
    ...extra,
  };
}

interface Setup {
  upstreams: number;
  models: (names: string[]) => ModelSettings[];
  routing?: {
    timeouts?: Partial<Config["routing"]["timeouts"]>;
    retry?: Partial<Config["routing"]["retry"]>;
    cooldown?: Partial<Config["routing"]["cooldown"]>;
  };
  providerExtra?: Partial<ProviderSettings>;
}

/** Starts `n` fake upstreams (providers `up0`, `up1`, ...) and a gateway routing over them. */
async function setup(options: Setup) {
  const upstreams = await Promise.all(Array.from({ length: options.upstreams }, () => startFakeUpstream()));
  const names = upstreams.map((_, i) => `up${i}`);
  const gateway = await startGateway({
    providers: upstreams.map((u, i) => provider(names[i]!, u, options.providerExtra)),
    models: options.models(names),
    routing: {
      timeouts: { ...base.routing.timeouts, ...options.routing?.timeouts },
      retry: { ...base.routing.retry, baseDelayMs: 20, maxDelayMs: 100, ...options.routing?.retry },
      cooldown: { ...base.routing.cooldown, ...options.routing?.cooldown },
    },
  });
  opened.push({ gateway, upstreams });
  return { gateway, upstreams };
}

async function post(gateway: TestGateway, body: Record<string, unknown>, init: RequestInit = {}) {
  return fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
    ...init,
  });
}

function frames(text: string): string[] {
  return text
    .split("\n\n")
    .filter((f) => f !== "")
    .map((f) => f.replace(/^data: /, ""));
}

describe("retries", () => {
  it("retries a 500 and answers, saying which deployment answered after how many tries", async () => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "up-model"]])] });
    upstreams[0]!.script(fail(500, "boom"), fail(503, "busy"));
    const res = await post(gateway, { model: "m" });
    expect(res.status).toBe(200);
    expectSpec("CreateChatCompletionResponse", await res.json());
    expect(res.headers.get("x-languru-model-deployment")).toBe("up0/up-model");
    expect(res.headers.get("x-languru-attempts")).toBe("3");
    expect(upstreams[0]!.calls.map((c) => c.body.model)).toEqual(["up-model", "up-model", "up-model"]);
  });

  it.each([408, 409, 429, 502, 504])("retries an upstream %i", async (status) => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "x"]])] });
    upstreams[0]!.script(fail(status, "try again"));
    const res = await post(gateway, { model: "m" });
    expect(res.status).toBe(200);
    expect(upstreams[0]!.calls).toHaveLength(2);
  });

  it("does not retry the caller's own mistakes (400, 401, 404)", async () => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "x"]])] });
    for (const status of [400, 401, 404]) {
      upstreams[0]!.script(fail(status, "no"));
      const res = await post(gateway, { model: "m" });
      expect(res.status).toBe(status);
    }
    expect(upstreams[0]!.calls).toHaveLength(3);
  });

  it("honours retry-after-ms and retry-after, capped by maxRetryAfterMs", async () => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "x"]])], routing: { retry: { maxRetryAfterMs: 400 } } });
    upstreams[0]!.script(fail(429, "slow down", { headers: { "retry-after-ms": "250" } }));
    let started = Date.now();
    expect((await post(gateway, { model: "m" })).status).toBe(200);
    const honoured = Date.now() - started;
    expect(honoured).toBeGreaterThanOrEqual(240);

    upstreams[0]!.script(fail(429, "come back in a minute", { headers: { "retry-after": "60" } }));
    started = Date.now();
    expect((await post(gateway, { model: "m" })).status).toBe(200);
    const capped = Date.now() - started;
    expect(capped).toBeGreaterThanOrEqual(390);
    expect(capped).toBeLessThan(2_000);
  });

  it("gives up after `attempts` tries with the last error as an OpenAI error body", async () => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "x"]])], routing: { retry: { attempts: 2 } } });
    upstreams[0]!.otherwise(fail(503, "down for maintenance"));
    const res = await post(gateway, { model: "m" });
    expect(res.status).toBe(502);
    const body = await res.json();
    expectSpec("ErrorResponse", body);
    // Issue 7: the upstream's 5xx text goes to the log, not to the client.
    expect(body.error.message).toBe("upstream 'up0' failed (503)");
    expect(upstreams[0]!.calls).toHaveLength(2);
  });

  it("bounds all tries of one request by budgetMs", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 1,
      models: ([a]) => [model("m", [[a!, "x"]])],
      routing: { retry: { attempts: 10, budgetMs: 600, maxRetryAfterMs: 300 } },
    });
    upstreams[0]!.otherwise(fail(503, "busy", { headers: { "retry-after-ms": "250" } }));
    const started = Date.now();
    const res = await post(gateway, { model: "m" });
    expect(res.status).toBe(502);
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(upstreams[0]!.calls.length).toBeLessThan(5);
  });

  it("moves to another deployment of the same model for the retry", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 2,
      models: ([a, b]) => [
        model("m", [
          [a!, "x", 1_000_000],
          [b!, "y", 0.000001],
        ]),
      ],
    });
    upstreams[0]!.otherwise(fail(500, "broken"));
    const res = await post(gateway, { model: "m" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-languru-model-deployment")).toBe("up1/y");
    expect(res.headers.get("x-languru-attempts")).toBe("2");
    expect(upstreams[0]!.calls).toHaveLength(1);
  });

  it("retries a stream that failed before its first chunk, so the client sees one clean stream", async () => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "x"]])], routing: { timeouts: { firstTokenMs: 200 } } });
    // Headers, then silence: the first-token timeout fires, and the retry answers.
    upstreams[0]!.script(stream(undefined, { hangAfter: 0 }), fail(500, "oops"));
    const res = await post(gateway, { model: "m", stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-languru-attempts")).toBe("3");
    const body = frames(await res.text());
    expect(body.at(-1)).toBe("[DONE]");
    for (const f of body.slice(0, -1)) expectSpec("CreateChatCompletionStreamResponse", JSON.parse(f));
    expect(body.some((f) => f.includes('"error"'))).toBe(false);
  });

  it("never retries after the first chunk: a drop mid-stream is an error frame, then [DONE]", async () => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "x"]])] });
    upstreams[0]!.script(stream(undefined, { dropAfter: 2 }));
    const res = await post(gateway, { model: "m", stream: true });
    const body = frames(await res.text());
    expect(body.at(-1)).toBe("[DONE]");
    const error = JSON.parse(body.at(-2)!);
    expectSpec("ErrorResponse", error);
    expect(body.length).toBe(4);
    expect(upstreams[0]!.calls).toHaveLength(1);
  });

  it("stops everything when the client leaves during a backoff", async () => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "x"]])], routing: { retry: { maxRetryAfterMs: 5_000 } } });
    upstreams[0]!.otherwise(fail(429, "later", { headers: { "retry-after": "3" } }));
    const controller = new AbortController();
    const pending = post(gateway, { model: "m" }, { signal: controller.signal }).catch((e: unknown) => e);
    await upstreams[0]!.call(0);
    setTimeout(() => controller.abort(), 100);
    expect(await pending).toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 3_300));
    // The backoff ended with the client: no second try was made after it left.
    expect(upstreams[0]!.calls).toHaveLength(1);
  });
});

describe("fallbacks", () => {
  it("falls back to the next model when a model's deployments are exhausted", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 2,
      models: ([a, b]) => [model("primary", [[a!, "big"]], { fallbacks: ["backup"], retry: { attempts: 2 } }), model("backup", [[b!, "small"]])],
    });
    upstreams[0]!.otherwise(fail(500, "primary is down"));
    const res = await post(gateway, { model: "primary" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-languru-model")).toBe("backup");
    expect(res.headers.get("x-languru-model-deployment")).toBe("up1/small");
    expect(res.headers.get("x-languru-attempts")).toBe("3");
    expect((await res.json()).model).toBe("small");
  });

  it("uses the context-window fallbacks for a context-length error, not the ordinary ones", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 3,
      models: ([a, b, c]) => [
        model("small", [[a!, "s"]], { fallbacks: ["other"], contextWindowFallbacks: ["large"] }),
        model("other", [[b!, "o"]]),
        model("large", [[c!, "l"]]),
      ],
    });
    upstreams[0]!.otherwise(fail(400, "This model's maximum context length is 8192 tokens.", { code: "context_length_exceeded", param: "messages" }));
    const res = await post(gateway, { model: "small" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-languru-model")).toBe("large");
    expect(upstreams[0]!.calls).toHaveLength(1);
    expect(upstreams[1]!.calls).toHaveLength(0);
  });

  it("returns the context-length error itself when there is no context-window fallback", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 2,
      models: ([a, b]) => [model("small", [[a!, "s"]], { fallbacks: ["other"] }), model("other", [[b!, "o"]])],
    });
    upstreams[0]!.otherwise(fail(400, "maximum context length exceeded", { code: "context_length_exceeded" }));
    const res = await post(gateway, { model: "small" });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("context_length_exceeded");
    expect(upstreams[1]!.calls).toHaveLength(0);
  });

  it("tRPC responses say which model and deployment answered", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 2,
      models: ([a, b]) => [model("primary", [[a!, "big"]], { fallbacks: ["backup"], retry: { attempts: 1 } }), model("backup", [[b!, "small"]])],
    });
    upstreams[0]!.otherwise(fail(503, "down"));
    const result = await sdk(gateway).chat.completions({ model: "primary", messages: [{ role: "user", content: "hi" }] });
    expect(result.languru).toEqual({ model: "backup", deployment: "up1/small", attempts: 2 });
    const started = await sdk(gateway).trpc.chat.start.mutate({ model: "primary", messages: [{ role: "user", content: "hi" }] });
    expect(started.languru).toEqual({ model: "backup", deployment: "up1/small", attempts: 2 });
    await sdk(gateway).trpc.chat.cancel.mutate({ id: started.id });
  });
});

describe("cooldown", () => {
  it("takes a failing deployment out of rotation, shows it, then probes it again", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 2,
      models: ([a, b]) => [
        model(
          "m",
          [
            [a!, "x", 1_000_000],
            [b!, "y", 0.000001],
          ],
          { retry: { attempts: 1 } },
        ),
      ],
      routing: { cooldown: { failures: 2, cooldownMs: 400 } },
    });
    upstreams[0]!.otherwise(fail(500, "sick"));
    expect((await post(gateway, { model: "m" })).status).toBe(502);
    expect((await post(gateway, { model: "m" })).status).toBe(502);
    const health = async () => ((await (await fetch(`${gateway.baseURL}/languru/deployments`)).json()) as { data: Array<{ id: string; state: string }> }).data;
    expect((await health()).find((d) => d.id === "up0/x")?.state).toBe("cooling");
    // While up0 cools, traffic goes to up1 despite its tiny weight.
    const res = await post(gateway, { model: "m" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-languru-model-deployment")).toBe("up1/y");
    expect(upstreams[0]!.calls).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 450));
    expect((await health()).find((d) => d.id === "up0/x")?.state).toBe("probing");
    upstreams[0]!.otherwise(ok());
    const probe = await post(gateway, { model: "m" });
    expect(probe.headers.get("x-languru-model-deployment")).toBe("up0/x");
    expect((await health()).find((d) => d.id === "up0/x")?.state).toBe("healthy");
  });

  it("answers 503 with retry-after when every deployment is cooling and there is no fallback", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 1,
      models: ([a]) => [model("m", [[a!, "x"]], { retry: { attempts: 1 } })],
      routing: { cooldown: { failures: 1, cooldownMs: 5_000 } },
    });
    upstreams[0]!.otherwise(fail(500, "sick"));
    expect((await post(gateway, { model: "m" })).status).toBe(502);
    const res = await post(gateway, { model: "m" });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(4);
    expectSpec("ErrorResponse", await res.json());
    expect(upstreams[0]!.calls).toHaveLength(1);
  });
  it("a deployment that asked to be left alone for a while (a 429 with retry-after) cools for that long, not the whole cooldown", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 1,
      models: ([a]) => [model("m", [[a!, "x"]], { retry: { attempts: 1 } })],
      routing: { cooldown: { failures: 1, cooldownMs: 30_000 } },
    });
    upstreams[0]!.script(fail(429, "slow down", { headers: { "retry-after": "1" } }));
    upstreams[0]!.otherwise(ok());
    expect((await post(gateway, { model: "m" })).status).toBe(429);
    const cooling = await post(gateway, { model: "m" });
    expect(cooling.status).toBe(503);
    expect(cooling.headers.get("retry-after")).toBe("1");
    await new Promise((r) => setTimeout(r, 1_100));
    // Back after the second the upstream asked for: the probe goes through and succeeds.
    expect((await post(gateway, { model: "m" })).status).toBe(200);
    expect(upstreams[0]!.calls).toHaveLength(2);
  });

  it("a retry-after longer than the cooldown is cut to it: an upstream cannot take itself out for longer", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 1,
      models: ([a]) => [model("m", [[a!, "x"]], { retry: { attempts: 1 } })],
      routing: { cooldown: { failures: 1, cooldownMs: 300 } },
    });
    upstreams[0]!.script(fail(429, "slow down", { headers: { "retry-after": "86400" } }));
    upstreams[0]!.otherwise(ok());
    expect((await post(gateway, { model: "m" })).status).toBe(429);
    expect((await post(gateway, { model: "m" })).status).toBe(503);
    await new Promise((r) => setTimeout(r, 350));
    expect((await post(gateway, { model: "m" })).status).toBe(200);
  });
});

describe("timeouts", () => {
  it("connect: an upstream that never answers becomes 504 within connectMs", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 1,
      models: ([a]) => [model("m", [[a!, "x"]], { retry: { attempts: 1 } })],
      routing: { timeouts: { connectMs: 250 } },
    });
    upstreams[0]!.otherwise(hang());
    const started = Date.now();
    const res = await post(gateway, { model: "m", stream: true });
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(1_000);
    expectSpec("ErrorResponse", await res.json());
    expect(await upstreams[0]!.calls[0]!.ended).toBe("aborted");
  });

  it("idle: a stream that goes quiet mid-way ends with an error frame and [DONE] within idleMs", async () => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "x"]])], routing: { timeouts: { idleMs: 250 } } });
    upstreams[0]!.script(stream(undefined, { hangAfter: 2 }));
    const started = Date.now();
    const res = await post(gateway, { model: "m", stream: true });
    const body = frames(await res.text());
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(body.at(-1)).toBe("[DONE]");
    const error = JSON.parse(body.at(-2)!) as { error: { code: string; message: string } };
    expect(error.error.code).toBe("upstream_timeout");
    expect(error.error.message).toContain("idle");
    expect(await upstreams[0]!.calls[0]!.ended).toBe("aborted");
  });

  it("total: a long non-streamed call becomes 504 within totalMs", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 1,
      models: ([a]) => [model("m", [[a!, "x"]], { retry: { attempts: 1 } })],
      routing: { timeouts: { totalMs: 300 } },
    });
    upstreams[0]!.otherwise(delayed(2_000, completion()));
    const started = Date.now();
    const res = await post(gateway, { model: "m" });
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(1_200);
  });

  it("a slow but steady answer inside every timeout is not cut", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 1,
      models: ([a]) => [model("m", [[a!, "x"]])],
      routing: { timeouts: { idleMs: 300, firstTokenMs: 300 } },
    });
    upstreams[0]!.script(stream(undefined, { delayMs: 120 }));
    const res = await post(gateway, { model: "m", stream: true });
    const body = frames(await res.text());
    expect(body.at(-1)).toBe("[DONE]");
    expect(body.some((f) => f.includes('"error"'))).toBe(false);
    expect(res.headers.get("x-languru-attempts")).toBe("1");
  });
});

describe("broken upstreams", () => {
  it.each([
    ["malformed SSE", stream(["data: {not json\n\n"])],
    ["a non-JSON body", raw(200, "<html>hello</html>")],
    ["a dropped connection before any answer", drop()],
  ])("%s becomes 502 after the retries", async (_name, behaviour) => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "x"]], { retry: { attempts: 2 } })] });
    upstreams[0]!.otherwise(behaviour);
    const res = await post(gateway, { model: "m", stream: _name === "malformed SSE" });
    expect(res.status).toBe(502);
    expectSpec("ErrorResponse", await res.json());
  });
});

describe("load balancing", () => {
  it("weighted: traffic follows the weights", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 2,
      models: ([a, b]) => [
        model("m", [
          [a!, "x", 3],
          [b!, "y", 1],
        ]),
      ],
    });
    for (let i = 0; i < 200; i++) expect((await post(gateway, { model: "m" })).status).toBe(200);
    const share = upstreams[0]!.calls.length / 200;
    expect(share).toBeGreaterThan(0.62);
    expect(share).toBeLessThan(0.88);
  });

  it("least-busy: a new request goes to the deployment with fewer requests in flight", async () => {
    const { gateway, upstreams } = await setup({
      upstreams: 2,
      models: ([a, b]) => [
        model(
          "m",
          [
            [a!, "x"],
            [b!, "y"],
          ],
          { strategy: "least-busy" },
        ),
      ],
    });
    for (const u of upstreams) u.otherwise(delayed(300, completion()));
    const first = post(gateway, { model: "m" });
    await new Promise((r) => setTimeout(r, 50));
    const second = post(gateway, { model: "m" });
    const [r1, r2] = await Promise.all([first, second]);
    expect(new Set([r1.headers.get("x-languru-model-deployment"), r2.headers.get("x-languru-model-deployment")]).size).toBe(2);
  });
});

describe("registry", () => {
  it("aliases and provider/model addressing reach the right upstream, and /v1/models lists them with owned_by", async () => {
    const { gateway, upstreams } = await setup({ upstreams: 1, models: ([a]) => [model("m", [[a!, "x"]], { aliases: ["fast"] })] });
    expect((await post(gateway, { model: "fast" })).status).toBe(200);
    expect((await post(gateway, { model: "up0/anything-at-all" })).status).toBe(200);
    expect(upstreams[0]!.calls.map((c) => c.body.model)).toEqual(["x", "anything-at-all"]);
    const list = (await (await fetch(`${gateway.baseURL}/v1/models`)).json()) as { data: Array<{ id: string; owned_by: string }> };
    expectSpec("ListModelsResponse", list);
    expect(list.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "m", owned_by: "up0" }),
        expect.objectContaining({ id: "fast", owned_by: "up0" }),
        expect.objectContaining({ id: "echo", owned_by: "languru" }),
      ]),
    );
    expect((await post(gateway, { model: "nope/x" })).status).toBe(404);
  });

  it("discovery: models served by a provider appear, and disappear when gone", async () => {
    const served = ["llama3.2", "qwen2"];
    const upstream = await startFakeUpstream({ models: served });
    const gateway = await startGateway({ providers: [provider("ollama", upstream, { discovery: { intervalMs: 1_000 } })] });
    opened.push({ gateway, upstreams: [upstream] });
    const ids = async () => ((await (await fetch(`${gateway.baseURL}/v1/models`)).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    expect(await ids()).toEqual(expect.arrayContaining(["ollama/llama3.2", "ollama/qwen2"]));
    served.splice(0, served.length, "qwen2", "mistral");
    await expect.poll(ids, { timeout: 2_500, interval: 200 }).toEqual(expect.arrayContaining(["ollama/mistral"]));
    expect(await ids()).not.toContain("ollama/llama3.2");
  });
});

describe("reload", () => {
  it("a new config takes over for new requests while an in-flight stream finishes on the old one", async () => {
    const { gateway, upstreams } = await setup({ upstreams: 2, models: ([a]) => [model("m", [[a!, "old-model"]])] });
    upstreams[0]!.script(stream(undefined, { delayMs: 100 }));
    const inFlight = post(gateway, { model: "m", stream: true });
    await upstreams[0]!.call(0);
    const next: Config = {
      ...base,
      providers: upstreams.map((u, i) => provider(`up${i}`, u)),
      models: [model("m", [["up1", "new-model"]]), model("added", [["up1", "z"]])],
    };
    await gateway.services.chat.reload(next);
    const fresh = await post(gateway, { model: "added" });
    expect(fresh.status).toBe(200);
    expect(upstreams[1]!.calls.map((c) => c.body.model)).toEqual(["z"]);
    const old = await inFlight;
    const body = frames(await old.text());
    expect(body.at(-1)).toBe("[DONE]");
    expect(body.some((f) => f.includes('"error"'))).toBe(false);
    expect(old.headers.get("x-languru-model-deployment")).toBe("up0/old-model");
  });
});
