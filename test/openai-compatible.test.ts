/**
 * The openai-compatible provider end to end: a real gateway in front of a real fake upstream, both
 * on sockets. What the upstream says passes through untouched; what it does wrong becomes the right
 * status and an OpenAI error body; a client that leaves stops the upstream request.
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LanguruError, UpstreamError, TimeoutError, type ChatCompletionChunk } from "../client/index.js";
import { loadConfig } from "../server/config.js";
import { createOpenAICompatibleProvider } from "../server/providers/openai-compatible.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";
import { completion, delayed, drop, fail, hang, raw, startFakeUpstream, stream, type FakeUpstream, type Json } from "./helpers/fake-upstream.js";

const SECRET = "sk-test-secret-key-123456";
const QUICK_TIMEOUT_MS = 300;

let upstream: FakeUpstream;
let gateway: TestGateway;
let refusedURL: string;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  refusedURL = `http://127.0.0.1:${await closedPort()}/v1`;
});
afterAll(() => upstream.close());
// A gateway per test: whatever a failing upstream taught it (cooldowns, counters) stays in that test.
// One try per request: this file is about what one upstream call becomes; retries have their own suite.
beforeEach(async () => {
  upstream.reset();
  const { routing } = loadConfig({});
  gateway = await startGateway({
    routing: { ...routing, retry: { ...routing.retry, attempts: 1 } },
    providers: [
      upstreamProvider(upstream.baseURL, ["m1", { name: "alias", upstream: "real-model" }]),
      upstreamProvider(upstream.baseURL, ["quick"], { name: "fake-quick", timeoutMs: QUICK_TIMEOUT_MS }),
      upstreamProvider(refusedURL, ["refused"], { name: "nowhere" }),
    ],
  });
});
afterEach(() => gateway.close(100));

const user = [{ role: "user", content: "hi" }];

/** POSTs a body to the gateway's REST door; gives up after 5 s so that a hang fails fast. */
function post(body: Json, signal: AbortSignal = AbortSignal.timeout(5_000)): Promise<Response> {
  return fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

/** Reads a whole REST SSE body: the parsed `data:` frames, and whether it ended with exactly one `[DONE]`, last. */
async function readSse(res: Response): Promise<{ frames: Json[]; done: boolean; text: string }> {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const text = await res.text();
  const data = text
    .split("\n\n")
    .filter((event) => event.trim() !== "")
    .map((event) => {
      expect(event.startsWith("data: ")).toBe(true);
      return event.slice("data: ".length);
    });
  const doneAt = data.indexOf("[DONE]");
  return {
    frames: data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d) as Json),
    done: doneAt !== -1 && doneAt === data.length - 1 && data.lastIndexOf("[DONE]") === doneAt,
    text,
  };
}

/** Asserts an OpenAI error body with exactly the four fields, and returns it. */
async function errorBody(res: Response, status: number): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof body.error.message).toBe("string");
  return body.error;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves with what `promise` settles to, or "still open" after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | "still open"> {
  return Promise.race([promise, new Promise<"still open">((resolve) => setTimeout(() => resolve("still open"), ms).unref())]);
}

// A reply using everything a gateway might be tempted to drop or rewrite.
const RICH_COMPLETION: Json = {
  id: "chatcmpl-rich",
  object: "chat.completion",
  created: 1_700_000_123,
  model: "real-model-2025-01-01",
  system_fingerprint: "fp_fake",
  service_tier: "default",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: null,
        refusal: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
          { id: "call_2", type: "function", function: { name: "get_time", arguments: "{}" } },
        ],
        reasoning_content: "vendor extension on the message",
      },
      finish_reason: "tool_calls",
      logprobs: null,
      stop_reason: 128008,
    },
    {
      index: 1,
      message: { role: "assistant", content: "It is sunny.", refusal: null, annotations: [] },
      finish_reason: "stop",
      logprobs: {
        content: [
          {
            token: "It",
            logprob: -0.01,
            bytes: [73, 116],
            top_logprobs: [
              { token: "It", logprob: -0.01, bytes: [73, 116] },
              { token: "The", logprob: -4.5, bytes: null },
            ],
          },
          { token: " is", logprob: -0.2, bytes: [32, 105, 115], top_logprobs: [] },
        ],
        refusal: null,
      },
    },
  ],
  usage: {
    prompt_tokens: 12,
    completion_tokens: 34,
    total_tokens: 46,
    prompt_tokens_details: { cached_tokens: 4, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 10, accepted_prediction_tokens: 0 },
    vendor_cost_usd: 0.000123,
  },
  x_vendor: { region: "eu-north", trace: ["a", 1, null] },
};

const base = { id: "chatcmpl-rich", object: "chat.completion.chunk", created: 1_700_000_123, model: "real-model-2025-01-01", system_fingerprint: "fp_fake" };
const RICH_CHUNKS: Json[] = [
  { ...base, choices: [0, 1].map((index) => ({ index, delta: { role: "assistant", content: "" }, finish_reason: null, logprobs: null })), usage: null },
  {
    ...base,
    choices: [
      {
        index: 0,
        delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } }] },
        finish_reason: null,
        logprobs: null,
      },
      {
        index: 1,
        delta: { content: "It" },
        finish_reason: null,
        logprobs: { content: [{ token: "It", logprob: -0.01, bytes: [73, 116], top_logprobs: [] }], refusal: null },
      },
    ],
    usage: null,
    x_chunk_extra: { seq: 1 },
  },
  {
    ...base,
    choices: [
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":"Oslo"}' } }] }, finish_reason: null, logprobs: null },
      { index: 1, delta: { content: " is sunny.", reasoning_content: "hmm" }, finish_reason: null, logprobs: null },
    ],
    usage: null,
  },
  {
    ...base,
    choices: [
      { index: 0, delta: {}, finish_reason: "tool_calls", logprobs: null, stop_reason: null },
      { index: 1, delta: {}, finish_reason: "stop", logprobs: null },
    ],
    usage: null,
  },
  { ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46, completion_tokens_details: { reasoning_tokens: 10 } } },
];

describe("what the upstream answers passes through unchanged", () => {
  it("a whole completion with tool_calls, n > 1, logprobs, usage and unknown fields, over REST", async () => {
    upstream.script(completion(RICH_COMPLETION));
    const res = await post({ model: "alias", messages: user, n: 2, logprobs: true, top_logprobs: 2, tools: [] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(RICH_COMPLETION);
  });

  it("the same completion through the typed SDK", async () => {
    upstream.script(completion(RICH_COMPLETION));
    const result = await sdk(gateway).chat.completions({ model: "alias", messages: [{ role: "user", content: "hi" }], n: 2 });
    // `languru` is the gateway's own note of the route that answered, the one field it may add.
    const { languru: _route, ...body } = result as Json;
    expect(body).toEqual(RICH_COMPLETION);
  });

  it("every streamed chunk, in order, then [DONE], over REST", async () => {
    upstream.script(stream(RICH_CHUNKS));
    const sse = await readSse(await post({ model: "alias", messages: user, n: 2, stream: true, stream_options: { include_usage: true } }));
    expect(sse.frames).toEqual(RICH_CHUNKS);
    expect(sse.done).toBe(true);
  });

  it("every streamed chunk through the typed SDK", async () => {
    upstream.script(stream(RICH_CHUNKS));
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of sdk(gateway).chat.stream({ model: "alias", messages: [{ role: "user", content: "hi" }], n: 2 })) chunks.push(chunk);
    expect(chunks).toEqual(RICH_CHUNKS);
  });
});

describe("what the client sends reaches the upstream", () => {
  const request = {
    model: "alias",
    messages: [
      { role: "system", content: "be brief", x_cache: "ephemeral" },
      { role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] },
    ],
    temperature: 0.3,
    top_k: 40,
    repetition_penalty: 1.1,
    min_p: 0.05,
    guided_json: { type: "object", properties: { a: { type: "integer" } } },
    chat_template_kwargs: { enable_thinking: false },
  };

  it("unknown fields untouched, the alias rewritten to the upstream model, the provider's key", async () => {
    const res = await post(request);
    expect(res.status).toBe(200);
    const call = await upstream.call(0);
    expect(call.method).toBe("POST");
    expect(call.path).toBe("/v1/chat/completions");
    // Exactly what the client sent: a whole completion gains no `"stream": false` (issue 17).
    expect(call.body).toEqual({ ...request, model: "real-model" });
    expect(call.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(((await res.json()) as Json).model).toBe("real-model");
  });

  it("the same for a stream, with stream_options", async () => {
    const sse = await readSse(await post({ ...request, stream: true, stream_options: { include_usage: true } }));
    expect(sse.done).toBe(true);
    expect(sse.frames.at(-1)?.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    expect((await upstream.call(0)).body).toEqual({ ...request, model: "real-model", stream: true, stream_options: { include_usage: true } });
  });

  it("a model without an alias keeps its name", async () => {
    await post({ model: "m1", messages: user });
    expect((await upstream.call(0)).body.model).toBe("m1");
  });
});

// Failing upstreams keep failing (`otherwise`, not `script`), so that the answer would be the same
// with retries switched on.
describe("upstream errors become OpenAI error bodies with the right status", () => {
  it.each([
    { status: 400, type: "invalid_request_error", param: "temperature", code: "invalid_value", message: "Invalid value for 'temperature': must be at most 2." },
    { status: 401, type: "authentication_error", param: null, code: "invalid_api_key", message: "Your API key is not valid." },
    { status: 403, type: "permission_error", param: null, code: "unsupported_country", message: "Country, region, or territory not supported." },
    { status: 404, type: "invalid_request_error", param: "model", code: "model_not_found", message: "The model 'real-model' does not exist." },
    { status: 429, type: "requests", param: null, code: "rate_limit_exceeded", message: "Rate limit reached for requests per min. Please try again in 7s." },
  ])("upstream $status keeps its status, message and fields", async ({ status, ...error }) => {
    const headers: Record<string, string> = status === 429 ? { "retry-after": "7", "retry-after-ms": "0" } : {};
    upstream.otherwise(fail(status, error.message, { ...error, headers }));
    const res = await post({ model: "alias", messages: user });
    expect(await errorBody(res, status)).toEqual(error);
    expect(res.headers.get("retry-after")).toBe(status === 429 ? "7" : null);
  });

  it("a 429 before the first chunk of a stream is a plain 429, not an SSE body", async () => {
    upstream.otherwise(fail(429, "Slow down.", { code: "rate_limit_exceeded", headers: { "retry-after": "3", "retry-after-ms": "1" } }));
    const res = await post({ model: "alias", messages: user, stream: true });
    expect(await errorBody(res, 429)).toMatchObject({ message: "Slow down.", code: "rate_limit_exceeded" });
    expect(res.headers.get("retry-after")).toBe("3");
    expect(res.headers.get("retry-after-ms")).toBe("1");
  });

  it.each([500, 503])("upstream %i becomes 502", async (status) => {
    upstream.otherwise(fail(status, "The server had an error while processing your request.", { headers: { "retry-after-ms": "0" } }));
    const error = await errorBody(await post({ model: "alias", messages: user }), 502);
    expect(error).toMatchObject({ type: "api_error", param: null, code: "upstream_error" });
    expect(error.message).toContain(String(status));
    // Issue 7: an upstream's 5xx text (internal URLs, versions) goes to the log, not to the client.
    expect(error.message).not.toContain("The server had an error");
  });

  it("an HTML error page from a proxy in front of the upstream becomes 502", async () => {
    upstream.otherwise(raw(503, "<html><body>503 Service Temporarily Unavailable</body></html>", { "content-type": "text/html", "retry-after-ms": "0" }));
    const error = await errorBody(await post({ model: "alias", messages: user }), 502);
    expect(error.code).toBe("upstream_error");
  });

  it("a refused connection becomes 502", async () => {
    const error = await errorBody(await post({ model: "refused", messages: user }), 502);
    expect(error).toMatchObject({ type: "api_error", param: null, code: "upstream_error" });
    expect(error.message).toContain("nowhere");
  });

  it("a connection cut before any answer becomes 502", async () => {
    upstream.otherwise(drop());
    const error = await errorBody(await post({ model: "alias", messages: user }), 502);
    expect(error.code).toBe("upstream_error");
    expect((await upstream.call(0)).outcome).toBe("dropped");
  });

  it("a refused connection for a stream becomes a plain 502", async () => {
    await errorBody(await post({ model: "refused", messages: user, stream: true }), 502);
  });

  it("a hang beyond the provider's timeoutMs becomes 504, and the upstream request is abandoned", async () => {
    upstream.otherwise(hang());
    const started = Date.now();
    const error = await errorBody(await post({ model: "quick", messages: user }), 504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(QUICK_TIMEOUT_MS - 20);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(error).toMatchObject({ type: "api_error", param: null, code: "upstream_timeout" });
    expect(await within((await upstream.call(0)).ended, 1_000)).toBe("aborted");
  });

  it("a stream whose headers hang beyond timeoutMs becomes a plain 504", async () => {
    upstream.otherwise(hang());
    const error = await errorBody(await post({ model: "quick", messages: user, stream: true }), 504);
    expect(error.code).toBe("upstream_timeout");
  });

  it("an answer slower than timeoutMs but quicker per chunk is not cut", async () => {
    upstream.script(stream(undefined, { delayMs: QUICK_TIMEOUT_MS / 3 }));
    const sse = await readSse(await post({ model: "quick", messages: user, stream: true }));
    expect(sse.frames.map((f) => f.error).filter(Boolean)).toEqual([]);
    expect(sse.frames).toHaveLength(5);
    expect(sse.done).toBe(true);
  });

  it("a body that hangs after the headers becomes 504, not a request that never ends", async () => {
    upstream.otherwise(async (exchange) => {
      exchange.res.writeHead(200, { "content-type": "application/json" });
      await exchange.write('{"id":"chatcmpl-');
      await hang()(exchange);
    });
    const error = await errorBody(await post({ model: "quick", messages: user }), 504);
    expect(error.code).toBe("upstream_timeout");
    expect(await within((await upstream.call(0)).ended, 1_000)).toBe("aborted");
  });

  it("a 200 that is not JSON becomes 502, not a 200 with a string body", async () => {
    upstream.otherwise(raw(200, "<html>captive portal</html>"));
    const error = await errorBody(await post({ model: "alias", messages: user }), 502);
    expect(error.code).toBe("upstream_error");
  });

  it("a 200 with broken JSON becomes 502", async () => {
    upstream.otherwise(raw(200, '{"id":"chatcmpl-1","choices":[', { "content-type": "application/json" }));
    const error = await errorBody(await post({ model: "alias", messages: user }), 502);
    expect(error.code).toBe("upstream_error");
  });
});

describe("failures after a stream started", () => {
  const two = (request: Json) => RICH_CHUNKS.slice(0, 2).map((c) => ({ ...c, model: request.model }));

  it("a dropped connection: the chunks so far, one error frame, then [DONE]", async () => {
    upstream.script(stream(RICH_CHUNKS, { dropAfter: 2 }));
    const sse = await readSse(await post({ model: "alias", messages: user, stream: true }));
    expect(sse.frames.slice(0, 2)).toEqual(RICH_CHUNKS.slice(0, 2));
    expect(sse.frames).toHaveLength(3);
    const error = sse.frames[2]?.error as Json;
    expect(Object.keys(sse.frames[2] ?? {})).toEqual(["error"]);
    expect(error).toMatchObject({ type: "api_error", param: null, code: "upstream_error" });
    expect(typeof error.message).toBe("string");
    expect(sse.done).toBe(true);
    expect((await upstream.call(0)).outcome).toBe("dropped");
  });

  it("a dropped connection through the typed SDK: the chunks, then an UpstreamError", async () => {
    upstream.script(stream(RICH_CHUNKS, { dropAfter: 2 }));
    const chunks: ChatCompletionChunk[] = [];
    const consume = async () => {
      for await (const chunk of sdk(gateway).chat.stream({ model: "alias", messages: [{ role: "user", content: "hi" }] })) chunks.push(chunk);
    };
    const error = await consume().then(
      () => null,
      (err: unknown) => err,
    );
    expect(chunks).toEqual(RICH_CHUNKS.slice(0, 2));
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(502);
    expect((error as UpstreamError).code).toBe("upstream_error");
  });

  it("an error event inside the stream becomes the error frame, relaying the upstream's message, type and code", async () => {
    upstream.script(
      stream((request) => [...two(request), { error: { message: "The model is overloaded.", type: "server_error", param: null, code: "overloaded_x1" } }]),
    );
    const sse = await readSse(await post({ model: "alias", messages: user, stream: true }));
    expect(sse.frames).toHaveLength(3);
    expect(sse.frames[2]).toEqual({ error: { message: "The model is overloaded.", type: "server_error", param: null, code: "overloaded_x1" } });
    expect(sse.done).toBe(true);
  });

  it("malformed SSE becomes the error frame", async () => {
    upstream.script(stream((request) => [...two(request), 'data: {"id": "chatcmpl-rich", "choices": [\n\n']));
    const sse = await readSse(await post({ model: "alias", messages: user, stream: true }));
    expect(sse.frames).toHaveLength(3);
    expect(sse.frames[2]).toEqual({ error: expect.objectContaining({ type: "api_error", code: "upstream_error" }) });
    expect(sse.done).toBe(true);
  });

  it("a stream that goes quiet for longer than timeoutMs ends with a timeout frame", async () => {
    upstream.script(stream(undefined, { hangAfter: 2 }));
    const started = Date.now();
    const sse = await readSse(await post({ model: "quick", messages: user, stream: true }));
    expect(Date.now() - started).toBeLessThan(QUICK_TIMEOUT_MS + 1_000);
    expect(sse.frames).toHaveLength(3);
    expect(sse.frames[2]).toEqual({ error: expect.objectContaining({ type: "api_error", code: "upstream_timeout" }) });
    expect(sse.done).toBe(true);
    expect(await within((await upstream.call(0)).ended, 1_000)).toBe("aborted");
  });
});

describe("the provider key never reaches a client", () => {
  const quoting = `Incorrect API key provided: ${SECRET}. You can find your API key at https://platform.openai.com/account/api-keys.`;
  const masked = "Incorrect API key provided: sk-test-*************3456.";

  it.each([
    { name: "a 401 quoting the key", status: 401, message: quoting },
    { name: "a 401 quoting the masked key", status: 401, message: masked },
    { name: "a 400 naming the key in param", status: 400, message: `bad key ${SECRET}`, param: SECRET },
    { name: "a 500 quoting the key", status: 500, message: `upstream saw key=${SECRET}` },
  ])("REST: $name", async ({ status, message, param }) => {
    upstream.otherwise(fail(status, message, { param: param ?? null, headers: { "retry-after-ms": "0" } }));
    const res = await post({ model: "alias", messages: user });
    expect(res.status).toBe(status === 500 ? 502 : status);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("secret-key");
    expect(text).not.toContain("3456");
    // 4xx messages are relayed redacted; 5xx ones not at all (issue 7).
    if (status < 500) expect(text).toContain("[redacted]");
  });

  it("REST stream: an error event quoting the key", async () => {
    upstream.script(stream((request) => [{ ...(RICH_CHUNKS[0] as Json), model: request.model }, { error: { message: quoting, type: "server_error" } }]));
    const sse = await readSse(await post({ model: "alias", messages: user, stream: true }));
    expect(sse.frames).toHaveLength(2);
    expect(sse.text).not.toContain(SECRET);
    expect(sse.text).toContain("Incorrect API key provided: [redacted]");
  });

  it("SDK: a 401 quoting the key", async () => {
    upstream.script(fail(401, quoting, { code: "invalid_api_key" }));
    const error = await sdk(gateway)
      .chat.completions({ model: "alias", messages: [{ role: "user", content: "hi" }] })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(LanguruError);
    expect((error as LanguruError).status).toBe(401);
    expect(JSON.stringify({ ...(error as LanguruError), message: (error as LanguruError).message })).not.toContain(SECRET);
    expect((error as LanguruError).message).toContain("[redacted]");
  });
});

describe("a client that leaves stops the upstream request", () => {
  it("aborting a REST stream mid-way aborts the upstream request, even while the upstream is silent", async () => {
    // After two chunks the upstream goes quiet: only the abort signal, not the next chunk, can stop it.
    upstream.script(stream(undefined, { hangAfter: 2 }));
    const controller = new AbortController();
    const res = await post({ model: "alias", messages: user, stream: true }, controller.signal);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("data: ");
    const call = await upstream.call(0);
    expect(call.outcome).toBe("open");
    controller.abort();
    expect(await within(call.ended, 1_000)).toBe("aborted");
  });

  it("aborting a REST request that waits for a whole completion aborts the upstream request", async () => {
    upstream.script(delayed(3_000, completion()));
    const controller = new AbortController();
    const pending = post({ model: "alias", messages: user }, controller.signal).catch((err: unknown) => err);
    const call = await upstream.call(0);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await within(call.ended, 1_000)).toBe("aborted");
  });

  it("breaking out of an SDK stream aborts the upstream request", async () => {
    upstream.script(stream(undefined, { delayMs: 100 }));
    for await (const chunk of sdk(gateway).chat.stream({ model: "alias", messages: [{ role: "user", content: "hi" }] })) {
      expect(chunk.object).toBe("chat.completion.chunk");
      break;
    }
    expect(await within((await upstream.call(0)).ended, 1_000)).toBe("aborted");
  });
});

describe("timeouts through the typed SDK", () => {
  it("a hang beyond timeoutMs is a TimeoutError", async () => {
    upstream.otherwise(hang());
    const error = await sdk(gateway)
      .chat.completions({ model: "quick", messages: [{ role: "user", content: "hi" }] })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).status).toBe(504);
  });
});

// What the layers above the provider (retries, per-model timeouts) rely on.
describe("the provider on its own", () => {
  const provider = () => createOpenAICompatibleProvider(upstreamProvider(upstream.baseURL, ["quick"], { timeoutMs: QUICK_TIMEOUT_MS }));
  const request = { model: "quick", messages: [{ role: "user" as const, content: "hi" }] };

  it("a stream whose caller aborts mid-way throws an `aborted` error instead of ending as if complete", async () => {
    upstream.script(stream(undefined, { hangAfter: 2 }));
    const controller = new AbortController();
    const chunks: ChatCompletionChunk[] = [];
    const consume = async () => {
      for await (const chunk of await provider().stream(request, controller.signal)) {
        chunks.push(chunk);
        if (chunks.length === 2) controller.abort();
      }
    };
    const error = await consume().then(
      () => null,
      (err: unknown) => err,
    );
    expect(chunks).toHaveLength(2);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe("aborted");
    expect(await within((await upstream.call(0)).ended, 1_000)).toBe("aborted");
  });

  it("a consumer slower than timeoutMs is not the upstream's silence", async () => {
    upstream.script(stream());
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of await provider().stream(request, new AbortController().signal)) {
      chunks.push(chunk);
      if (chunks.length === 1) await new Promise((resolve) => setTimeout(resolve, QUICK_TIMEOUT_MS + 200));
    }
    expect(chunks).toHaveLength(5);
  });

  it("a 200 carrying an error body is an UpstreamError relaying the upstream's report, redacted", async () => {
    upstream.script(completion({ error: { message: `quota exceeded for ${SECRET}`, type: "server_error" } }));
    const error = await provider()
      .complete(request, new AbortController().signal)
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).message).toBe("quota exceeded for [redacted]");
    expect((error as UpstreamError).type).toBe("server_error");
  });
});
