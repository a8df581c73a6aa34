/**
 * `kind: "gemini"` end to end: a real gateway in front of a fake Gemini API, both on sockets, called
 * with the official `openai` client, raw `fetch` and the typed SDK. What the fake RECEIVED is asserted
 * exactly (path, `x-goog-api-key`, no key in the URL, the `generateContent` body), and so is what
 * clients get back: text, thoughts apart from content, tool calls with ids stable across the round
 * trip and their signatures, usage with cached and reasoning tokens, finish reasons, streamed and not.
 */
import OpenAI from "openai";
import { FinishReason, FunctionCallingConfigMode, ThinkingLevel, type Content, type GenerationConfig, type Tool, type ToolConfig } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { SKIP_SIGNATURE } from "../../server/providers/gemini/contents.js";
import {
  SIGNATURE,
  blockedPromptResponse,
  maxTokensResponse,
  parallelCallsResponse,
  safetyResponse,
  streamEvents,
  streamToolEvents,
  thinkingResponse,
  toolCallResponse,
  twoCandidatesResponse,
} from "../fixtures/gemini/responses.js";
import { generated, googleError, reply, sse, startFakeGemini, type FakeGemini } from "../helpers/fake-gemini.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";

const KEY = "AIzaSy-test-gemini-key-0123456789";

/** The REST body, typed with the SDK's own types. */
interface GeminiBody {
  contents: Content[];
  systemInstruction?: Content;
  tools?: Tool[];
  toolConfig?: ToolConfig;
  generationConfig?: GenerationConfig;
}

let fake: FakeGemini;
let gateway: TestGateway;
let openai: OpenAI;

beforeAll(async () => {
  fake = await startFakeGemini();
  const { routing } = loadConfig({});
  // One try per request and no cooldown: this file is about what one call becomes, failures included.
  gateway = await startGateway({
    routing: { ...routing, retry: { ...routing.retry, attempts: 1 }, cooldown: { failures: 1_000, cooldownMs: 0 } },
    providers: [
      upstreamProvider(fake.baseURL, ["gemini-2.5-flash", "gemini-3-flash-preview", { name: "flash", upstream: "models/gemini-2.5-flash" }], {
        name: "gem",
        kind: "gemini",
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

const sentBody = (index = 0) => fake.calls[index]?.body as unknown as GeminiBody;
const post = (body: Record<string, unknown>) =>
  fetch(`${gateway.baseURL}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("what Gemini receives", () => {
  it("POST /models/{model}:generateContent with the key in x-goog-api-key only, and the translated body exactly", async () => {
    await openai.chat.completions.create({
      model: "flash",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: "Answer in English." },
        { role: "user", content: "Hi" },
        { role: "user", content: [{ type: "text", text: "there" }] },
        { role: "assistant", content: "Hello!" },
        { role: "user", content: "Weather?" },
      ],
      temperature: 0.3,
      top_p: 0.9,
      max_completion_tokens: 100,
      stop: "END",
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      user: "u-1",
      metadata: { team: "a" },
      response_format: { type: "json_schema", json_schema: { name: "w", schema: { type: "object", properties: { t: { type: "number" } } } } },
    });
    const call = fake.calls[0]!;
    expect(call.method).toBe("POST");
    expect(call.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(call.query).toBe("");
    expect(call.headers["x-goog-api-key"]).toBe(KEY);
    expect(call.headers.authorization).toBeUndefined();
    expect(`${call.path}?${call.query}`).not.toContain(KEY);
    const expected: GeminiBody = {
      contents: [
        { role: "user", parts: [{ text: "Hi" }, { text: "there" }] },
        { role: "model", parts: [{ text: "Hello!" }] },
        { role: "user", parts: [{ text: "Weather?" }] },
      ],
      systemInstruction: { parts: [{ text: "Be brief." }, { text: "Answer in English." }] },
      generationConfig: {
        temperature: 0.3,
        topP: 0.9,
        maxOutputTokens: 100,
        stopSequences: ["END"],
        seed: 7,
        presencePenalty: 0.5,
        frequencyPenalty: 0.25,
        responseMimeType: "application/json",
        responseJsonSchema: { type: "object", properties: { t: { type: "number" } } },
      },
    };
    expect(call.body).toEqual(expected);
  });

  it("tools and tool_choice: functionDeclarations with the JSON Schema, required as ANY, a named function as ANY limited to it", async () => {
    const tools = [
      {
        type: "function" as const,
        function: { name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
      },
    ];
    await openai.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], tools, tool_choice: "required" });
    await openai.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "hi" }],
      tools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    await openai.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], tools, tool_choice: "none" });
    expect(sentBody(0).tools).toEqual([
      {
        functionDeclarations: [
          { name: "get_weather", description: "Weather", parametersJsonSchema: { type: "object", properties: { city: { type: "string" } } } },
        ],
      },
    ]);
    expect(sentBody(0).toolConfig).toEqual({ functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } });
    expect(sentBody(1).toolConfig).toEqual({ functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ["get_weather"] } });
    expect(sentBody(2).toolConfig).toEqual({ functionCallingConfig: { mode: FunctionCallingConfigMode.NONE } });
  });

  it("images: a data URL inline, an https URL by reference; a URL whose type its name does not say, or plain http, is a 400 and Gemini is not called", async () => {
    await openai.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.JPG?size=large" } },
          ],
        },
      ],
    });
    expect(sentBody().contents).toEqual([
      {
        role: "user",
        parts: [
          { text: "Compare" },
          { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
          { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/cat.JPG?size=large" } },
        ],
      },
    ]);
    for (const url of ["https://example.com/image", "http://example.com/cat.png", "data:image/png,notbase64"]) {
      const res = await post({ model: "gemini-2.5-flash", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }] });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe("messages[0].content[0]");
    }
    expect(fake.calls).toHaveLength(1);
  });

  it("reasoning_effort: a thinking budget for Gemini 2.5, a thinking level for Gemini 3, thought summaries asked for; extra_body.google settings pass", async () => {
    await openai.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], reasoning_effort: "low" });
    await openai.chat.completions.create({ model: "gemini-3-flash-preview", messages: [{ role: "user", content: "hi" }], reasoning_effort: "high" });
    await post({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "hi" }],
      google: { thinking_config: { thinking_budget: 800, include_thoughts: true }, cached_content: "cachedContents/abc" },
    });
    expect(sentBody(0).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    expect(sentBody(1).generationConfig).toEqual({ thinkingConfig: { thinkingLevel: ThinkingLevel.HIGH, includeThoughts: true } });
    expect(fake.calls[2]?.body).toEqual({
      contents: [{ role: "user", parts: [{ text: "hi" }] }],
      generationConfig: { thinkingConfig: { thinkingBudget: 800, includeThoughts: true } },
      cachedContent: "cachedContents/abc",
    });
  });

  it("an OpenAI-only field is refused with a 400 naming it, never forwarded; false and null ask for nothing", async () => {
    for (const [field, value] of [
      ["logprobs", true],
      ["modalities", ["text", "audio"]],
      ["logit_bias", { "1": 2 }],
      ["some_vendor_flag", 1],
    ] as const) {
      const res = await post({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], [field]: value });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string; code: string } }).error).toMatchObject({ param: field, code: "unsupported_parameter" });
    }
    expect(fake.calls).toHaveLength(0);
    const res = await post({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], logprobs: false, tools: null, n: null });
    expect(res.status).toBe(200);
    expect(sentBody()).toEqual({ contents: [{ role: "user", parts: [{ text: "hi" }] }] });
  });
});

describe("what clients get", () => {
  it("a whole completion: text, finish_reason, usage, the model Gemini names", async () => {
    fake.script(generated(reply("Bonjour.")));
    const completion = await openai.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] });
    expect(completion).toMatchObject({
      id: "chatcmpl-resp-fake-1",
      object: "chat.completion",
      model: "gemini-2.5-flash",
      choices: [{ index: 0, message: { role: "assistant", content: "Bonjour." }, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
    });
  });

  it("thinking: thoughts as reasoning_content, never in the content; cached and reasoning tokens in the usage details", async () => {
    fake.script(generated(thinkingResponse));
    const completion = await openai.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "2+2?" }],
      reasoning_effort: "low",
    });
    const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.content).toBe("4");
    expect(message.reasoning_content).toBe("The user wants a sum; 2 + 2 is 4.");
    expect(completion.usage).toEqual({
      prompt_tokens: 1200,
      completion_tokens: 26,
      total_tokens: 1226,
      prompt_tokens_details: { cached_tokens: 1000 },
      completion_tokens_details: { reasoning_tokens: 25 },
    });
  });

  it("finish reasons: MAX_TOKENS is length, SAFETY and a blocked prompt content_filter; n is candidateCount, one choice per candidate", async () => {
    fake.script(generated(maxTokensResponse), generated(safetyResponse), generated(blockedPromptResponse), generated(twoCandidatesResponse));
    const ask = (n?: number) => openai.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], ...(n ? { n } : {}) });
    expect((await ask()).choices[0]).toMatchObject({ finish_reason: "length", message: { content: "Once upon a" } });
    expect((await ask()).choices[0]).toMatchObject({ finish_reason: "content_filter", message: { content: "" } });
    expect((await ask()).choices).toEqual([
      { index: 0, message: { role: "assistant", content: null, refusal: null }, finish_reason: "content_filter", logprobs: null },
    ]);
    const two = await ask(2);
    expect(sentBody(3).generationConfig).toEqual({ candidateCount: 2 });
    expect(two.choices.map((c) => c.message.content)).toEqual(["Heads", "Tails"]);
  });

  it("a stream: role first, thoughts as reasoning_content, text, the finish, and the usage chunk asked for; Gemini got :streamGenerateContent?alt=sse", async () => {
    fake.script(sse(streamEvents));
    const stream = await openai.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "count" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(fake.calls[0]?.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    expect(fake.calls[0]?.query).toBe("alt=sse");
    expect(fake.calls[0]?.headers["x-goog-api-key"]).toBe(KEY);
    expect(chunks[0]?.choices).toEqual([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
    const deltas = chunks.flatMap((c) => c.choices.map((choice) => choice.delta as { content?: string; reasoning_content?: string }));
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe("Counting.");
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("One, two.");
    expect(chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter(Boolean)).toEqual(["stop"]);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 7,
      total_tokens: 17,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 3 },
    });
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["chatcmpl-resp-stream-1"]));
  });

  it("a stream without include_usage has no usage chunk", async () => {
    fake.script(sse(streamEvents));
    const stream = await openai.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "count" }], stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((c) => c.usage != null)).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("the typed SDK gets the same answer", async () => {
    fake.script(generated(reply("Typed hello.")));
    const completion = await sdk(gateway, { transport: "http" }).chat.completions({ model: "gemini-2.5-flash", prompt: "hi" });
    expect(completion.choices[0]?.message.content).toBe("Typed hello.");
  });
});

describe("tool round trips", () => {
  it("Gemini's call id and thought signature reach the client, and come back to Gemini with the result", async () => {
    fake.script(generated(toolCallResponse));
    const first = await openai.chat.completions.create({ model: "gemini-3-flash-preview", messages: [{ role: "user", content: "Weather in Paris?" }] });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall & { extra_content?: unknown };
    expect(call).toEqual({
      id: "call_g_fc7x2",
      type: "function",
      function: { name: "get_weather", arguments: JSON.stringify({ city: "Paris", unit: "celsius" }) },
      extra_content: { google: { thought_signature: SIGNATURE } },
    });
    await openai.chat.completions.create({
      model: "gemini-3-flash-preview",
      messages: [
        { role: "user", content: "Weather in Paris?" },
        choice.message as OpenAI.ChatCompletionAssistantMessageParam,
        { role: "tool", tool_call_id: call.id, content: '{"temp": 21}' },
      ],
    });
    expect(sentBody(1).contents).toEqual([
      { role: "user", parts: [{ text: "Weather in Paris?" }] },
      { role: "model", parts: [{ functionCall: { id: "fc7x2", name: "get_weather", args: { city: "Paris", unit: "celsius" } }, thoughtSignature: SIGNATURE }] },
      { role: "user", parts: [{ functionResponse: { id: "fc7x2", name: "get_weather", response: { temp: 21 } } }] },
    ]);
  });

  it("calls without Gemini ids get ids unique across turns; their results find their names; a call sent back unsigned gets Gemini's documented placeholder", async () => {
    fake.script(generated(parallelCallsResponse), generated(parallelCallsResponse));
    const ask = () => openai.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Paris and Rome?" }] });
    const [a, b] = [(await ask()).choices[0]!.message.tool_calls!, (await ask()).choices[0]!.message.tool_calls!];
    const ids = [...a, ...b].map((c) => c.id);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    // The client rebuilds the assistant message from what it kept (no extra_content), as most do.
    const calls = a.map((c) => ({ id: c.id, type: "function" as const, function: (c as OpenAI.ChatCompletionMessageFunctionToolCall).function }));
    await openai.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [
        { role: "user", content: "Paris and Rome?" },
        { role: "assistant", content: null, tool_calls: calls },
        { role: "tool", tool_call_id: calls[1]!.id, content: "sunny" },
        { role: "tool", tool_call_id: calls[0]!.id, content: "rainy" },
      ],
    });
    expect(sentBody(2).contents).toEqual([
      { role: "user", parts: [{ text: "Paris and Rome?" }] },
      {
        role: "model",
        parts: [
          { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: SKIP_SIGNATURE },
          { functionCall: { name: "get_weather", args: { city: "Rome" } } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_weather", response: { output: "sunny" } } },
          { functionResponse: { name: "get_weather", response: { output: "rainy" } } },
        ],
      },
    ]);
  });

  it("a streamed call arrives whole, with its id, signature and tool_calls finish", async () => {
    fake.script(sse(streamToolEvents));
    const stream = await openai.chat.completions.create({ model: "gemini-3-flash-preview", messages: [{ role: "user", content: "Oslo?" }], stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const calls = chunks.flatMap((c) => c.choices.flatMap((choice) => choice.delta.tool_calls ?? []));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      index: 0,
      type: "function",
      function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
      extra_content: { google: { thought_signature: SIGNATURE } },
    });
    expect(calls[0]?.id).toMatch(/^call_/);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("a tool result whose call no assistant message made is a 400 (Gemini needs the function's name)", async () => {
    const res = await post({
      model: "gemini-2.5-flash",
      messages: [
        { role: "user", content: "hi" },
        { role: "tool", tool_call_id: "call_nowhere", content: "x" },
      ],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("messages[1].tool_call_id");
    expect(fake.calls).toHaveLength(0);
  });
});

describe("errors", () => {
  const ask = () => post({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { message: string; type: string; code: string | null } }).error;

  it("Google's 4xx keep their status and message, named by their status", async () => {
    for (const [status, name] of [
      [400, "INVALID_ARGUMENT"],
      [403, "PERMISSION_DENIED"],
      [404, "NOT_FOUND"],
    ] as const) {
      fake.script(googleError(status, name, `models/x is ${name.toLowerCase()}`));
      const res = await ask();
      expect(res.status).toBe(status);
      expect(await errorOf(res)).toMatchObject({ message: `models/x is ${name.toLowerCase()}`, code: name });
    }
  });

  it("429 RESOURCE_EXHAUSTED: a rate limit, with Google's RetryInfo as retry-after (rounded up)", async () => {
    fake.script(googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded", [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2.5s" }]));
    const res = await ask();
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await errorOf(res)).toMatchObject({ message: "Quota exceeded", type: "rate_limit_error", code: "RESOURCE_EXHAUSTED" });
  });

  it("500 and 503 are the gateway's 502 and say nothing of Google's body", async () => {
    for (const [status, name] of [
      [500, "INTERNAL"],
      [503, "UNAVAILABLE"],
    ] as const) {
      fake.script(googleError(status, name, "internal detail at 10.0.0.7"));
      const res = await ask();
      expect(res.status).toBe(502);
      expect(JSON.stringify(await errorOf(res))).not.toContain("10.0.0.7");
    }
  });

  it("a stream refused before its first chunk is an HTTP error, not a 200 with an error frame", async () => {
    fake.script(googleError(429, "RESOURCE_EXHAUSTED", "Slow down"));
    const res = await post({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], stream: true });
    expect(res.status).toBe(429);
  });

  it("an error event mid-stream, and a stream cut before any finish, end in an error frame", async () => {
    const first = streamEvents[1]!;
    fake.script(
      async (exchange) => {
        exchange.res.writeHead(200, { "content-type": "text/event-stream" });
        exchange.res.write(`data: ${JSON.stringify(first)}\r\n\r\n`);
        exchange.res.end(`data: ${JSON.stringify({ error: { code: 429, message: "Quota exceeded mid-stream", status: "RESOURCE_EXHAUSTED" } })}\r\n\r\n`);
      },
      sse([first, first], { dropAfter: 2 }),
    );
    // Google's status names the error's kind: RESOURCE_EXHAUSTED relays as a rate limit.
    for (const expected of ['Quota exceeded mid-stream.*"type":"rate_limit_error"', "ended the stream before it was complete|closed"]) {
      const res = await post({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], stream: true });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain("One, ");
      const frames = text.split("\n\n").filter((f) => f.startsWith("data: {") && f.includes('"error"'));
      expect(frames).toHaveLength(1);
      expect(frames[0]).toMatch(new RegExp(expected));
    }
  });

  it("hostile chunk shapes are skipped, not trusted: the stream still ends well", async () => {
    fake.script(
      sse([
        { candidates: "nope" as never },
        {
          candidates: [
            null as never,
            { index: -3 as never, content: { parts: [{ text: 5 as never }, "x" as never, { text: "ok" }] }, finishReason: FinishReason.STOP },
          ],
        },
      ]),
    );
    const res = await post({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], stream: true });
    const text = await res.text();
    expect(text).toContain('"content":"ok"');
    expect(text).toContain('"finish_reason":"stop"');
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
  });
});

describe("abort", () => {
  it("a client that leaves mid-stream closes the upstream connection", async () => {
    fake.script(sse(streamEvents.slice(0, 1), { hangAfter: 1 }));
    const controller = new AbortController();
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const call = await fake.call(0);
    expect(await Promise.race([call.ended, new Promise((r) => setTimeout(() => r("still open"), 3_000))])).toBe("aborted");
  });
});

describe("discovery and routing", () => {
  it("discovery reads every page, keeps generateContent models, strips models/; a Gemini model falls back to an OpenAI-compatible one", async () => {
    const { startFakeUpstream } = await import("../helpers/fake-upstream.js");
    const openaiFake = await startFakeUpstream({ models: ["m1"] });
    fake.modelPages([
      [
        { name: "models/gemini-2.5-flash", supportedGenerationMethods: ["generateContent", "countTokens"] },
        { name: "models/text-embedding-004", supportedGenerationMethods: ["embedContent"] },
      ],
      [{ name: "models/gemini-3-pro-preview", supportedGenerationMethods: ["generateContent"] }],
    ]);
    const { routing } = loadConfig({});
    const routed = await startGateway({
      routing: { ...routing, retry: { ...routing.retry, attempts: 1 } },
      providers: [
        upstreamProvider(fake.baseURL, [], { name: "gem", kind: "gemini", apiKey: KEY, discovery: true }),
        upstreamProvider(openaiFake.baseURL, ["m1"]),
      ],
      models: [
        {
          name: "smart",
          aliases: [],
          deployments: [{ provider: "gem", model: "gemini-2.5-pro", weight: 1 }],
          strategy: "weighted",
          fallbacks: ["m1"],
          contextWindowFallbacks: [],
        },
      ],
    });
    try {
      await routed.ready();
      const listed = ((await (await fetch(`${routed.baseURL}/v1/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
      expect(listed).toEqual(expect.arrayContaining(["gem/gemini-2.5-flash", "gem/gemini-3-pro-preview"]));
      expect(listed).not.toContain("gem/text-embedding-004");
      const pages = fake.calls.filter((c) => c.method === "GET");
      expect(pages.map((c) => c.query)).toEqual(["pageSize=1000", "pageSize=1000&pageToken=1"]);
      expect(pages[0]?.headers["x-goog-api-key"]).toBe(KEY);

      fake.script(googleError(500, "INTERNAL", "boom"));
      const res = await fetch(`${routed.baseURL}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "smart", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-languru-model-deployment")).toBe("fake/m1");
      expect(fake.calls.filter((c) => c.method === "POST").map((c) => c.path)).toEqual(["/v1beta/models/gemini-2.5-pro:generateContent"]);
      expect(openaiFake.calls.filter((c) => c.method === "POST")).toHaveLength(1);
      // `provider/model` addressing reaches any Gemini model.
      fake.script(generated(reply("addressed")));
      const addressed = await fetch(`${routed.baseURL}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gem/gemini-3-pro-preview", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(((await addressed.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe("addressed");
      expect(fake.calls.at(-1)?.path).toBe("/v1beta/models/gemini-3-pro-preview:generateContent");
    } finally {
      await routed.close(100);
      await openaiFake.close();
    }
  });
});
