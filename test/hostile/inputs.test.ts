/**
 * Issue 7 items 3 and 12: a tRPC input cannot expand past the body limit through superjson's
 * `referentialEqualities`, and nesting is bounded on both doors, so a small body never becomes a
 * huge token count, upstream body or RSS, and deep values are a 400, never a 500.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { RESPONSIVE_MS, whileProbing } from "./probe.js";

let upstream: FakeUpstream;
let gateway: TestGateway;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["ok"])] });
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await gateway?.close(100);
  await upstream?.close();
});

/** POSTs a raw superjson payload to a tRPC procedure. */
async function trpcPost(path: string, payload: unknown): Promise<{ status: number; body: string }> {
  const res = await fetch(`${gateway.baseURL}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: await res.text() };
}

// Deep values are written as text: JSON.stringify itself overflows the stack on them.
const DEEP = `${"[".repeat(5_000)}"leaf"${"]".repeat(5_000)}`;
const deepSchema = (depth: number) => `${'{"type":"object","properties":{"a":'.repeat(depth)}{"type":"string"}${"}}".repeat(depth)}`;

async function postText(url: string, body: string): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
}

describe("superjson inputs", () => {
  it("1,000 references to one 100 KB message expand to nothing: the copies are what the body holds", async () => {
    const big = { role: "user", content: "word ".repeat(20_000) };
    const refs = Array.from({ length: 1_000 }, (_, i) => `messages.${i + 1}`);
    const payload = { json: { model: "ok", messages: [big, ...refs.map(() => 0)] }, meta: { referentialEqualities: { "messages.0": refs }, v: 1 } };
    const rssBefore = process.memoryUsage().rss;
    const { result, slowestProbeMs } = await whileProbing(gateway.baseURL, () => trpcPost("chat.completions", payload));
    expect(result.status).toBe(400);
    expect(result.body).toContain("messages");
    expect(slowestProbeMs).toBeLessThan(RESPONSIVE_MS);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
    expect(upstream.calls).toHaveLength(0);
  });

  it("a circular reference is not honoured", async () => {
    const payload = {
      json: { model: "ok", messages: [{ role: "user", content: "hi", self: null }] },
      meta: { referentialEqualities: { "": ["messages.0.self"] }, v: 1 },
    };
    const { status } = await trpcPost("chat.completions", payload);
    expect(status).toBeLessThan(500);
  });

  it("a BigInt in an input is the caller's 400 and never reaches the upstream", async () => {
    const payload = { json: { model: "ok", prompt: "hi", x: "1" }, meta: { values: { x: ["bigint"] }, v: 1 } };
    const { status, body } = await trpcPost("chat.completions", payload);
    expect(status).toBe(400);
    expect(body).toContain("BigInt");
    expect(upstream.calls).toHaveLength(0);
  });

  it("a 5,000-deep value in an unknown field is a 400", async () => {
    const res = await postText(`${gateway.baseURL}/trpc/chat.completions`, `{"json":{"model":"ok","prompt":"hi","extra":${DEEP}}}`);
    const body = await res.text();
    expect(res.status).toBe(400);
    expect(body).toContain("too_deep");
    expect(upstream.calls).toHaveLength(0);
  });
});

describe("REST nesting", () => {
  const post = (body: unknown) =>
    fetch(`${gateway.baseURL}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("deeply nested tools[].function.parameters: 400, no stack, no upstream call", async () => {
    const tools = `[{"type":"function","function":{"name":"f","parameters":${deepSchema(5_000)}}}]`;
    const res = await postText(`${gateway.baseURL}/v1/chat/completions`, `{"model":"ok","messages":[{"role":"user","content":"hi"}],"tools":${tools}}`);
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ error: { type: "invalid_request_error", code: "too_deep" } });
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    expect(upstream.calls).toHaveLength(0);
  });

  it("a 5,000-deep array in an unknown field: 400, and the model is not cooled down", async () => {
    for (let i = 0; i < 4; i++) {
      const res = await postText(`${gateway.baseURL}/v1/chat/completions`, `{"model":"ok","messages":[{"role":"user","content":"hi"}],"extra":${DEEP}}`);
      expect(res.status).toBe(400);
    }
    expect(upstream.calls).toHaveLength(0);
    const ok = await post({ model: "ok", messages: [{ role: "user", content: "hi" }] });
    expect(ok.status).toBe(200);
  });

  it("a JSON schema 30 levels deep is fine", async () => {
    let parameters: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 14; i++) parameters = { type: "object", properties: { a: parameters } };
    const res = await post({ model: "ok", messages: [{ role: "user", content: "hi" }], tools: [{ type: "function", function: { name: "f", parameters } }] });
    expect(res.status).toBe(200);
  });
});
