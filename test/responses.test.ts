/**
 * The Responses door (`/v1/responses`) through the official `openai` client over real sockets:
 * create, stream with its helpers and `finalResponse()`, retrieve, delete, `previous_response_id`,
 * function tools round trips, `text.format` json_schema, errors as the client's own classes; each
 * against `echo` and a fake OpenAI-compatible upstream. Every body and event is checked against the
 * vendored OpenAI schemas (test/spec/openai-responses-schemas.json).
 */
import OpenAI from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";
import { completion, startFakeUpstream, stream, type FakeUpstream, type Json } from "./helpers/fake-upstream.js";
import { expectEventSpec, expectResponsesSpec } from "./helpers/responses-spec.js";

let upstream: FakeUpstream;
let echoGateway: TestGateway;
let upstreamGateway: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  echoGateway = await startGateway();
  upstreamGateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["real-model"])] });
});
afterAll(async () => {
  await echoGateway.close();
  await upstreamGateway.close();
  await upstream.close();
});
beforeEach(() => upstream.reset());

const clientOf = (gateway: TestGateway) => new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
// The SDK's Response type has no `store`, though the API sends it.
const storeOf = (response: object) => (response as { store?: unknown }).store;
const chatCalls = () => upstream.calls.filter((c) => c.path === "/v1/chat/completions");

const chunkBase = { id: "chatcmpl-s", object: "chat.completion.chunk", created: 1_700_000_000, model: "real-model" };
const delta = (d: Json, finish: string | null = null, extra: Json = {}) => ({
  ...chunkBase,
  choices: [{ index: 0, delta: d, finish_reason: finish, logprobs: null }],
  ...extra,
});

/** Collects every event of a stream, checking each against the spec. */
async function eventsOf(events: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const all: ResponseStreamEvent[] = [];
  for await (const event of events) {
    expectEventSpec(event);
    all.push(event);
  }
  expect(all.map((e) => e.sequence_number)).toEqual(all.map((_, i) => i));
  return all;
}

describe.each([
  { backend: "echo", model: "echo", gateway: () => echoGateway },
  { backend: "a fake upstream", model: "real-model", gateway: () => upstreamGateway },
])("against $backend", ({ model, gateway }) => {
  it("responses.create answers a Response in OpenAI's shape, output_text included", async () => {
    const response = await clientOf(gateway()).responses.create({ model, input: "say hello there", instructions: "Be brief." });
    expectResponsesSpec("Response", response);
    expect(response).toMatchObject({ object: "response", status: "completed", model, instructions: "Be brief.", store: true, error: null });
    expect(response.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(response.output).toEqual([
      {
        type: "message",
        id: expect.stringMatching(/^msg_/),
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: response.output_text, annotations: [], logprobs: [] }],
      },
    ]);
    expect(response.output_text).toBe(model === "echo" ? "say hello there" : "hello from real-model");
    expect(response.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 } });
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
  });

  it("responses.stream sends the documented event sequence; finalResponse() is the stored response", async () => {
    const client = clientOf(gateway());
    const runner = client.responses.stream({ model, input: [{ role: "user", content: [{ type: "input_text", text: "stream these words" }] }] });
    const deltas: string[] = [];
    runner.on("response.output_text.delta", (event) => deltas.push(event.delta));
    const events = await eventsOf(runner);
    const final = await runner.finalResponse();
    const types = events.map((e) => e.type);
    const words = deltas.length;
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array<string>(words).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(deltas.join("")).toBe(model === "echo" ? "stream these words" : "hello from real-model");
    expect(final.output_text).toBe(deltas.join(""));
    expect(final.status).toBe("completed");
    expect(final.usage?.output_tokens).toBe(3);
    const stored = await client.responses.retrieve(final.id);
    expectResponsesSpec("Response", stored);
    expect(stored.output_text).toBe(final.output_text);
    expect(stored.output.map((item) => item.id)).toEqual(final.output.map((item) => item.id));
  });

  it("retrieve and delete: a deleted response is a NotFoundError, as is an unknown one", async () => {
    const client = clientOf(gateway());
    const created = await client.responses.create({ model, input: "keep me" });
    const retrieved = await client.responses.retrieve(created.id);
    expect(retrieved.id).toBe(created.id);
    expect(retrieved.output).toEqual(created.output);
    await client.responses.delete(created.id);
    await expect(client.responses.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.responses.delete(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const unknown = await fetch(`${gateway().baseURL}/v1/responses/resp_nope`);
    expect(unknown.status).toBe(404);
    expectResponsesSpec("ErrorResponse", await unknown.json());
  });

  it("previous_response_id continues the conversation: earlier input and output come first, earlier instructions do not", async () => {
    const client = clientOf(gateway());
    const first = await client.responses.create({ model, input: "my name is Ada", instructions: "Old rules." });
    const second = await client.responses.create({ model, input: "what is my name", previous_response_id: first.id, instructions: "New rules." });
    expect(second.previous_response_id).toBe(first.id);
    const third = await client.responses.create({ model, input: "and again", previous_response_id: second.id });
    if (model === "echo") {
      // Echo counts a word per prompt token: each turn's prompt holds every earlier turn.
      expect(second.usage!.input_tokens).toBe(2 + 4 + 4 + 4);
      expect(third.usage!.input_tokens).toBe(4 + 4 + 4 + 4 + 2);
    } else {
      expect(chatCalls()[1]!.body.messages).toEqual([
        { role: "system", content: "New rules." },
        { role: "user", content: "my name is Ada" },
        { role: "assistant", content: "hello from real-model" },
        { role: "user", content: "what is my name" },
      ]);
      expect((chatCalls()[2]!.body.messages as Json[]).map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    }
  });

  it("an unknown previous_response_id is a 404 before anything is sent upstream", async () => {
    const error = await clientOf(gateway())
      .responses.create({ model, input: "hi", previous_response_id: "resp_0000" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).param).toBe("previous_response_id");
    expect(chatCalls()).toHaveLength(0);
  });

  it("store: false keeps nothing", async () => {
    const client = clientOf(gateway());
    const response = await client.responses.create({ model, input: "forget me", store: false });
    expect(storeOf(response)).toBe(false);
    await expect(client.responses.retrieve(response.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("text.format json_schema becomes response_format; the answer parses", async () => {
    const format = {
      type: "json_schema" as const,
      name: "city",
      strict: true,
      schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
    };
    if (model !== "echo")
      upstream.script(
        completion({
          choices: [{ index: 0, message: { role: "assistant", content: '{"city": "Paris"}', refusal: null }, finish_reason: "stop", logprobs: null }],
        }),
      );
    const response = await clientOf(gateway()).responses.create({ model, input: '{"city": "Paris"}', text: { format } });
    expect(JSON.parse(response.output_text)).toEqual({ city: "Paris" });
    expect(response.text?.format).toEqual(format);
    if (model !== "echo")
      expect(chatCalls()[0]!.body.response_format).toEqual({ type: "json_schema", json_schema: { name: "city", strict: true, schema: format.schema } });
  });

  it("function_call and function_call_output items go upstream as an assistant tool call and a tool message", async () => {
    const response = await clientOf(gateway()).responses.create({
      model,
      input: [
        { role: "user", content: "weather in Paris?" },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "function_call_output", call_id: "call_1", output: "sunny" },
        { role: "user", content: "so what is it" },
      ],
      tools: [{ type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false }],
      tool_choice: "auto",
    });
    expectResponsesSpec("Response", response);
    if (model === "echo") expect(response.output_text).toBe("so what is it");
    else {
      const body = chatCalls()[0]!.body;
      expect(body.messages).toEqual([
        { role: "user", content: "weather in Paris?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
        { role: "user", content: "so what is it" },
      ]);
      expect(body.tools).toEqual([
        { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false } },
      ]);
      expect(body.tool_choice).toBe("auto");
    }
  });

  it("built-in tools, background mode, conversations and prompt templates are clear 400s", async () => {
    const client = clientOf(gateway());
    const refusals = [
      { tools: [{ type: "web_search" as const }] },
      { tools: [{ type: "file_search" as const, vector_store_ids: ["vs_1"] }] },
      { background: true },
      { conversation: "conv_1" },
      { prompt: { id: "pmpt_1" } },
    ];
    for (const extra of refusals) {
      const error = await client.responses.create({ model, input: "hi", ...extra }).catch((e: unknown) => e);
      expect(error, JSON.stringify(extra)).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as Error).message).toMatch(/not supported/);
    }
    expect(chatCalls()).toHaveLength(0);
  });
});

describe("against a fake upstream only", () => {
  const client = () => clientOf(upstreamGateway);

  it("a tool call becomes a function_call item; its output sent with previous_response_id reaches the upstream as history", async () => {
    const toolCall = {
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [{ id: "call_9", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } }],
    };
    upstream.script(completion({ choices: [{ index: 0, message: toolCall, finish_reason: "tool_calls", logprobs: null }] }));
    const tools = [{ type: "function" as const, name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: true }];
    const first = await client().responses.create({ model: "real-model", input: "weather in Rome?", tools });
    expectResponsesSpec("Response", first);
    expect(first.output).toEqual([
      { type: "function_call", id: expect.stringMatching(/^fc_/), call_id: "call_9", name: "get_weather", arguments: '{"city":"Rome"}', status: "completed" },
    ]);
    const second = await client().responses.create({
      model: "real-model",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "call_9", output: "rainy" }],
      tools,
    });
    expect(second.output_text).toBe("hello from real-model");
    expect(chatCalls()[1]!.body.messages).toEqual([
      { role: "user", content: "weather in Rome?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_9", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } }] },
      { role: "tool", tool_call_id: "call_9", content: "rainy" },
    ]);
  });

  it("streamed tool calls and reasoning: function_call_arguments and reasoning_text events, then the items", async () => {
    upstream.script(
      stream([
        delta({ role: "assistant", reasoning_content: "think" }),
        delta({ reasoning_content: "ing" }),
        delta({ content: "Let me look." }),
        delta({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "lookup", arguments: "" } }] }),
        delta({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
        delta({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }),
        delta({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "lookup", arguments: '{"q":"y"}' } }] }),
        delta({}, "tool_calls"),
        { ...chunkBase, choices: [], usage: { prompt_tokens: 7, completion_tokens: 9, total_tokens: 16, completion_tokens_details: { reasoning_tokens: 2 } } },
      ]),
    );
    const runner = client().responses.stream({
      model: "real-model",
      input: "find x and y",
      tools: [{ type: "function", name: "lookup", parameters: {}, strict: false }],
    });
    const events = await eventsOf(runner);
    const final = await runner.finalResponse();
    const types = events.map((e) => e.type);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.reasoning_text.delta",
      "response.reasoning_text.delta",
      "response.reasoning_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expectResponsesSpec("Response", final);
    expect(final.output.map((o) => o.type)).toEqual(["reasoning", "message", "function_call", "function_call"]);
    expect(final.output[0]).toMatchObject({ type: "reasoning", content: [{ type: "reasoning_text", text: "thinking" }] });
    expect(final.output[2]).toMatchObject({ call_id: "call_a", name: "lookup", arguments: '{"q":"x"}', status: "completed" });
    expect(final.output[3]).toMatchObject({ call_id: "call_b", arguments: '{"q":"y"}' });
    expect(final.usage).toEqual({
      input_tokens: 7,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: 9,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 16,
    });
    const done = events.find((e) => e.type === "response.function_call_arguments.done");
    expect(done).toMatchObject({ name: "lookup", arguments: '{"q":"x"}' });
  });

  it("the request's fields map onto the chat request", async () => {
    await client().responses.create({
      model: "real-model",
      input: [
        { role: "developer", content: "dev rules" },
        {
          role: "user",
          content: [
            { type: "input_text", text: "look" },
            { type: "input_image", image_url: "data:image/png;base64,AAAA", detail: "low" },
          ],
        },
      ],
      max_output_tokens: 50,
      reasoning: { effort: "low" },
      temperature: 0.5,
      top_p: 0.9,
      parallel_tool_calls: false,
      user: "u-1",
      safety_identifier: "s-1",
      metadata: { a: "b" },
      text: { verbosity: "low" },
      tool_choice: { type: "function", name: "f" },
      tools: [{ type: "function", name: "f", parameters: {}, strict: false }],
    });
    const body = chatCalls()[0]!.body;
    expect(body).toMatchObject({
      max_completion_tokens: 50,
      reasoning_effort: "low",
      temperature: 0.5,
      top_p: 0.9,
      parallel_tool_calls: false,
      user: "u-1",
      safety_identifier: "s-1",
      verbosity: "low",
      tool_choice: { type: "function", function: { name: "f" } },
    });
    expect(body.messages).toEqual([
      { role: "developer", content: "dev rules" },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "low" } },
        ],
      },
    ]);
    // The gateway's own store and metadata stay with the gateway.
    expect(body.store).toBeUndefined();
    expect(body.metadata).toBeUndefined();
  });

  it("finish_reason length is an incomplete response, streamed as response.incomplete", async () => {
    upstream.script(
      completion({ choices: [{ index: 0, message: { role: "assistant", content: "cut", refusal: null }, finish_reason: "length", logprobs: null }] }),
    );
    const whole = await client().responses.create({ model: "real-model", input: "long", max_output_tokens: 1 });
    expectResponsesSpec("Response", whole);
    expect(whole).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    upstream.script(stream([delta({ role: "assistant", content: "cut" }), delta({}, "length")]));
    const events = await eventsOf(client().responses.stream({ model: "real-model", input: "long", max_output_tokens: 1 }));
    expect(events.at(-1)).toMatchObject({
      type: "response.incomplete",
      response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } },
    });
  });

  it("an upstream cut mid-stream ends with an error event and response.failed, keeping what arrived", async () => {
    upstream.script(stream([delta({ role: "assistant", content: "par" }), delta({ content: "tial" })], { dropAfter: 2 }));
    const res = await fetch(`${upstreamGateway.baseURL}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "real-model", input: "hi", stream: true }),
    });
    expect(res.status).toBe(200);
    const frames = (await res.text()).split("\n\n").filter(Boolean);
    const events = frames.map((frame) => {
      const [eventLine, dataLine] = frame.split("\n");
      const data = JSON.parse(dataLine!.slice("data: ".length)) as Json;
      expect(eventLine).toBe(`event: ${String(data.type)}`);
      expectEventSpec(data as { type: string });
      return data;
    });
    expect(events.map((e) => e.type).slice(-2)).toEqual(["error", "response.failed"]);
    const failed = events.at(-1)!.response as Json;
    expect(failed).toMatchObject({ status: "failed", error: { code: "server_error" } });
    expect(failed.output).toMatchObject([{ type: "message", status: "incomplete", content: [{ type: "output_text", text: "partial" }] }]);
    // The SDK's stream helper rejects.
    upstream.script(stream([delta({ role: "assistant", content: "par" })], { dropAfter: 1 }));
    await expect(client().responses.stream({ model: "real-model", input: "hi" }).finalResponse()).rejects.toThrow();
  });
});

describe("a client that leaves", () => {
  it("stops the upstream request mid-stream", async () => {
    upstream.script(stream([delta({ role: "assistant", content: "a" }), delta({ content: "b" })], { hangAfter: 2 }));
    const controller = new AbortController();
    const res = await fetch(`${upstreamGateway.baseURL}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "real-model", input: "hi", stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    expect(await (await upstream.call(0)).ended).toBe("aborted");
  });
});

describe("errors in OpenAI's shape", () => {
  it("an unknown model is the client's NotFoundError; a bad body is a BadRequestError naming the field", async () => {
    const client = clientOf(echoGateway);
    await expect(client.responses.create({ model: "no-such-model", input: "hi" })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const res = await fetch(`${echoGateway.baseURL}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "echo", input: 42 }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Json;
    expectResponsesSpec("ErrorResponse", body);
    expect(body.error).toMatchObject({ type: "invalid_request_error", param: "input" });
    const badItem = await client.responses.create({ model: "echo", input: [{ type: "item_reference", id: "msg_1" }] }).catch((e: unknown) => e);
    expect(badItem).toBeInstanceOf(OpenAI.BadRequestError);
    expect((badItem as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("input[0].type");
  });

  it("a wrong method is a 405 with allow; cancel and input_items say they are not supported", async () => {
    const put = await fetch(`${echoGateway.baseURL}/v1/responses`, { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("POST");
    const cancel = await fetch(`${echoGateway.baseURL}/v1/responses/resp_1/cancel`, { method: "POST" });
    expect(cancel.status).toBe(400);
    expect(((await cancel.json()) as { error: { message: string } }).error.message).toMatch(/not supported/);
  });
});
