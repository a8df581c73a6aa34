/**
 * Issue 17 item 6: the upstream's response headers a client reads (its request id, processing time,
 * rate limits when the gateway sets none) are relayed; client headers a provider uses are forwarded
 * only by that provider's allow-list; a whole completion's upstream body gains no `"stream": false`.
 * Real gateway, real fake upstream, the official openai client and raw fetch.
 */
import { writeFileSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../server/config.js";
import { createKey, startKeyedGateway, tempDir } from "./helpers/access.js";
import { completion, fail, startFakeUpstream, stream, type FakeUpstream } from "./helpers/fake-upstream.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";

const UPSTREAM_HEADERS = {
  "x-request-id": "req_upstream_42",
  "openai-processing-ms": "321",
  "x-ratelimit-limit-requests": "500",
  "x-ratelimit-remaining-requests": "499",
  "x-ratelimit-reset-tokens": "6ms",
  "x-internal-trace": "do-not-relay",
};

let upstream: FakeUpstream;
const opened: TestGateway[] = [];
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterEach(async () => {
  upstream.reset();
  await Promise.all(opened.splice(0).map((g) => g.close(100)));
});
afterAll(() => upstream.close());

async function gatewayWith(extra: Parameters<typeof upstreamProvider>[2] = {}): Promise<TestGateway> {
  const gateway = await startGateway({
    providers: [
      upstreamProvider(upstream.baseURL, ["m1"], extra),
      upstreamProvider(upstream.baseURL, ["plain"], { name: "plain-provider", forwardHeaders: undefined }),
    ],
  });
  opened.push(gateway);
  return gateway;
}

function post(gateway: TestGateway, body: Record<string, unknown>, headers: Record<string, string> = {}, key?: string): Promise<Response> {
  return fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
  });
}

describe("upstream response headers a client reads are relayed", () => {
  it.each([false, true])("stream: %s — request id, processing time and rate limits; nothing else", async (streamed) => {
    const gateway = await gatewayWith();
    upstream.otherwise(streamed ? stream(undefined, { headers: UPSTREAM_HEADERS }) : completion({}, UPSTREAM_HEADERS));
    const res = await post(gateway, { model: "m1", stream: streamed });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(res.headers.get("x-upstream-request-id")).toBe("req_upstream_42");
    expect(res.headers.get("openai-processing-ms")).toBe("321");
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("500");
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("499");
    expect(res.headers.get("x-ratelimit-reset-tokens")).toBe("6ms");
    expect(res.headers.get("x-internal-trace")).toBeNull();
    // The gateway's own request id stays its own.
    expect(res.headers.get("x-request-id")).not.toBe("req_upstream_42");
  });

  it("a browser may read them (CORS exposes them)", async () => {
    const gateway = await gatewayWith();
    upstream.otherwise(completion({}, UPSTREAM_HEADERS));
    const res = await post(gateway, { model: "m1" }, { origin: "http://app.example" });
    await res.arrayBuffer();
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").split(",").map((h) => h.trim());
    expect(exposed).toEqual(expect.arrayContaining(["x-upstream-request-id", "openai-processing-ms", "x-ratelimit-remaining-requests"]));
  });

  it("the openai client sees the upstream's rate limits through withResponse()", async () => {
    const gateway = await gatewayWith();
    upstream.otherwise(completion({}, UPSTREAM_HEADERS));
    const client = new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
    const { response } = await client.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(response.headers.get("x-ratelimit-remaining-requests")).toBe("499");
    expect(response.headers.get("x-upstream-request-id")).toBe("req_upstream_42");
  });

  describe("with keys on and the gateway's own limits", () => {
    const tmp = tempDir();
    afterAll(() => tmp.cleanup());

    it("the gateway's x-ratelimit-* are sent, the upstream's are not mixed in", async () => {
      const gateway = await startKeyedGateway({}, { providers: [upstreamProvider(upstream.baseURL, ["m1"])] });
      opened.push(gateway);
      const { key } = await createKey(gateway, { rpm: 100 });
      upstream.otherwise(completion({}, UPSTREAM_HEADERS));
      const res = await post(gateway, { model: "m1" }, {}, key);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(res.headers.get("x-ratelimit-limit-requests")).toBe("100");
      expect(res.headers.get("x-ratelimit-reset-tokens")).toBeNull();
      expect(res.headers.get("x-upstream-request-id")).toBe("req_upstream_42");
    });
  });
});

describe("an upstream's error keeps the ids its support asks for", () => {
  it.each([
    [400, false, 400],
    [429, false, 429],
    [500, false, 502],
    [400, true, 400],
  ])(
    "upstream %i (stream: %s) → %i with x-upstream-request-id and openai-processing-ms, nothing else of the upstream's",
    async (status, streamed, expected) => {
      const gateway = await gatewayWith();
      upstream.otherwise(fail(status, "no", { headers: UPSTREAM_HEADERS }));
      const res = await post(gateway, { model: "m1", stream: streamed });
      expect(res.status).toBe(expected);
      await res.arrayBuffer();
      expect(res.headers.get("x-upstream-request-id")).toBe("req_upstream_42");
      expect(res.headers.get("openai-processing-ms")).toBe("321");
      expect(res.headers.get("x-internal-trace")).toBeNull();
      // The gateway's own request id stays the client's.
      expect(res.headers.get("x-request-id")).not.toBe("req_upstream_42");
    },
  );

  it("the openai client reads it from the error it throws", async () => {
    const gateway = await gatewayWith();
    upstream.otherwise(fail(404, "no such model upstream", { headers: UPSTREAM_HEADERS }));
    const client = new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "x", maxRetries: 0 });
    const err = await client.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get("x-upstream-request-id")).toBe("req_upstream_42");
  });
});

describe("client headers reach a provider only by its allow-list", () => {
  const clientHeaders = {
    "OpenAI-Organization": "org-team-7",
    "OpenAI-Project": "proj_abc",
    "X-Title": "My App",
    "HTTP-Referer": "https://myapp.example",
    "X-Not-Listed": "private",
  };

  it("the listed headers are forwarded (any case), the others are not", async () => {
    const gateway = await gatewayWith({ forwardHeaders: ["openai-organization", "OpenAI-Project", "X-Title", "http-referer"] });
    await (await post(gateway, { model: "m1" }, clientHeaders)).arrayBuffer();
    const seen = (await upstream.call(0)).headers;
    expect(seen["openai-organization"]).toBe("org-team-7");
    expect(seen["openai-project"]).toBe("proj_abc");
    expect(seen["x-title"]).toBe("My App");
    expect(seen["http-referer"]).toBe("https://myapp.example");
    expect(seen["x-not-listed"]).toBeUndefined();
    // The provider's own key, never the client's.
    expect(seen.authorization).toBe("Bearer sk-test-secret-key-123456");
  });

  it("the official client's organization and project options reach the upstream, streamed too", async () => {
    const gateway = await gatewayWith({ forwardHeaders: ["OpenAI-Organization", "OpenAI-Project"] });
    const client = new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", organization: "org-sdk", project: "proj-sdk", maxRetries: 0 });
    const chunks = await client.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }], stream: true });
    for await (const _chunk of chunks);
    const seen = (await upstream.call(0)).headers;
    expect(seen["openai-organization"]).toBe("org-sdk");
    expect(seen["openai-project"]).toBe("proj-sdk");
  });

  it("the tRPC door forwards them too: a mutation, and a stream started with chat.start", async () => {
    const gateway = await gatewayWith({ forwardHeaders: ["X-Title"] });
    const call = (path: string) =>
      fetch(`${gateway.baseURL}/trpc/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-title": `via ${path}` },
        body: JSON.stringify({ json: { model: "m1", messages: [{ role: "user", content: "hi" }] } }),
      });
    expect((await call("chat.completions")).status).toBe(200);
    expect((await call("chat.start")).status).toBe(200);
    expect((await upstream.call(0)).headers["x-title"]).toBe("via chat.completions");
    expect((await upstream.call(1)).headers["x-title"]).toBe("via chat.start");
  });

  it("a provider without an allow-list forwards nothing", async () => {
    const gateway = await gatewayWith({ forwardHeaders: ["X-Title"] });
    await (await post(gateway, { model: "plain" }, clientHeaders)).arrayBuffer();
    const seen = (await upstream.call(0)).headers;
    expect(seen["x-title"]).toBeUndefined();
    expect(seen["openai-organization"]).toBeUndefined();
  });

  it("a configured header wins over the client's", async () => {
    const gateway = await gatewayWith({ forwardHeaders: ["X-Title"], headers: { "X-Title": "Operator" } });
    await (await post(gateway, { model: "m1" }, clientHeaders)).arrayBuffer();
    expect((await upstream.call(0)).headers["x-title"]).toBe("Operator");
  });

  it.each(["Authorization", "api-key", "Host", "Content-Length", "Cookie"])("a config forwarding %s is refused at startup", (name) => {
    const file = { providers: [{ name: "p", kind: "openai-compatible", baseURL: "http://127.0.0.1:1/v1", forwardHeaders: [name] }] };
    const dir = tempDir();
    try {
      const configPath = `${dir.dir}/languru.json`;
      writeFileSync(configPath, JSON.stringify(file));
      expect(() => loadConfig({ LANGURU_CONFIG: configPath })).toThrow(/forwardHeaders/);
    } finally {
      dir.cleanup();
    }
  });
});

describe("a whole completion's upstream body is the client's", () => {
  it("no `stream: false` is added, over REST and the typed SDK", async () => {
    const gateway = await gatewayWith();
    await (await post(gateway, { model: "m1" })).arrayBuffer();
    await sdk(gateway).chat.completions({ model: "m1", messages: [{ role: "user", content: "hi" }] });
    expect("stream" in (await upstream.call(0)).body).toBe(false);
    expect("stream" in (await upstream.call(1)).body).toBe(false);
  });
});
