/**
 * The OpenAI-compatible REST door against a real gateway: the official `openai` client and raw
 * fetch, every body checked against the OpenAI OpenAPI document.
 */
import OpenAI, { APIUserAbortError, BadRequestError, NotFoundError } from "openai";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startGateway, type TestGateway } from "./helpers/gateway.js";
import { expectSpec } from "./helpers/spec.js";

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway?.close(100));

/** The official client on `<gateway><prefix>`; no retries, so a failure shows as it happened. */
function openai(prefix = "/v1"): OpenAI {
  return new OpenAI({ baseURL: gateway.baseURL + prefix, apiKey: "unused", maxRetries: 0 });
}

/** The echo model's notion of a token. */
function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== "");
}

function user(content: string) {
  return { role: "user" as const, content };
}

/** POSTs a JSON body with fetch. */
function post(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(gateway.baseURL + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });
}

/** Reads a JSON response, checks its content type, and validates it against `schema`. */
async function jsonOf<T>(res: Response, schema: "CreateChatCompletionResponse" | "ErrorResponse" | "ListModelsResponse" | "Model"): Promise<T> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json\b/);
  const body: unknown = await res.json();
  expectSpec(schema, body);
  return body as T;
}

/**
 * Reads an SSE body and checks OpenAI's framing byte for byte: only `data: <json>\n\n` frames,
 * then exactly one `data: [DONE]\n\n`, then the end of the body. Each chunk is spec-validated.
 */
async function sseOf(res: Response): Promise<ChatCompletionChunk[]> {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream\b/);
  const text = new TextDecoder("utf-8", { fatal: true }).decode(await res.arrayBuffer());
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  const frames = text.split("\n\n");
  expect(frames.pop()).toBe("");
  expect(frames.pop()).toBe("data: [DONE]");
  const chunks = frames.map((frame) => {
    expect(frame).toMatch(/^data: \{[^\r\n]*\}$/);
    const chunk: unknown = JSON.parse(frame.slice("data: ".length));
    expectSpec("CreateChatCompletionStreamResponse", chunk);
    return chunk as ChatCompletionChunk;
  });
  // Re-framing the parsed frames gives back the exact bytes: no stray whitespace, comments or fields.
  expect(`${frames.map((f) => `${f}\n\n`).join("")}data: [DONE]\n\n`).toBe(text);
  return chunks;
}

/** Collects an SDK stream, validating every chunk. */
async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) {
    expectSpec("CreateChatCompletionStreamResponse", chunk);
    chunks.push(chunk);
  }
  return chunks;
}

/** The text of each choice index, joined over all chunks. */
function joined(chunks: ChatCompletionChunk[]): string[] {
  const out: string[] = [];
  for (const chunk of chunks) {
    for (const choice of chunk.choices) out[choice.index] = (out[choice.index] ?? "") + (choice.delta.content ?? "");
  }
  return out;
}

/** Checks the echo model's streaming shape (role chunk, one word per chunk, finish chunk, optional usage chunk); returns each choice's pieces. */
function expectEchoStream(chunks: ChatCompletionChunk[], options: { n?: number; finish: string; usage?: boolean }): string[][] {
  const n = options.n ?? 1;
  const ids = new Set(chunks.map((c) => c.id));
  expect(ids.size).toBe(1);
  expect([...ids][0]).toMatch(/^chatcmpl-/);
  expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
  expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "echo")).toBe(true);

  const body = options.usage ? chunks.slice(0, -1) : chunks;
  const [first, ...rest] = body;
  const last = rest.pop();
  expect(first?.choices).toHaveLength(n);
  for (const choice of first?.choices ?? []) expect(choice.delta).toEqual({ role: "assistant", content: "" });
  expect(last?.choices.map((c) => c.finish_reason)).toEqual(Array(n).fill(options.finish));
  for (const choice of last?.choices ?? []) expect(choice.delta.content ?? "").toBe("");

  const pieces: string[][] = Array.from({ length: n }, () => []);
  for (const chunk of rest) {
    expect(chunk.choices).toHaveLength(n);
    for (const choice of chunk.choices) {
      expect(choice.finish_reason).toBeNull();
      expect(choice.delta.role).toBeUndefined();
      pieces[choice.index]!.push(choice.delta.content ?? "");
    }
  }
  for (const list of pieces) {
    // One word per content chunk: the first bare, the rest with their leading space.
    for (const [i, piece] of list.entries()) expect(piece).toMatch(i === 0 ? /^\S+$/ : /^ \S+$/);
  }
  if (options.usage) {
    expect(chunks.slice(0, -1).every((c) => c.usage == null)).toBe(true);
    expect(chunks.at(-1)?.choices).toEqual([]);
  } else {
    expect(chunks.every((c) => c.usage == null)).toBe(true);
  }
  return pieces;
}

describe.each(["/v1", ""])("the official openai client on '%s'", (prefix) => {
  it("creates a whole completion", async () => {
    const text = "the quick brown fox jumps";
    const completion = await openai(prefix).chat.completions.create({ model: "echo", messages: [user(text)] });
    expectSpec("CreateChatCompletionResponse", completion);
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe("echo");
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: "stop", logprobs: null, message: { role: "assistant", content: text } });
    const n = words(text).length;
    expect(completion.usage).toMatchObject({ prompt_tokens: n, completion_tokens: n, total_tokens: 2 * n });
  });

  it("streams one word per chunk", async () => {
    const text = "alpha beta gamma delta";
    const stream = await openai(prefix).chat.completions.create({ model: "echo", messages: [user(text)], stream: true });
    const chunks = await collect(stream);
    expect(joined(chunks)).toEqual([text]);
    const [pieces] = expectEchoStream(chunks, { finish: "stop" });
    expect(pieces?.map((p) => p.trim())).toEqual(words(text));
  });

  it("ends with a usage chunk when stream_options.include_usage is set", async () => {
    const text = "one two three";
    const stream = await openai(prefix).chat.completions.create({
      model: "echo",
      messages: [{ role: "system", content: "be brief" }, user(text)],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    expectEchoStream(chunks, { finish: "stop", usage: true });
    const prompt = words("be brief").length + words(text).length;
    const completion = words(text).length;
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });
  });

  it("lists the echo model", async () => {
    const page = await openai(prefix).models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain("echo");
    for (const model of page.data) expectSpec("Model", model);
    const echo = await openai(prefix).models.retrieve("echo");
    expectSpec("Model", echo);
    expect(echo).toMatchObject({ id: "echo", object: "model" });
  });

  it("raises NotFoundError for an unknown model, whole or streamed", async () => {
    const client = openai(prefix);
    for (const stream of [false, true]) {
      const err: unknown = await client.chat.completions.create({ model: "no-such-model", messages: [user("x")], stream }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(NotFoundError);
      const notFound = err as NotFoundError;
      expect(notFound.status).toBe(404);
      expect(notFound.code).toBe("model_not_found");
      expect(notFound.param).toBe("model");
      expectSpec("ErrorResponse", { error: notFound.error });
    }
    await expect(client.models.retrieve("no-such-model")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("raises BadRequestError naming the field", async () => {
    const err: unknown = await openai(prefix)
      .chat.completions.create({ model: "echo", messages: [user("x")], temperature: 3 })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(BadRequestError);
    const bad = err as BadRequestError;
    expect(bad.status).toBe(400);
    expect(bad.param).toBe("temperature");
    expect(bad.type).toBe("invalid_request_error");
    expectSpec("ErrorResponse", { error: bad.error });
  });
});

describe("aborting a stream", () => {
  /** Wraps the gateway's chat service so a test sees the signal and how far generation got. */
  function watchStreams() {
    const chat = gateway.services.chat;
    const original = chat.stream.bind(chat);
    const seen: { signal?: AbortSignal; produced: number; finished: boolean } = { produced: 0, finished: false };
    const spy = vi.spyOn(chat, "stream").mockImplementation(async (request, options) => {
      seen.signal = options.signal;
      const routed = await original(request, options);
      const inner = routed.value;
      const counted = (async function* () {
        try {
          for await (const chunk of inner) {
            seen.produced++;
            yield chunk;
          }
        } finally {
          seen.finished = true;
        }
      })();
      return { ...routed, value: counted };
    });
    return { seen, restore: () => spy.mockRestore() };
  }

  const longText = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
  // The openai SDK passes body fields it does not know through unchanged.
  const slowBody = { model: "echo", messages: [user(longText)], stream: true, echo_delay_ms: 30 } as ChatCompletionCreateParamsStreaming;

  it("with an AbortController stops the generation on the server", async () => {
    const { seen, restore } = watchStreams();
    try {
      const controller = new AbortController();
      const stream = await openai().chat.completions.create(slowBody, { signal: controller.signal });
      const received: string[] = [];
      const started = Date.now();
      // The SDK ends the iteration quietly when its own signal aborts a stream.
      for await (const chunk of stream) {
        received.push(chunk.choices[0]?.delta.content ?? "");
        if (received.length === 4) controller.abort();
      }
      expect(stream.controller.signal.aborted).toBe(true);
      expect(received.length).toBeLessThan(words(longText).length);
      expect(Date.now() - started).toBeLessThan(30 * words(longText).length);

      await vi.waitFor(() => expect(seen.signal?.aborted).toBe(true));
      await vi.waitFor(() => expect(seen.finished).toBe(true));
      const producedAtAbort = seen.produced;
      await new Promise((r) => setTimeout(r, 150));
      expect(seen.produced).toBe(producedAtAbort);
      expect(seen.produced).toBeLessThan(words(longText).length);
    } finally {
      restore();
    }
  });

  it("by breaking out of the loop stops the generation too", async () => {
    const { seen, restore } = watchStreams();
    try {
      const stream = await openai().chat.completions.create(slowBody);
      let count = 0;
      for await (const _chunk of stream) {
        if (++count === 3) break;
      }
      await vi.waitFor(() => expect(seen.signal?.aborted).toBe(true));
      await vi.waitFor(() => expect(seen.finished).toBe(true));
      expect(seen.produced).toBeLessThan(words(longText).length);
    } finally {
      restore();
    }
  });

  it("before the response arrives rejects with APIUserAbortError", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(openai().chat.completions.create(slowBody, { signal: controller.signal })).rejects.toBeInstanceOf(APIUserAbortError);
  });

  it("leaves the gateway serving", async () => {
    const completion = await openai().chat.completions.create({ model: "echo", messages: [user("still here")] });
    expect(completion.choices[0]?.message.content).toBe("still here");
  });
});

describe("the seed document's shape", () => {
  const prompt = "one two three four five six seven";
  const seed = { model: "echo", prompt, max_tokens: 5, temperature: 0.7 };

  it.each(["/v1/chat/completions", "/chat/completions"])("works without streaming on %s", async (path) => {
    const res = await post(path, { ...seed, stream: false });
    expect(res.status).toBe(200);
    const body = await jsonOf<ChatCompletion>(res, "CreateChatCompletionResponse");
    expect(body.choices[0]?.message.content).toBe(words(prompt).slice(0, 5).join(" "));
    expect(body.choices[0]?.finish_reason).toBe("length");
    expect(body.usage).toMatchObject({ prompt_tokens: words(prompt).length, completion_tokens: 5, total_tokens: words(prompt).length + 5 });
  });

  it.each(["/v1/chat/completions", "/chat/completions"])("streams on %s", async (path) => {
    const chunks = await sseOf(await post(path, { ...seed, stream: true }));
    expect(joined(chunks)).toEqual([words(prompt).slice(0, 5).join(" ")]);
    expectEchoStream(chunks, { finish: "length" });
  });

  it("works through the openai client", async () => {
    const completion = await openai().chat.completions.create(seed as unknown as ChatCompletionCreateParamsNonStreaming);
    expectSpec("CreateChatCompletionResponse", completion);
    expect(completion.choices[0]?.message.content).toBe(words(prompt).slice(0, 5).join(" "));
  });

  it("rejects prompt and messages together with a 400", async () => {
    const res = await post("/v1/chat/completions", { ...seed, messages: [user("x")] });
    expect(res.status).toBe(400);
    const body = await jsonOf<{ error: { param: string | null } }>(res, "ErrorResponse");
    expect(body.error.param).toBe("prompt");
  });
});

describe("raw HTTP", () => {
  it.each(["/v1/chat/completions", "/chat/completions"])("POST %s returns a JSON completion", async (path) => {
    const res = await post(path, { model: "echo", messages: [user("raw fetch works")] });
    expect(res.status).toBe(200);
    const body = await jsonOf<ChatCompletion>(res, "CreateChatCompletionResponse");
    expect(body.choices[0]?.message.content).toBe("raw fetch works");
  });

  it.each(["/v1/models", "/models"])("GET %s lists models", async (path) => {
    const res = await fetch(gateway.baseURL + path);
    expect(res.status).toBe(200);
    const body = await jsonOf<{ data: Array<{ id: string }> }>(res, "ListModelsResponse");
    expect(body.data.map((m) => m.id)).toContain("echo");
  });

  it.each(["/v1/models/echo", "/models/echo"])("GET %s returns the model", async (path) => {
    const res = await fetch(gateway.baseURL + path);
    expect(res.status).toBe(200);
    expect(await jsonOf<{ id: string }>(res, "Model")).toMatchObject({ id: "echo", object: "model" });
  });

  it("frames SSE exactly, ending with [DONE]", async () => {
    const text = "frames are exact";
    const res = await post("/v1/chat/completions", { model: "echo", messages: [user(text)], stream: true, stream_options: { include_usage: true } });
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const chunks = await sseOf(res);
    expectEchoStream(chunks, { finish: "stop", usage: true });
    expect(joined(chunks)).toEqual([text]);
    // The role chunk, one chunk per word, the finish chunk and the usage chunk.
    expect(chunks).toHaveLength(1 + words(text).length + 1 + 1);
  });

  it("keeps multi-byte text intact across frames", async () => {
    const text = "naïve café 日本語 🎉 done";
    const chunks = await sseOf(await post("/v1/chat/completions", { model: "echo", messages: [user(text)], stream: true }));
    expect(joined(chunks)).toEqual([text]);
  });

  it("answers an unknown model with a 404 error body", async () => {
    for (const stream of [false, true]) {
      const res = await post("/v1/chat/completions", { model: "no-such-model", messages: [user("x")], stream });
      expect(res.status).toBe(404);
      const body = await jsonOf<{ error: { code: string | null; param: string | null } }>(res, "ErrorResponse");
      expect(body.error).toMatchObject({ code: "model_not_found", param: "model" });
    }
  });
});

describe("echo semantics", () => {
  const text = "red green blue yellow purple";

  it("returns n identical choices and bills each", async () => {
    const completion = await openai().chat.completions.create({ model: "echo", messages: [user(text)], n: 3 });
    expectSpec("CreateChatCompletionResponse", completion);
    expect(completion.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(completion.choices.map((c) => c.message.content)).toEqual([text, text, text]);
    const n = words(text).length;
    expect(completion.usage).toMatchObject({ prompt_tokens: n, completion_tokens: 3 * n, total_tokens: 4 * n });
  });

  it("streams n choices side by side", async () => {
    const stream = await openai().chat.completions.create({
      model: "echo",
      messages: [user(text)],
      n: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    expectEchoStream(chunks, { n: 3, finish: "stop", usage: true });
    expect(joined(chunks)).toEqual([text, text, text]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(3 * words(text).length);
  });

  it("truncates at max_tokens with finish_reason length", async () => {
    for (const max of [1, 3]) {
      const completion = await openai().chat.completions.create({ model: "echo", messages: [user(text)], max_tokens: max });
      expectSpec("CreateChatCompletionResponse", completion);
      expect(completion.choices[0]?.message.content).toBe(words(text).slice(0, max).join(" "));
      expect(completion.choices[0]?.finish_reason).toBe("length");
      expect(completion.usage?.completion_tokens).toBe(max);
    }
    const exact = await openai().chat.completions.create({ model: "echo", messages: [user(text)], max_tokens: words(text).length });
    expect(exact.choices[0]).toMatchObject({ finish_reason: "stop", message: { content: text } });
  });

  it("prefers max_completion_tokens over max_tokens", async () => {
    const completion = await openai().chat.completions.create({ model: "echo", messages: [user(text)], max_tokens: 4, max_completion_tokens: 2 });
    expect(completion.choices[0]?.message.content).toBe(words(text).slice(0, 2).join(" "));
    expect(completion.choices[0]?.finish_reason).toBe("length");
  });

  it("truncates a stream at max_tokens", async () => {
    const stream = await openai().chat.completions.create({ model: "echo", messages: [user(text)], max_tokens: 2, stream: true });
    const chunks = await collect(stream);
    expectEchoStream(chunks, { finish: "length" });
    expect(joined(chunks)).toEqual([words(text).slice(0, 2).join(" ")]);
  });

  it("cuts before the first stop string", async () => {
    const cases: Array<{ stop: string | string[]; content: string }> = [
      { stop: "blue", content: "red green" },
      { stop: ["purple", "green"], content: "red" },
      { stop: ["nowhere"], content: text },
      { stop: "ell", content: "red green blue y" },
    ];
    for (const { stop, content } of cases) {
      const completion = await openai().chat.completions.create({ model: "echo", messages: [user(text)], stop });
      expectSpec("CreateChatCompletionResponse", completion);
      expect(completion.choices[0]?.message.content).toBe(content);
      expect(completion.choices[0]?.finish_reason).toBe("stop");
      expect(completion.usage?.completion_tokens).toBe(words(content).length);
    }
    const stream = await openai().chat.completions.create({ model: "echo", messages: [user(text)], stop: ["yellow"], stream: true });
    expect(joined(await collect(stream))).toEqual(["red green blue"]);
  });

  it("returns logprobs with top_logprobs", async () => {
    const completion = await openai().chat.completions.create({ model: "echo", messages: [user(text)], logprobs: true, top_logprobs: 2 });
    expectSpec("CreateChatCompletionResponse", completion);
    const content = completion.choices[0]?.logprobs?.content ?? [];
    expect(content.map((t) => t.token).join("")).toBe(text);
    expect(content).toHaveLength(words(text).length);
    for (const token of content) {
      expect(token.logprob).toBe(0);
      expect(token.bytes).toEqual([...Buffer.from(token.token, "utf8")]);
      expect(token.top_logprobs.length).toBeGreaterThanOrEqual(1);
      expect(token.top_logprobs.length).toBeLessThanOrEqual(2);
      expect(token.top_logprobs[0]).toEqual({ token: token.token, logprob: 0, bytes: token.bytes });
    }
    expect(completion.choices[0]?.logprobs?.refusal ?? null).toBeNull();

    const plain = await openai().chat.completions.create({ model: "echo", messages: [user(text)], logprobs: true });
    for (const token of plain.choices[0]?.logprobs?.content ?? []) expect(token.top_logprobs).toEqual([]);
    const none = await openai().chat.completions.create({ model: "echo", messages: [user(text)] });
    expect(none.choices[0]?.logprobs).toBeNull();
  });

  it("streams logprobs with each word", async () => {
    const stream = await openai().chat.completions.create({ model: "echo", messages: [user(text)], logprobs: true, top_logprobs: 1, stream: true });
    const chunks = await collect(stream);
    const withContent = chunks.filter((c) => (c.choices[0]?.delta.content ?? "") !== "");
    expect(withContent).toHaveLength(words(text).length);
    for (const chunk of withContent) {
      const choice = chunk.choices[0]!;
      expect(choice.logprobs?.content?.map((t) => t.token)).toEqual([choice.delta.content]);
      expect(choice.logprobs?.content?.[0]?.top_logprobs).toHaveLength(1);
    }
  });

  it("counts usage exactly across every message and content part", async () => {
    const messages = [
      { role: "developer" as const, content: "follow the rules" },
      {
        role: "system" as const,
        content: [
          { type: "text" as const, text: "be   terse" },
          { type: "text" as const, text: "and kind" },
        ],
      },
      user("first question here"),
      { role: "assistant" as const, content: "an earlier answer" },
      {
        role: "user" as const,
        content: [
          { type: "text" as const, text: "the last" },
          { type: "text" as const, text: "question" },
        ],
      },
    ];
    const completion = await openai().chat.completions.create({ model: "echo", messages });
    expectSpec("CreateChatCompletionResponse", completion);
    const promptWords = ["follow the rules", "be   terse", "and kind", "first question here", "an earlier answer", "the last", "question"].flatMap(
      words,
    ).length;
    expect(completion.choices[0]?.message.content).toBe("the last question");
    expect(completion.usage).toMatchObject({ prompt_tokens: promptWords, completion_tokens: 3, total_tokens: promptWords + 3 });
  });
});
