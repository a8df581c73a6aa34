/**
 * Issue 17 items 1 and 2, issue 16 item 11 (redirects): an upstream's error answer reaches the
 * client with its content whatever dialect it speaks (OpenAI's, vLLM/SGLang's, Anthropic's,
 * Ollama/TGI's, plain text, HTML), mid-stream errors (OpenAI's error event, OpenRouter's error
 * chunk) are relayed rather than replaced by a generic line, 529 is a retryable 503, and what the
 * gateway hides on purpose (5xx bodies, redirects) stays hidden. Seen through the official openai
 * client and raw fetch, against a real gateway and a real fake upstream.
 */
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type ModelSettings } from "../server/config.js";
import { json, raw, startFakeUpstream, stream, type FakeUpstream, type Json } from "./helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";

let upstream: FakeUpstream;
let gateway: TestGateway;
let client: OpenAI;

const { routing } = loadConfig({});
const CONTEXT_FALLBACK: ModelSettings = {
  name: "small",
  aliases: [],
  deployments: [{ provider: "fake", model: "small-upstream", weight: 1 }],
  strategy: "weighted",
  fallbacks: [],
  contextWindowFallbacks: ["big"],
};

beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream.close());
beforeEach(async () => {
  upstream.reset();
  gateway = await startGateway({
    routing: { ...routing, retry: { ...routing.retry, attempts: 2, baseDelayMs: 1, maxDelayMs: 5 } },
    providers: [upstreamProvider(upstream.baseURL, ["m1", "big"])],
    models: [CONTEXT_FALLBACK],
  });
  client = new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterEach(() => gateway.close(100));

const messages = [{ role: "user" as const, content: "hi" }];

async function caught(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await call.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  return error as InstanceType<typeof OpenAI.APIError>;
}

describe("error bodies of every common shape keep their message, type and code", () => {
  const maxContext = "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens in the messages.";
  it.each([
    {
      name: "vLLM / SGLang",
      answer: json(400, { object: "error", message: maxContext, type: "BadRequestError", param: null, code: 400 }),
      status: 400,
      message: maxContext,
      type: "BadRequestError",
      code: "400",
    },
    {
      name: "Anthropic",
      answer: json(404, { type: "error", error: { type: "not_found_error", message: "model: claude-nope" } }),
      status: 404,
      message: "model: claude-nope",
      type: "not_found_error",
      code: null,
    },
    {
      name: "Ollama",
      answer: json(404, { error: "model 'llama9' not found, try pulling it first" }),
      status: 404,
      message: "model 'llama9' not found, try pulling it first",
      type: "invalid_request_error",
      code: null,
    },
    {
      name: "TGI",
      answer: json(422, { error: "Input validation error: `inputs` must have less than 2048 tokens", error_type: "validation" }),
      status: 422,
      message: "Input validation error: `inputs` must have less than 2048 tokens",
      type: "validation",
      code: null,
    },
    {
      name: "Mistral (a top-level message)",
      answer: json(401, { message: "Unauthorized", request_id: "7f3c0d9e" }),
      status: 401,
      message: "Unauthorized",
      type: "authentication_error",
      code: null,
    },
    {
      name: "FastAPI (detail)",
      answer: json(404, { detail: "Not Found" }),
      status: 404,
      message: "Not Found",
      type: "invalid_request_error",
      code: null,
    },
    {
      name: "text/plain with its status in front",
      answer: raw(400, "400 Bad Request: missing field `messages`\n", { "content-type": "text/plain" }),
      status: 400,
      message: "Bad Request: missing field `messages`",
      type: "invalid_request_error",
      code: null,
    },
    {
      name: "an HTML page",
      answer: raw(403, "<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body><h1>nginx</h1></body></html>"),
      status: 403,
      message: "Forbidden",
      type: "permission_error",
      code: null,
    },
  ])("$name", async ({ answer, status, message, type, code }) => {
    upstream.otherwise(answer);
    const error = await caught(client.chat.completions.create({ model: "m1", messages }));
    expect(error.status).toBe(status);
    // The SDK words it `<status> <message>`: the message has no quotes, no JSON and no second status.
    expect(error.message).toBe(`${status} ${message}`);
    expect(error.type).toBe(type);
    expect(error.code ?? null).toBe(code);
  });

  it("vLLM's context-window error (not OpenAI-shaped) switches to the context-window fallback", async () => {
    upstream.script(json(400, { object: "error", message: maxContext, type: "BadRequestError", param: null, code: 400 }));
    const reply = await client.chat.completions.create({ model: "small", messages });
    expect(reply.choices[0]?.message.content).toBe("hello from big");
    expect(upstream.calls.map((c) => c.body.model)).toEqual(["small-upstream", "big"]);
  });
});

describe("what the gateway hides on purpose, and overload", () => {
  it("Anthropic's 529 overloaded_error is a 503 that was retried, its body not relayed", async () => {
    upstream.otherwise(json(529, { type: "error", error: { type: "overloaded_error", message: "Overloaded at 10.0.3.7" } }, { "retry-after": "0" }));
    const error = await caught(client.chat.completions.create({ model: "m1", messages }));
    expect(error.status).toBe(503);
    expect(error.message).not.toContain("10.0.3.7");
    expect(upstream.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(2);
  });

  it.each([301, 302, 307])("an upstream %i is a 502 with neither its body nor its location", async (status) => {
    upstream.otherwise(raw(status, "<a href='http://10.0.0.9/login'>moved</a>", { location: "http://10.0.0.9/login", "content-type": "text/html" }));
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m1", messages }),
      redirect: "manual",
    });
    expect(res.status).toBe(502);
    expect(res.headers.get("location")).toBeNull();
    const text = await res.text();
    expect(text).not.toContain("10.0.0.9");
    expect(JSON.parse(text)).toMatchObject({ error: { type: "api_error", code: "upstream_error" } });
  });

  it("a 5xx body stays in the log", async () => {
    upstream.otherwise(json(500, { error: { message: "db at 10.1.2.3 down", type: "server_error" } }, { "retry-after-ms": "0" }));
    const error = await caught(client.chat.completions.create({ model: "m1", messages }));
    expect(error.status).toBe(502);
    expect(error.message).not.toContain("10.1.2.3");
  });
});

describe("errors inside a stream are relayed", () => {
  const head = (request: Json): Json[] => [
    {
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: request.model,
      choices: [{ index: 0, delta: { role: "assistant", content: "Hel" }, finish_reason: null }],
    },
  ];

  it("OpenAI's error event mid-stream: the official client throws the upstream's message", async () => {
    const error = { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", code: "overloaded_x1" };
    upstream.otherwise(stream((request) => [...head(request), { error }]));
    const received: string[] = [];
    const thrown = await caught(
      (async () => {
        const chunks = await client.chat.completions.create({ model: "m1", messages, stream: true });
        for await (const chunk of chunks) received.push(chunk.choices[0]?.delta.content ?? "");
      })(),
    );
    expect(received).toEqual(["Hel"]);
    expect(thrown.message).toBe(error.message);
    expect(thrown.code).toBe("overloaded_x1");
    expect(thrown.type).toBe("server_error");
  });

  it("OpenRouter's error chunk (code, metadata, finish_reason error) becomes the error frame, not a lost chunk", async () => {
    upstream.otherwise(
      stream((request) => [
        ": OPENROUTER PROCESSING\n\n",
        ...head(request),
        {
          id: "gen-1",
          object: "chat.completion.chunk",
          created: 1,
          model: request.model,
          provider: "SomeProvider",
          error: { code: 502, message: "Provider returned error", metadata: { raw: "upstream at 10.9.9.9", provider_name: "SomeProvider" } },
          choices: [{ index: 0, delta: { content: "" }, finish_reason: "error", native_finish_reason: "error" }],
        },
      ]),
    );
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m1", messages, stream: true }),
    });
    const frames = (await res.text())
      .split("\n\n")
      .filter((f) => f.startsWith("data: "))
      .map((f) => f.slice(6));
    expect(frames.at(-1)).toBe("[DONE]");
    expect(JSON.parse(frames.at(-2) as string)).toEqual({ error: { message: "Provider returned error", type: "api_error", param: null, code: "502" } });
    expect(frames.join("")).not.toContain("10.9.9.9");
  });

  it("vLLM's error object mid-stream is relayed as the error frame", async () => {
    upstream.otherwise(
      stream((request) => [...head(request), { object: "error", message: "Engine loop died", type: "InternalServerError", param: null, code: 500 }]),
    );
    const thrown = await caught(
      (async () => {
        for await (const _chunk of await client.chat.completions.create({ model: "m1", messages, stream: true }));
      })(),
    );
    expect(thrown.message).toBe("Engine loop died");
    expect(thrown.code).toBe("500");
  });

  it("an error type that names an Object property is no status of its own (a 502)", async () => {
    upstream.otherwise(stream([{ error: { message: "odd", type: "constructor", code: "toString" } }]));
    const error = await caught(client.chat.completions.create({ model: "m1", messages, stream: true }));
    expect(error.status).toBe(502);
    expect(error.message).toBe("502 odd");
  });

  it("an error event before any chunk is a plain HTTP error with the status its type names", async () => {
    upstream.otherwise(stream([{ error: { message: "'messages' must not be empty", type: "invalid_request_error", param: "messages", code: null } }]));
    const error = await caught(client.chat.completions.create({ model: "m1", messages, stream: true }));
    expect(error.status).toBe(400);
    expect(error.message).toBe("400 'messages' must not be empty");
    expect(error.param).toBe("messages");
    // A caller's mistake is not retried.
    expect(upstream.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(1);
  });
});
