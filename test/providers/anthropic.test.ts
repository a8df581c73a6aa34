/**
 * `kind: "anthropic"` end to end: a real gateway in front of a fake Anthropic Messages API, both
 * on sockets, called with the official `openai` client and the typed SDK. What the fake RECEIVED is
 * asserted exactly (the Messages API body and its headers), and so is what clients get back: text,
 * tool calls with the same ids, reasoning apart from content with signatures kept, usage with
 * cached tokens, finish reasons, streamed and not.
 */
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import {
  message,
  textMessage,
  textStream,
  thinkingMessage,
  thinkingStream,
  toolMessage,
  toolStream,
  type AnthropicRequest,
} from "../fixtures/anthropic/messages.js";
import { answerEvents, answerMessage, startFakeAnthropic, type FakeAnthropic } from "../helpers/fake-anthropic.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";

const KEY = "sk-ant-api03-test-key-0123456789";

let fake: FakeAnthropic;
let gateway: TestGateway;
let openai: OpenAI;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  const { routing } = loadConfig({});
  gateway = await startGateway({
    routing: { ...routing, retry: { ...routing.retry, attempts: 1 } },
    providers: [
      upstreamProvider(fake.baseURL, ["claude-sonnet-5-5", { name: "claude", upstream: "claude-sonnet-5-5" }], {
        name: "claude",
        kind: "anthropic",
        apiKey: KEY,
      }),
    ],
  });
  openai = new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await gateway.close(100);
  await fake.close();
});
beforeEach(() => fake.reset());
afterEach(() => undefined);

const sent = () => {
  const calls = fake.messageCalls();
  return calls[calls.length - 1]?.body as unknown as AnthropicRequest;
};

describe("what Anthropic receives", () => {
  it("POST /v1/messages with x-api-key and anthropic-version 2023-06-01, the alias rewritten, max_tokens defaulted", async () => {
    await openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "hi" }] });
    const call = fake.messageCalls()[0];
    expect(call?.method).toBe("POST");
    expect(call?.headers["x-api-key"]).toBe(KEY);
    expect(call?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(call?.headers.authorization).toBeUndefined();
    const expected: AnthropicRequest = { model: "claude-sonnet-5-5", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }], max_tokens: 4096 };
    expect(call?.body).toEqual(expected);
  });

  it("system messages become `system`, consecutive roles merge, sampling and stop are translated, stream_options consumed", async () => {
    const stream = await openai.chat.completions.create({
      model: "claude-sonnet-5-5",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: "Answer in French." },
        { role: "user", content: "one" },
        { role: "user", content: [{ type: "text", text: "two" }] },
        { role: "assistant", content: "un deux" },
        { role: "user", content: "three" },
      ],
      temperature: 0.3,
      top_p: 0.9,
      stop: "END",
      max_completion_tokens: 300,
      user: "user-42",
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream) void _;
    const expected: AnthropicRequest = {
      model: "claude-sonnet-5-5",
      system: "Be brief.\n\nAnswer in French.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "one" },
            { type: "text", text: "two" },
          ],
        },
        { role: "assistant", content: [{ type: "text", text: "un deux" }] },
        { role: "user", content: [{ type: "text", text: "three" }] },
      ],
      max_tokens: 300,
      temperature: 0.3,
      top_p: 0.9,
      stop_sequences: ["END"],
      metadata: { user_id: "user-42" },
      stream: true,
    };
    expect(sent()).toEqual(expected);
  });

  it("tools, tool_choice and parallel_tool_calls; tool_calls become tool_use with the same ids, tool results one user turn", async () => {
    await openai.chat.completions.create({
      model: "claude-sonnet-5-5",
      messages: [
        { role: "user", content: "weather and time in Paris?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "toolu_A", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            { id: "call_B", type: "function", function: { name: "get_time", arguments: "" } },
          ],
        },
        { role: "tool", tool_call_id: "toolu_A", content: "18C" },
        { role: "tool", tool_call_id: "call_B", content: [{ type: "text", text: "14:00" }] },
        { role: "user", content: "thanks" },
      ],
      tools: [
        {
          type: "function",
          function: { name: "get_weather", description: "Weather of a city", parameters: { type: "object", properties: { city: { type: "string" } } } },
        },
        { type: "function", function: { name: "get_time" } },
      ],
      tool_choice: "required",
      parallel_tool_calls: false,
    });
    const expected: AnthropicRequest = {
      model: "claude-sonnet-5-5",
      messages: [
        { role: "user", content: [{ type: "text", text: "weather and time in Paris?" }] },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "toolu_A", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "call_B", name: "get_time", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_A", content: "18C" },
            { type: "tool_result", tool_use_id: "call_B", content: [{ type: "text", text: "14:00" }] },
            { type: "text", text: "thanks" },
          ],
        },
      ],
      max_tokens: 4096,
      tools: [
        { name: "get_weather", description: "Weather of a city", input_schema: { type: "object", properties: { city: { type: "string" } } } },
        { name: "get_time", input_schema: { type: "object", properties: {} } },
      ],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
    };
    expect(sent()).toEqual(expected);
  });

  it.each([
    ["auto", { type: "auto" }],
    ["none", { type: "none" }],
    [
      { type: "function" as const, function: { name: "get_time" } },
      { type: "tool", name: "get_time" },
    ],
  ])("tool_choice %j becomes %j", async (choice, expected) => {
    await openai.chat.completions.create({
      model: "claude-sonnet-5-5",
      messages: [{ role: "user", content: "x" }],
      tools: [{ type: "function", function: { name: "get_time" } }],
      tool_choice: choice as OpenAI.ChatCompletionToolChoiceOption,
    });
    expect(sent().tool_choice).toEqual(expected);
  });

  it("images: a data URL as a base64 source, an https URL as a url source; cache_control passed through", async () => {
    await openai.chat.completions.create({
      model: "claude-sonnet-5-5",
      messages: [
        {
          role: "system",
          content: [{ type: "text", text: "Long instructions", cache_control: { type: "ephemeral" } } as OpenAI.ChatCompletionContentPartText],
        },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
            { type: "text", text: "What are these?" },
          ],
        },
      ],
    });
    const expected: AnthropicRequest = {
      model: "claude-sonnet-5-5",
      system: [{ type: "text", text: "Long instructions", cache_control: { type: "ephemeral" } }],
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
            { type: "text", text: "What are these?" },
          ],
        },
      ],
      max_tokens: 4096,
    };
    expect(sent()).toEqual(expected);
  });

  it("json_schema by output_config.format; reasoning_effort as adaptive thinking at that effort", async () => {
    const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false };
    await openai.chat.completions.create({
      model: "claude-sonnet-5-5",
      messages: [{ role: "user", content: "a number" }],
      response_format: { type: "json_schema", json_schema: { name: "num", schema, strict: true } },
      reasoning_effort: "medium",
    });
    expect(sent().output_config).toEqual({ format: { type: "json_schema", schema }, effort: "medium" });
    expect(sent().thinking).toEqual({ type: "adaptive" });
  });

  it("extra_body.thinking (and other Messages API fields) pass through; a thinking block sent back keeps its signature, first in its turn", async () => {
    const client = sdk(gateway, { transport: "http" });
    await client.chat.completions({
      model: "claude-sonnet-5-5",
      messages: [
        { role: "user", content: "2+2?" },
        // `thinking_blocks` is this provider's field: the typed SDK's messages are open to it.
        {
          role: "assistant",
          content: "4",
          thinking_blocks: [
            { type: "thinking", thinking: "2+2=4", signature: "sig-1" },
            { type: "redacted_thinking", data: "opaque" },
          ],
        },
        { role: "user", content: "and 3+3?" },
      ],
      extra_body: { thinking: { type: "enabled", budget_tokens: 2048 }, top_k: 5 },
    });
    expect(sent().thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(sent().top_k).toBe(5);
    expect(sent().messages[1]).toEqual({
      role: "assistant",
      content: [
        { type: "thinking", thinking: "2+2=4", signature: "sig-1" },
        { type: "redacted_thinking", data: "opaque" },
        { type: "text", text: "4" },
      ],
    });
  });
});

describe("OpenAI-only fields are refused with a 400 naming them, never forwarded", () => {
  it.each([
    [{ n: 2 }, "n"],
    [{ logprobs: true }, "logprobs"],
    [{ presence_penalty: 0.5 }, "presence_penalty"],
    [{ seed: 7 }, "seed"],
    [{ temperature: 1.5 }, "temperature"],
    [{ response_format: { type: "json_object" } }, "response_format"],
    [{ modalities: ["text", "audio"] }, "modalities"],
    [{ vendor_field: true }, "vendor_field"],
    [{ messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] }] }, "messages[0].content[0]"],
    [{ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/bmp;base64,Qk0=" } }] }] }, "messages[0].content[0]"],
  ])("%j", async (extra, param) => {
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-5-5", messages: [{ role: "user", content: "x" }], ...extra }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe(param);
    expect(body.error.message).toContain("Anthropic");
    expect(fake.messageCalls()).toHaveLength(0);
  });

  it("neutral values of those fields pass, unsent (as LangChain sends n: 1 and zero penalties)", async () => {
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-sonnet-5-5",
        messages: [{ role: "user", content: "x" }],
        n: 1,
        presence_penalty: 0,
        frequency_penalty: 0,
        logprobs: false,
        store: false,
      }),
    });
    expect(res.status).toBe(200);
    expect(Object.keys(sent()).sort()).toEqual(["max_tokens", "messages", "model"]);
  });
});

describe("what clients get back", () => {
  it("a whole text reply, with usage: prompt tokens include cache reads and writes, cached_tokens the reads", async () => {
    fake.script(answerMessage(textMessage));
    const completion = await openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "hi" }] });
    expect(completion.id).toBe(textMessage.id);
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.message).toEqual({ role: "assistant", content: "Hello! How can I help?", refusal: null });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({
      prompt_tokens: 1_220,
      completion_tokens: 9,
      total_tokens: 1_229,
      prompt_tokens_details: { cached_tokens: 1_000, cache_creation_tokens: 200 },
    });
  });

  it("tool calls with the same ids, arguments as JSON text, finish_reason tool_calls", async () => {
    fake.script(answerMessage(toolMessage));
    const completion = await openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "hi" }] });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBe("Let me check both.");
    expect(choice?.message.tool_calls).toEqual([
      { id: "toolu_01A09q90qw90lq917835lq9", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { id: "toolu_01B19q90qw90lq917835lq8", type: "function", function: { name: "get_time", arguments: '{"zone":"CET"}' } },
    ]);
  });

  it("thinking as reasoning_content, never in content, with thinking_blocks keeping signatures; reasoning tokens in the details", async () => {
    fake.script(answerMessage(thinkingMessage));
    const completion = await openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "2+2" }] });
    const reply = completion.choices[0]?.message as unknown as Record<string, unknown>;
    expect(reply.content).toBe("4");
    expect(reply.reasoning_content).toBe("The user wants 2+2. That is 4.");
    expect(reply.thinking_blocks).toEqual([
      { type: "thinking", thinking: "The user wants 2+2. That is 4.", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds" },
      { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP" },
    ]);
    expect(completion.usage?.completion_tokens_details).toEqual({ reasoning_tokens: 30 });
  });

  it.each([
    ["max_tokens", "length"],
    ["stop_sequence", "stop"],
    ["refusal", "content_filter"],
    ["model_context_window_exceeded", "length"],
  ] as const)("stop_reason %s is finish_reason %s", async (stopReason, finish) => {
    fake.script(answerMessage(message([{ type: "text", text: "x", citations: null }], { stop_reason: stopReason })));
    const completion = await openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0]?.finish_reason).toBe(finish);
  });

  it("a stream: the role chunk, text deltas, the finish reason, then with include_usage a usage-only chunk", async () => {
    fake.script(answerEvents(textStream(["Hel", "lo", "!"])));
    const stream = await openai.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Hello!");
    expect(chunks.every((c) => c.id === "msg_01XFDUDYJgAACzvnptvVoYEL" && c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 125,
      completion_tokens: 15,
      total_tokens: 140,
      prompt_tokens_details: { cached_tokens: 100, cache_creation_tokens: 0 },
    });
  });

  it("a stream without include_usage has no usage chunk", async () => {
    fake.script(answerEvents(textStream(["a"])));
    const stream = await openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "hi" }], stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("a streamed tool call: the same id and name first, then input_json_delta pieces as arguments deltas", async () => {
    fake.script(answerEvents(toolStream));
    const stream = openai.chat.completions.stream({ model: "claude", messages: [{ role: "user", content: "weather?" }], stream: true });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(final.choices[0]?.message.content).toBe("Checking.");
    expect(final.choices[0]?.message.tool_calls).toEqual([
      { id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", type: "function", function: { name: "get_weather", arguments: '{"city": "Paris"}' } },
    ]);
  });

  it("streamed thinking: reasoning_content deltas apart from content, then the block's signature", async () => {
    fake.script(answerEvents(thinkingStream));
    const stream = await openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "2+2" }], stream: true });
    const deltas: Array<Record<string, unknown>> = [];
    for await (const chunk of stream) if (chunk.choices[0]) deltas.push(chunk.choices[0].delta as Record<string, unknown>);
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe("Two plus two is four.");
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("4");
    expect(deltas.filter((d) => d.thinking_blocks)).toEqual([{ thinking_blocks: [{ type: "thinking", signature: "EqQBCgIYAhIMsig" }] }]);
  });

  it("the typed SDK, whole and streamed", async () => {
    const client = sdk(gateway);
    fake.script(answerMessage(textMessage), answerEvents(textStream(["one ", "two"])));
    const whole = await client.chat.completions({ model: "claude", messages: [{ role: "user", content: "hi" }] });
    expect(whole.choices[0]?.message.content).toBe("Hello! How can I help?");
    let text = "";
    for await (const chunk of client.chat.stream({ model: "claude", messages: [{ role: "user", content: "hi" }] }))
      text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("one two");
    client.close?.();
  });
});

describe("discovery", () => {
  it("reads every page of GET /v1/models with the key and version headers", async () => {
    const many = Array.from({ length: 45 }, (_, i) => `claude-model-${i}`);
    const paged = await startFakeAnthropic({ models: many, pageSize: 20 });
    const { createAnthropicProvider } = await import("../../server/providers/anthropic/index.js");
    const provider = createAnthropicProvider(upstreamProvider(paged.baseURL, [], { kind: "anthropic", apiKey: KEY }));
    try {
      expect(await provider.listModels?.(AbortSignal.timeout(5_000))).toEqual(many);
      const lists = paged.calls.filter((c) => c.path === "/v1/models");
      expect(lists).toHaveLength(3);
      expect(lists[1]?.query.get("after_id")).toBe("claude-model-19");
      expect(lists[0]?.headers["x-api-key"]).toBe(KEY);
      expect(lists[0]?.headers["anthropic-version"]).toBe("2023-06-01");
    } finally {
      await provider.close?.();
      await paged.close();
    }
  });
});
