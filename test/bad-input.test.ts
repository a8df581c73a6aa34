/**
 * Every malformed request gets an OpenAI error body with a 4xx status and a `param` that names the
 * field, never a 500, and the gateway keeps serving afterwards.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers/gateway.js";
import { expectSpec, validateSpec } from "./helpers/spec.js";

const LIMIT = 1024;

let gateway: TestGateway;
let small: TestGateway;
beforeAll(async () => {
  [gateway, small] = await Promise.all([startGateway(), startGateway({ bodyLimitBytes: LIMIT })]);
});
afterAll(() => Promise.all([gateway?.close(100), small?.close(100)]));

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const statuses: number[] = [];

/** Checks an error response: its status, JSON content type and spec-valid OpenAI error body. */
async function errorOf(res: Response, status: number): Promise<ErrorBody["error"]> {
  statuses.push(res.status);
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json\b/);
  const body = JSON.parse(text) as ErrorBody;
  expectSpec("ErrorResponse", body);
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

/** POSTs raw bytes to the gateway's chat completions route. */
function postRaw(body: BodyInit | null, contentType: string | null = "application/json", target = gateway): Promise<Response> {
  const headers: Record<string, string> = contentType === null ? {} : { "content-type": contentType };
  return fetch(`${target.baseURL}/v1/chat/completions`, { method: "POST", headers, body });
}

/** POSTs with node:http, writing `parts` one by one (chunked, no content-length) and only the given headers. */
function postParts(target: TestGateway, parts: string[], headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${target.baseURL}/v1/chat/completions`, { method: "POST", headers }, (res) => {
      const received: Buffer[] = [];
      res.on("data", (b: Buffer) => received.push(b));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(received).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}

const hi = [{ role: "user", content: "hi" }];
const ok = { model: "echo", messages: hi };

/** A request body, the field `param` must name, and a label. */
interface Case {
  label: string;
  body: unknown;
  param: string | null;
  /** The OpenAI spec allows this body; the gateway is deliberately stricter. */
  stricterThanSpec?: true;
}

const cases: Case[] = [
  { label: "missing messages", body: { model: "echo" }, param: "messages" },
  { label: "empty messages", body: { model: "echo", messages: [] }, param: "messages" },
  { label: "messages as an object", body: { model: "echo", messages: { role: "user", content: "hi" } }, param: "messages" },
  { label: "messages as a string", body: { model: "echo", messages: "hi" }, param: "messages" },
  { label: "a null message", body: { model: "echo", messages: [null] }, param: "messages[0]" },
  { label: "missing model", body: { messages: hi }, param: "model" },
  { label: "empty model", body: { model: "", messages: hi }, param: "model", stricterThanSpec: true },
  { label: "model as a number", body: { model: 42, messages: hi }, param: "model" },
  { label: "temperature as a string", body: { ...ok, temperature: "hot" }, param: "temperature" },
  { label: "temperature 3", body: { ...ok, temperature: 3 }, param: "temperature" },
  { label: "temperature -0.1", body: { ...ok, temperature: -0.1 }, param: "temperature" },
  { label: "top_p 2", body: { ...ok, top_p: 2 }, param: "top_p" },
  { label: "n 0", body: { ...ok, n: 0 }, param: "n" },
  { label: "n 129", body: { ...ok, n: 129 }, param: "n" },
  { label: "n 1.5", body: { ...ok, n: 1.5 }, param: "n" },
  { label: "presence_penalty 5", body: { ...ok, presence_penalty: 5 }, param: "presence_penalty" },
  { label: "frequency_penalty -3", body: { ...ok, frequency_penalty: -3 }, param: "frequency_penalty" },
  { label: "max_tokens 0", body: { ...ok, max_tokens: 0 }, param: "max_tokens", stricterThanSpec: true },
  { label: "max_completion_tokens -1", body: { ...ok, max_completion_tokens: -1 }, param: "max_completion_tokens", stricterThanSpec: true },
  { label: "top_logprobs 21", body: { ...ok, logprobs: true, top_logprobs: 21 }, param: "top_logprobs" },
  { label: "logit_bias value 200", body: { ...ok, logit_bias: { "50256": 200 } }, param: "logit_bias.50256", stricterThanSpec: true },
  { label: "logit_bias as an array", body: { ...ok, logit_bias: [1, 2] }, param: "logit_bias" },
  { label: "stream as a string", body: { ...ok, stream: "yes" }, param: "stream" },
  { label: "an unknown role", body: { model: "echo", messages: [{ role: "bot", content: "hi" }] }, param: "messages[0].role" },
  { label: "a message without role", body: { model: "echo", messages: [{ content: "hi" }] }, param: "messages[0].role" },
  { label: "a user message without content", body: { model: "echo", messages: [{ role: "user" }] }, param: "messages[0].content" },
  { label: "a user message with numeric content", body: { model: "echo", messages: [{ role: "user", content: 7 }] }, param: "messages[0].content" },
  { label: "a user message with empty parts", body: { model: "echo", messages: [{ role: "user", content: [] }] }, param: "messages[0].content" },
  {
    label: "a tool message without tool_call_id",
    body: { model: "echo", messages: [...hi, { role: "tool", content: "42" }] },
    param: "messages[1].tool_call_id",
  },
  {
    label: "a text part without text",
    body: { model: "echo", messages: [{ role: "user", content: [{ type: "text" }] }] },
    param: "messages[0].content[0].text",
  },
  {
    label: "json_schema without name",
    body: { ...ok, response_format: { type: "json_schema", json_schema: { schema: { type: "object" } } } },
    param: "response_format.json_schema.name",
  },
  // Counts, name patterns, enum members and part kinds are the upstream's (test/request-acceptance.test.ts).
  { label: "stop with an empty list", body: { ...ok, stop: [] }, param: "stop" },
  { label: "stop as a number", body: { ...ok, stop: 5 }, param: "stop" },
  { label: "stream_options without stream", body: { ...ok, stream_options: { include_usage: true } }, param: "stream_options", stricterThanSpec: true },
  { label: "top_logprobs without logprobs", body: { ...ok, top_logprobs: 2 }, param: "top_logprobs", stricterThanSpec: true },
  { label: "prompt and messages together", body: { ...ok, prompt: "hi" }, param: "prompt", stricterThanSpec: true },
  { label: "an array body", body: [ok], param: null },
  { label: "a null body", body: null, param: null },
  { label: "a string body", body: "hello", param: null },
  { label: "a number body", body: 42, param: null },
];

describe("invalid request bodies get a 400 naming the field", () => {
  it.each(cases)("$label", async ({ body, param, stricterThanSpec }) => {
    // The spec is the reference: what it rejects the gateway must reject; the rest is our own rule.
    if (stricterThanSpec) expect(validateSpec("CreateChatCompletionRequest", body)).toEqual([]);
    else expect(validateSpec("CreateChatCompletionRequest", body)).not.toEqual([]);
    const error = await errorOf(await postRaw(JSON.stringify(body)), 400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe(param);
    if (param !== null) expect(error.message).toContain(param);
  });

  it("the same bodies are rejected when streaming", async () => {
    const error = await errorOf(await postRaw(JSON.stringify({ ...ok, stream: true, temperature: 3 })), 400);
    expect(error.param).toBe("temperature");
  });
});

describe("values at the edge of each range are served", () => {
  it.each<[string, Record<string, unknown>]>([
    ["temperature 0", { temperature: 0 }],
    ["temperature 2", { temperature: 2 }],
    ["top_p 0", { top_p: 0 }],
    ["top_p 1", { top_p: 1 }],
    ["n 1", { n: 1 }],
    ["n 128", { n: 128 }],
    ["presence_penalty -2", { presence_penalty: -2 }],
    ["frequency_penalty 2", { frequency_penalty: 2 }],
    ["top_logprobs 0", { logprobs: true, top_logprobs: 0 }],
    ["top_logprobs 20", { logprobs: true, top_logprobs: 20 }],
    ["logit_bias -100 and 100", { logit_bias: { "1": -100, "2": 100 } }],
    ["stop with 4 strings", { stop: ["a", "b", "c", "d"] }],
    ["max_tokens 1", { max_tokens: 1 }],
    ["null optional fields", { temperature: null, n: null, stop: null, logprobs: null, stream: null }],
  ])("%s", async (_label, extra) => {
    const body = { ...ok, ...extra };
    expect(validateSpec("CreateChatCompletionRequest", body)).toEqual([]);
    const res = await postRaw(JSON.stringify(body));
    statuses.push(res.status);
    const json: unknown = await res.json();
    expect(res.status, JSON.stringify(json)).toBe(200);
    expectSpec("CreateChatCompletionResponse", json);
  });
});

describe("unreadable bodies", () => {
  it.each([
    ["invalid JSON", "{bad"],
    ["truncated JSON", '{"model":"echo","messages":['],
    ["JSON with a trailing comma", '{"model":"echo",}'],
    ["an empty body", ""],
    ["a whitespace body", "  \n "],
  ])("%s is a 400", async (_label, raw) => {
    const error = await errorOf(await postRaw(raw), 400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBeNull();
  });

  it("no body at all is a 400", async () => {
    await errorOf(await postRaw(null), 400);
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"])(
    "content type %s is a 415",
    async (type) => {
      const error = await errorOf(await postRaw(JSON.stringify(ok), type), 415);
      expect(error.code).toBe("unsupported_media_type");
    },
  );

  it("accepts application/json with a charset", async () => {
    expect((await postRaw(JSON.stringify(ok), "application/json; charset=utf-8")).status).toBe(200);
  });

  it("reads a body without a content type as JSON", async () => {
    // fetch would add `text/plain` to a string body, so this goes through node:http.
    expect((await postParts(gateway, [JSON.stringify(ok)], {})).status).toBe(200);
    const bad = await postParts(gateway, ["{bad"], {});
    statuses.push(bad.status);
    expect(bad.status).toBe(400);
    expectSpec("ErrorResponse", JSON.parse(bad.body));
  });
});

describe("oversize bodies", () => {
  const big = JSON.stringify({ model: "echo", messages: [{ role: "user", content: "x ".repeat(LIMIT) }] });

  it("a body over the limit with a content-length is a 413", async () => {
    const error = await errorOf(await postRaw(big, "application/json", small), 413);
    expect(error.code).toBe("payload_too_large");
  });

  it("a body far over the limit still gets its 413", async () => {
    const huge = JSON.stringify({ model: "echo", messages: [{ role: "user", content: "z".repeat(5_000_000) }] });
    await errorOf(await postRaw(huge, "application/json", small), 413);
  });

  it("a chunked body over the limit is a 413", async () => {
    // No content-length: the limit must hold while reading, not only on the declared size.
    const parts = Array.from({ length: Math.ceil(big.length / 256) }, (_, i) => big.slice(i * 256, (i + 1) * 256));
    const res = await postParts(small, parts, { "content-type": "application/json" });
    statuses.push(res.status);
    expect(res.status).toBe(413);
    expectSpec("ErrorResponse", JSON.parse(res.body));
  });

  it("a body just under the limit is served", async () => {
    const body = JSON.stringify({ model: "echo", messages: [{ role: "user", content: "y".repeat(LIMIT - 100) }] });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(LIMIT);
    expect((await postRaw(body, "application/json", small)).status).toBe(200);
  });
});

describe("routing", () => {
  it("GET on /v1/chat/completions is a 405 that names the allowed method", async () => {
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`);
    expect(res.headers.get("allow")).toBe("POST");
    await errorOf(res, 405);
  });

  it("POST on /v1/models is a 405", async () => {
    await errorOf(await fetch(`${gateway.baseURL}/v1/models`, { method: "POST", body: "{}" }), 405);
  });

  it.each(["/v1/nope", "/nope", "/v1/chat/completion", "/v2/chat/completions"])("unknown path %s is a 404", async (path) => {
    const res = await fetch(gateway.baseURL + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ok) });
    await errorOf(res, 404);
  });

  it("an unknown model id on /v1/models/{id} is a 404", async () => {
    const error = await errorOf(await fetch(`${gateway.baseURL}/v1/models/no-such-model`), 404);
    expect(error.code).toBe("model_not_found");
  });
});

describe("after all of that", () => {
  it("no response was a 5xx", () => {
    expect(statuses.length).toBeGreaterThan(cases.length);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });

  it.each([
    ["the default gateway", () => gateway],
    ["the small-limit gateway", () => small],
  ])("%s still answers a normal request", async (_label, target) => {
    const res = await postRaw(JSON.stringify({ model: "echo", messages: [{ role: "user", content: "still alive" }] }), "application/json", target());
    expect(res.status).toBe(200);
    const body: unknown = await res.json();
    expectSpec("CreateChatCompletionResponse", body);
    expect((body as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content).toBe("still alive");
  });
});
