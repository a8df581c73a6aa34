/**
 * The Anthropic Messages door (`POST /v1/messages`, `/v1/messages/count_tokens`) through the
 * official `@anthropic-ai/sdk` client and raw HTTP, over real sockets: against the built-in `echo`
 * model and against a fake OpenAI-compatible upstream, whose received body shows the translation.
 * Every answer and stream event is checked against the vendored shapes of Anthropic's documentation.
 */
import type Anthropic from "@anthropic-ai/sdk";
import { APIError, BadRequestError, NotFoundError } from "@anthropic-ai/sdk";
import { betaTool } from "@anthropic-ai/sdk/helpers/beta/json-schema";
import type { MessageCreateParamsNonStreaming, MessageParam } from "@anthropic-ai/sdk/resources/messages";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../server/config.js";
import { anthropicClient, checkedEventTypes, expectAnthropicShape, postJson, readSse } from "./helpers/anthropic-door.js";
import { completion, startFakeUpstream, stream, type FakeUpstream, type Json } from "./helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";

let upstream: FakeUpstream;
let gateway: TestGateway;
let client: Anthropic;

beforeAll(async () => {
  upstream = await startFakeUpstream({ models: ["gpt-x"] });
  const { routing } = loadConfig({});
  gateway = await startGateway({
    routing: { ...routing, retry: { ...routing.retry, attempts: 1 } },
    providers: [upstreamProvider(upstream.baseURL, ["gpt-x"])],
  });
  client = anthropicClient(gateway);
});
afterAll(async () => {
  await gateway.close(100);
  await upstream.close();
});
beforeEach(() => upstream.reset());

const sentToUpstream = () => upstream.calls.filter((c) => c.path === "/v1/chat/completions").at(-1)?.body as Json;
const chunk = (delta: Json, finish: string | null = null, extra: Json = {}) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-x",
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null, ...extra }],
});
const usageChunk = (prompt: number, completionTokens: number) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-x",
  choices: [],
  usage: { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens },
});

describe("messages.create against echo", () => {
  it("answers a Message in Anthropic's shape: one text block, end_turn, usage, a msg_ id and request-id", async () => {
    const { data, response } = await client.messages
      .create({ model: "echo", max_tokens: 100, messages: [{ role: "user", content: "hello there gateway" }] })
      .withResponse();
    expect(data.type).toBe("message");
    expect(data.role).toBe("assistant");
    expect(data.id).toMatch(/^msg_/);
    expect(data.content).toEqual([expect.objectContaining({ type: "text", text: "hello there gateway" })]);
    expect(data.stop_reason).toBe("end_turn");
    expect(data.stop_sequence).toBeNull();
    expect(data.usage.output_tokens).toBe(3);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(response.headers.get("request-id")).toBe(response.headers.get("x-request-id"));
    expect(response.headers.get("x-languru-model")).toBe("echo");
    expectAnthropicShape("Message", data);
  });

  it("max_tokens cuts the reply: stop_reason max_tokens", async () => {
    const message = await client.messages.create({ model: "echo", max_tokens: 2, messages: [{ role: "user", content: "one two three four" }] });
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "one two" })]);
    expect(message.stop_reason).toBe("max_tokens");
  });

  it("stop_sequences stop the reply before the sequence", async () => {
    const message = await client.messages.create({
      model: "echo",
      max_tokens: 100,
      stop_sequences: ["STOP"],
      messages: [{ role: "user", content: "say this STOP not this" }],
    });
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "say this" })]);
    expect(["end_turn", "stop_sequence"]).toContain(message.stop_reason);
  });

  it("a text block conversation with a system prompt answers the last user turn", async () => {
    const message = await client.messages.create({
      model: "echo",
      max_tokens: 100,
      system: [{ type: "text", text: "Be brief." }],
      messages: [
        { role: "user", content: [{ type: "text", text: "first question" }] },
        { role: "assistant", content: "first answer" },
        { role: "user", content: [{ type: "text", text: "second question" }] },
      ],
    });
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "second question" })]);
  });
});

describe("messages.stream against echo", () => {
  it("finalMessage() has the whole reply; the events follow Anthropic's documented sequence", async () => {
    const seen: string[] = [];
    const run = client.messages.stream({ model: "echo", max_tokens: 100, messages: [{ role: "user", content: "stream these four words" }] });
    run.on("streamEvent", (event) => seen.push(event.type));
    let text = "";
    run.on("text", (delta) => {
      text += delta;
    });
    const message = await run.finalMessage();
    expect(text).toBe("stream these four words");
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "stream these four words" })]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBe(4);
    expect(seen[0]).toBe("message_start");
    expect(seen.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(seen.filter((t) => t === "content_block_delta")).toHaveLength(4);
  });

  it("raw SSE: each event named after its type, shapes as documented, a ping after message_start", async () => {
    const res = await postJson(gateway, "/v1/messages", { model: "echo", max_tokens: 100, stream: true, messages: [{ role: "user", content: "a b" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const types = checkedEventTypes(await readSse(res));
    expect(types).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
  });

  it("a stream cut by max_tokens ends with stop_reason max_tokens in message_delta", async () => {
    const res = await postJson(gateway, "/v1/messages", { model: "echo", max_tokens: 1, stream: true, messages: [{ role: "user", content: "a b c" }] });
    const events = await readSse(res);
    const delta = events.find((e) => e.event === "message_delta")?.data;
    expect(delta).toMatchObject({ delta: { stop_reason: "max_tokens", stop_sequence: null }, usage: { output_tokens: 1 } });
  });
});

describe("translation to an OpenAI-compatible upstream", () => {
  it("system, multi-turn, base64 and URL images, metadata, sampling and stop sequences become the chat request", async () => {
    await client.messages.create({
      model: "gpt-x",
      max_tokens: 64,
      system: "You are terse.",
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["\n\nHuman:"],
      metadata: { user_id: "user-42" },
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: [{ type: "text", text: "hello" }] },
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
            { type: "text", text: "what is this?" },
          ],
        },
      ],
    } as MessageCreateParamsNonStreaming);
    expect(sentToUpstream()).toEqual({
      model: "gpt-x",
      max_tokens: 64,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop: ["\n\nHuman:"],
      user: "user-42",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello" },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
            { type: "text", text: "what is this?" },
          ],
        },
      ],
    });
  });

  it("tools: a tool_calls answer is a tool_use block; the tool_result goes back as a tool message with the same id", async () => {
    const tools: Anthropic.Tool[] = [
      { name: "get_weather", description: "Weather of a city", input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
    ];
    upstream.script(
      completion({
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: "Checking.",
              refusal: null,
              tool_calls: [{ id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
            },
            finish_reason: "tool_calls",
            logprobs: null,
          },
        ],
      }),
    );
    const question: MessageParam = { role: "user", content: "Weather in Paris?" };
    const first = await client.messages.create({ model: "gpt-x", max_tokens: 100, tools, tool_choice: { type: "any" }, messages: [question] });
    expect(first.stop_reason).toBe("tool_use");
    expect(first.content).toEqual([
      expect.objectContaining({ type: "text", text: "Checking." }),
      expect.objectContaining({ type: "tool_use", id: "call_abc", name: "get_weather", input: { city: "Paris" } }),
    ]);
    expectAnthropicShape("Message", first);
    expect(sentToUpstream()).toMatchObject({
      tools: [{ type: "function", function: { name: "get_weather", description: "Weather of a city", parameters: tools[0]!.input_schema } }],
      tool_choice: "required",
    });

    await client.messages.create({
      model: "gpt-x",
      max_tokens: 100,
      tools,
      tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
      messages: [
        question,
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "call_abc", content: [{ type: "text", text: "18°C, sunny" }] },
            { type: "text", text: "Thanks!" },
          ],
        },
      ],
    });
    const sent = sentToUpstream();
    expect(sent.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect(sent.parallel_tool_calls).toBe(false);
    expect(sent.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [{ id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
      },
      { role: "tool", tool_call_id: "call_abc", content: "18°C, sunny" },
      { role: "user", content: [{ type: "text", text: "Thanks!" }] },
    ]);
  });

  it("a tool call the upstream gave no id gets a unique, non-empty tool_use id, whole and streamed, turn after turn", async () => {
    const tools: Anthropic.Tool[] = [{ name: "lookup", input_schema: { type: "object" } }];
    const ask = { model: "gpt-x", max_tokens: 100, tools, messages: [{ role: "user" as const, content: "find" }] };
    const ids: string[] = [];
    for (let turn = 0; turn < 2; turn++) {
      upstream.script(
        completion({
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: null, tool_calls: [{ type: "function", function: { name: "lookup", arguments: "{}" } }] },
              finish_reason: "tool_calls",
            },
          ],
        }),
      );
      const whole = await client.messages.create(ask);
      expectAnthropicShape("Message", whole);
      upstream.script(
        stream([chunk({ tool_calls: [{ index: 0, type: "function", function: { name: "lookup", arguments: "{}" } }] }), chunk({}, "tool_calls")]),
      );
      const streamed = await client.messages.stream(ask).finalMessage();
      for (const message of [whole, streamed]) for (const block of message.content) if (block.type === "tool_use") ids.push(block.id);
    }
    expect(ids).toHaveLength(4);
    for (const id of ids) expect(id).toMatch(/^toolu_[a-zA-Z0-9_-]+$/);
    expect(new Set(ids).size).toBe(4);
  });

  it("tools streamed: tool_use blocks with input_json_delta, finalMessage() parses the input", async () => {
    upstream.script(
      stream([
        chunk({ role: "assistant", content: "" }),
        chunk({ content: "Let me look." }),
        chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "lookup", arguments: "" } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"cats"}' } }] }),
        chunk({ tool_calls: [{ index: 1, id: "call_2", type: "function", function: { name: "lookup", arguments: '{"q":"dogs"}' } }] }),
        chunk({}, "tool_calls"),
        usageChunk(30, 12),
      ]),
    );
    const seen: Anthropic.RawMessageStreamEvent[] = [];
    const run = client.messages.stream({
      model: "gpt-x",
      max_tokens: 100,
      tools: [{ name: "lookup", input_schema: { type: "object" } }],
      messages: [{ role: "user", content: "find" }],
    });
    run.on("streamEvent", (event) => seen.push(event));
    const message = await run.finalMessage();
    expect(message.content).toEqual([
      expect.objectContaining({ type: "text", text: "Let me look." }),
      expect.objectContaining({ type: "tool_use", id: "call_1", name: "lookup", input: { q: "cats" } }),
      expect.objectContaining({ type: "tool_use", id: "call_2", name: "lookup", input: { q: "dogs" } }),
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.usage).toMatchObject({ input_tokens: 30, output_tokens: 12 });
    const jsonDeltas = seen.flatMap((e) => (e.type === "content_block_delta" && e.delta.type === "input_json_delta" ? [[e.index, e.delta.partial_json]] : []));
    expect(jsonDeltas).toEqual([
      [1, '{"q":'],
      [1, '"cats"}'],
      [2, '{"q":"dogs"}'],
    ]);
    // The SDK builds its snapshot inside message_start's message, so that one is not as it was sent.
    for (const event of seen.filter((e) => e.type !== "message_start")) expectAnthropicShape("StreamEvent", event);
  });

  it("thinking: an upstream's reasoning_content streams as a thinking block before the text", async () => {
    upstream.script(
      stream([
        chunk({ role: "assistant", content: "" }),
        chunk({ reasoning_content: "Let me think" }),
        chunk({ reasoning_content: " about it." }),
        chunk({ content: "42" }),
        chunk({}, "stop"),
        usageChunk(10, 5),
      ]),
    );
    const run = client.messages.stream({
      model: "gpt-x",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 10_000 },
      messages: [{ role: "user", content: "meaning of life?" }],
    });
    const thinking: string[] = [];
    run.on("thinking", (delta) => thinking.push(delta));
    const message = await run.finalMessage();
    expect(thinking.join("")).toBe("Let me think about it.");
    expect(message.content).toEqual([
      expect.objectContaining({ type: "thinking", thinking: "Let me think about it.", signature: "" }),
      expect.objectContaining({ type: "text", text: "42" }),
    ]);
    expect(sentToUpstream()).toMatchObject({ reasoning_effort: "medium", stream: true, stream_options: { include_usage: true } });
  });

  it("thinking in a whole reply (reasoning or reasoning_content) is a thinking block; unsigned thinking is not sent back", async () => {
    upstream.script(
      completion({
        choices: [
          { index: 0, message: { role: "assistant", content: "Paris", refusal: null, reasoning: "France's capital." }, finish_reason: "stop", logprobs: null },
        ],
      }),
    );
    const message = await client.messages.create({ model: "gpt-x", max_tokens: 100, messages: [{ role: "user", content: "capital?" }] });
    expect(message.content).toEqual([
      expect.objectContaining({ type: "thinking", thinking: "France's capital.", signature: "" }),
      expect.objectContaining({ type: "text", text: "Paris" }),
    ]);
    await client.messages.create({
      model: "gpt-x",
      max_tokens: 100,
      messages: [
        { role: "user", content: "capital?" },
        { role: "assistant", content: message.content },
        { role: "user", content: "sure?" },
      ],
    });
    expect((sentToUpstream().messages as Json[])[1]).toEqual({ role: "assistant", content: "Paris" });
  });

  it("a vLLM-style matched stop string is stop_sequence; usage maps cached prompt tokens", async () => {
    upstream.script(
      completion({
        choices: [{ index: 0, message: { role: "assistant", content: "a", refusal: null }, finish_reason: "stop", stop_reason: "END", logprobs: null }],
        usage: { prompt_tokens: 100, completion_tokens: 1, total_tokens: 101, prompt_tokens_details: { cached_tokens: 60 } },
      }),
    );
    const message = await client.messages.create({ model: "gpt-x", max_tokens: 10, stop_sequences: ["END"], messages: [{ role: "user", content: "x" }] });
    expect(message.stop_reason).toBe("stop_sequence");
    expect(message.stop_sequence).toBe("END");
    expect(message.usage).toMatchObject({ input_tokens: 40, cache_read_input_tokens: 60, output_tokens: 1 });
  });

  it("an upstream failure after the stream started is an error event; the SDK raises it", async () => {
    upstream.script(stream([chunk({ role: "assistant", content: "" }), chunk({ content: "partial" })], { dropAfter: 2 }));
    const res = await postJson(gateway, "/v1/messages", { model: "gpt-x", max_tokens: 10, stream: true, messages: [{ role: "user", content: "x" }] });
    const events = await readSse(res);
    const types = checkedEventTypes(events);
    expect(types.slice(0, 4)).toEqual(["message_start", "ping", "content_block_start", "content_block_delta"]);
    expect(types.at(-1)).toBe("error");
    expect(events.at(-1)?.data).toMatchObject({ type: "error", error: { type: "api_error" } });

    upstream.script(stream([chunk({ role: "assistant", content: "" }), chunk({ content: "partial" })], { dropAfter: 2 }));
    const run = client.messages.stream({ model: "gpt-x", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    await expect(run.finalMessage()).rejects.toBeInstanceOf(APIError);
  });
});

describe("errors as the SDK's own classes", () => {
  it("an unknown model is NotFoundError with not_found_error", async () => {
    const err = await client.messages.create({ model: "no-such-model", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).type).toBe("not_found_error");
    expect((err as NotFoundError).requestID).toBeTruthy();
  });

  it("a missing max_tokens is BadRequestError (invalid_request_error naming the field)", async () => {
    const body = { model: "echo", messages: [{ role: "user", content: "x" }] } as unknown as MessageCreateParamsNonStreaming;
    const err = await client.messages.create(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).type).toBe("invalid_request_error");
    expect((err as BadRequestError).message).toContain("max_tokens");
  });

  it.each([
    ["no messages", { model: "echo", max_tokens: 5, messages: [] }],
    ["a system role in messages", { model: "echo", max_tokens: 5, messages: [{ role: "system", content: "x" }] }],
    ["max_tokens zero", { model: "echo", max_tokens: 0, messages: [{ role: "user", content: "x" }] }],
    ["temperature above 1", { model: "echo", max_tokens: 5, temperature: 1.5, messages: [{ role: "user", content: "x" }] }],
    ["an image without a source", { model: "echo", max_tokens: 5, messages: [{ role: "user", content: [{ type: "image" }] }] }],
    ["not JSON", "{"],
  ])("%s is a 400 in Anthropic's error shape", async (_what, body) => {
    const res = await postJson(gateway, "/v1/messages", body);
    expect(res.status).toBe(400);
    expect(res.headers.get("request-id")).toBeTruthy();
    const error = (await res.json()) as Json;
    expectAnthropicShape("ErrorResponse", error);
    expect(error).toMatchObject({ type: "error", error: { type: "invalid_request_error" }, request_id: res.headers.get("request-id") });
  });

  it("a body over the limit is 413 request_too_large; GET is 405", async () => {
    const small = await startGateway({ bodyLimitBytes: 1_024 });
    try {
      const res = await postJson(small, "/v1/messages", { model: "echo", max_tokens: 5, messages: [{ role: "user", content: "x".repeat(4_096) }] });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ type: "error", error: { type: "request_too_large" } });
    } finally {
      await small.close(100);
    }
    const get = await fetch(`${gateway.baseURL}/v1/messages`);
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("an upstream 503 is the SDK's ServiceUnavailableError with overloaded_error", async () => {
    upstream.otherwise(completion({}, {}));
    upstream.script(({ res }) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "busy", type: "server_error" } }));
    });
    const err = await client.messages.create({ model: "gpt-x", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    const status = (err as APIError).status;
    expect(status).toBeGreaterThanOrEqual(500);
    expect((err as APIError).type).toBe(status === 503 ? "overloaded_error" : "api_error");
  });
});

describe("message threads (the SDK's tool runner)", () => {
  it("the tool runner's second turn reaches the upstream with the whole conversation: a continued thread is thread_not_found, and the SDK replays", async () => {
    const weather = betaTool({
      name: "weather",
      description: "Weather of a city",
      inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } as const,
      run: async ({ city }) => `sunny in ${city}`,
    });
    upstream.script(
      completion({
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: null,
              tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }],
            },
            finish_reason: "tool_calls",
          },
        ],
      }),
      completion({ choices: [{ index: 0, message: { role: "assistant", content: "It is sunny." }, finish_reason: "stop" }] }),
    );
    const final = await client.beta.messages.toolRunner({
      model: "gpt-x",
      max_tokens: 100,
      tools: [weather],
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    expect(final.content).toEqual([expect.objectContaining({ type: "text", text: "It is sunny." })]);
    const calls = upstream.calls.filter((c) => c.path === "/v1/chat/completions");
    expect(calls).toHaveLength(2);
    const second = calls[1]!.body as { messages: Array<{ role: string; content?: unknown; tool_calls?: unknown[] }>; tools?: unknown[] };
    expect(second.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(second.messages[1]?.tool_calls).toHaveLength(1);
    expect(second.tools).toHaveLength(1);
    for (const call of calls) expect(call.body).not.toHaveProperty("thread");
  });

  it("a turn that continues a thread is a 404 in Anthropic's shape, with the code the SDK replays on", async () => {
    const res = await postJson(gateway, "/v1/messages", {
      model: "gpt-x",
      max_tokens: 10,
      thread: { type: "continue", previous_message_id: "msg_unknown" },
      messages: [{ role: "user", content: "and then?" }],
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "not_found_error", details: { error_code: "thread_not_found" } } });
    expect(upstream.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(0);
  });
});

describe("count_tokens", () => {
  it("messages.countTokens answers an estimate of the prompt, said so in a header", async () => {
    const { data, response } = await client.messages
      .countTokens({ model: "echo", system: "Be brief.", messages: [{ role: "user", content: "How many tokens is this sentence?" }] })
      .withResponse();
    expectAnthropicShape("CountTokensResponse", data);
    expect(data.input_tokens).toBeGreaterThan(8);
    expect(data.input_tokens).toBeLessThan(40);
    expect(response.headers.get("x-languru-token-count")).toBe("estimate");
    const longer = await client.messages.countTokens({ model: "echo", messages: [{ role: "user", content: "word ".repeat(1_000) }] });
    expect(longer.input_tokens).toBeGreaterThan(900);
  });

  it("an unknown model is NotFoundError; no upstream is called", async () => {
    const err = await client.messages.countTokens({ model: "nope", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    await client.messages.countTokens({ model: "gpt-x", messages: [{ role: "user", content: "x" }] });
    expect(upstream.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(0);
  });

  it("a provider/model address that messages.create serves can be counted too", async () => {
    const model = "fake/some-unlisted-model";
    expect((await client.messages.create({ model, max_tokens: 10, messages: [{ role: "user", content: "x" }] })).type).toBe("message");
    const counted = await client.messages.countTokens({ model, messages: [{ role: "user", content: "How many tokens?" }] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const unknown = await client.messages.countTokens({ model: "no-such-provider/x", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
  });
});
