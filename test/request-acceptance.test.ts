/**
 * Requests the upstream would accept reach it, over real sockets: `null` on any optional field,
 * content parts and enum members the gateway does not know (vLLM's `video_url`, `flac` audio),
 * any number of stop strings, tool and schema names of any pattern, seeds beyond 2^53 with their
 * digits intact, and multi-photo bodies far past the old 4 MiB default. The gateway still refuses
 * what it needs to meter and stay safe (types, `n`, token limits, sampling ranges).
 */
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../server/config.js";
import { startCaptureUpstream, type CaptureUpstream } from "./helpers/capture-upstream.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";
import { everyRequestField, optionalRequestFields } from "./helpers/request-samples.js";

let upstream: CaptureUpstream;
let gateway: TestGateway;
beforeAll(async () => {
  upstream = await startCaptureUpstream();
  // The default config (the default body limit included), routed to the capture upstream.
  gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["m"])] });
});
afterAll(async () => {
  await gateway?.close(100);
  await upstream?.close();
});

const hi = [{ role: "user", content: "hi" }];

async function post(body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

/** POSTs, expects a 200, and returns what the upstream received (parsed). */
async function forwarded(body: unknown): Promise<Record<string, unknown>> {
  const before = upstream.bodies.length;
  const { status, text } = await post(body);
  expect(status, text.slice(0, 500)).toBe(200);
  expect(upstream.bodies.length).toBe(before + 1);
  return upstream.last();
}

describe("null on an optional field is forwarded", () => {
  it.each(["tools", "tool_choice", "parallel_tool_calls", "user", "response_format"])("%s: null (the issue's list)", async (field) => {
    const got = await forwarded({ model: "m", messages: hi, [field]: null });
    expect(got[field]).toBeNull();
  });

  it("every optional field of the spec at once", async () => {
    const nulls = Object.fromEntries(optionalRequestFields.map((field) => [field, null]));
    const got = await forwarded({ model: "m", messages: hi, ...nulls });
    for (const field of optionalRequestFields) expect(got[field], field).toBeNull();
  });
});

describe("what the upstream judges is the upstream's", () => {
  it.each<[string, unknown]>([
    ["vLLM's video_url part", { type: "video_url", video_url: { url: "https://example.com/clip.mp4" } }],
    ["vLLM's audio_url part", { type: "audio_url", audio_url: { url: "https://example.com/a.wav" } }],
    ["a part kind nobody ships yet", { type: "input_hologram", input_hologram: { frames: 3 } }],
    ["input_audio as flac", { type: "input_audio", input_audio: { data: "ZmxhYw==", format: "flac" } }],
    ["input_audio as ogg", { type: "input_audio", input_audio: { data: "b2dn", format: "ogg" } }],
    ["an image detail OpenAI does not list", { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "original" } }],
  ])("%s", async (_label, part) => {
    const got = await forwarded({ model: "m", messages: [{ role: "user", content: [{ type: "text", text: "look" }, part] }] });
    expect((got.messages as Array<{ content: unknown[] }>)[0]?.content[1]).toEqual(part);
  });

  it.each([5, 6, 32])("%i stop strings", async (count) => {
    const stop = Array.from({ length: count }, (_, i) => `stop-${i}`);
    expect((await forwarded({ model: "m", messages: hi, stop })).stop).toEqual(stop);
  });

  it.each(["github.search_issues", "ns:tool/v2", "名前", "x".repeat(200)])("a tool named %s", async (name) => {
    const tools = [{ type: "function", function: { name, parameters: { type: "object", properties: {} } } }];
    const got = await forwarded({ model: "m", messages: hi, tools, tool_choice: { type: "function", function: { name } } });
    expect(got.tools).toEqual(tools);
  });

  it.each<[string, Record<string, unknown>]>([
    ["a json_schema name with dots", { response_format: { type: "json_schema", json_schema: { name: "answer.v2", schema: { type: "object" } } } }],
    ["a response format of a provider's own", { response_format: { type: "regex", regex: "[a-z]+" } }],
    ["a tool type of a provider's own", { tools: [{ type: "web_search_preview", search_context_size: "low" }] }],
    ["Mistral's tool_choice 'any'", { tool_choice: "any" }],
    ["a reasoning effort OpenAI does not list", { reasoning_effort: "extreme" }],
    ["a service tier OpenAI does not list", { service_tier: "on_demand" }],
    ["more than 16 metadata pairs, long values", { metadata: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, "v".repeat(600)])) }],
  ])("%s", async (_label, extra) => {
    const got = await forwarded({ model: "m", messages: hi, ...extra });
    for (const [key, value] of Object.entries(extra)) expect(got[key]).toEqual(value);
  });
});

describe("integers beyond 2^53 reach the upstream as the same digits", () => {
  it.each(["9007199254740993", "-9007199254740993", "9223372036854775807", "-9223372036854775808", "18446744073709551615", "123456789012345678901234567890"])(
    "seed %s",
    async (digits) => {
      await forwarded(`{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":${digits}}`);
      expect(upstream.bodies.at(-1)).toContain(`"seed":${digits}`);
    },
  );

  it("in an extra field, nested, and beside strings of digits that stay strings", async () => {
    const body = `{"model":"m","messages":[{"role":"user","content":"id 12345678901234567890 \\" 98765432109876543210"}],"vllm_xargs":{"big":[1,12345678901234567891,2.5]},"user":"12345678901234567892","seed":9007199254740993}`;
    await forwarded(body);
    const sent = upstream.bodies.at(-1) ?? "";
    expect(sent).toContain('"vllm_xargs":{"big":[1,12345678901234567891,2.5]}');
    expect(sent).toContain('"user":"12345678901234567892"');
    expect(sent).toContain('"content":"id 12345678901234567890 \\" 98765432109876543210"');
    expect(sent).toContain('"seed":9007199254740993');
  });

  it("streamed too, and a float or exponent stays a number", async () => {
    await post(
      `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"seed":-9223372036854775808,"x":12345678901234567e3,"y":1234567890123456789.5}`,
    );
    const sent = upstream.bodies.at(-1) ?? "";
    expect(sent).toContain('"seed":-9223372036854775808');
    expect(JSON.parse(sent)).toMatchObject({ x: Number("12345678901234567e3"), y: Number("1234567890123456789.5") });
  });

  it("a non-integer seed is still a 400", async () => {
    const { status, text } = await post({ model: "m", messages: hi, seed: 1.5 });
    expect(status).toBe(400);
    expect(JSON.parse(text).error.param).toBe("seed");
  });

  it.each([
    ["n", "99999999999999999999", /^Invalid value for 'n': Too big: expected int to be <=9007199254740991$/],
    ["max_tokens", "-99999999999999999999", /^Invalid value for 'max_tokens': Too small: expected int to be >=-9007199254740991$/],
    ["top_logprobs", "18446744073709551615", /^Invalid value for 'top_logprobs': Too big/],
  ])("where only a number fits, %s: %s is a 400 that says it is out of range, in the words a 1e21 gets", async (field, digits, message) => {
    const { status, text } = await post(`{"model":"m","messages":[{"role":"user","content":"hi"}],"${field}":${digits}}`);
    expect(status).toBe(400);
    const { error } = JSON.parse(text);
    expect(error.param).toBe(field);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("JsonInteger");
  });
});

describe("bodies the size of real multimodal requests", () => {
  it("defaults to a 32 MiB body limit and 256 MiB of bodies in flight", () => {
    const config = loadConfig({});
    expect(config.bodyLimitBytes).toBe(32 * 1024 * 1024);
    expect(config.bodyBytesInFlight).toBe(256 * 1024 * 1024);
  });

  it("a 5.2 MB request with three photos reaches the upstream", async () => {
    const photo = (seed: string) => `data:image/jpeg;base64,${Buffer.alloc(1_300_000, seed).toString("base64")}`;
    const content = [
      { type: "text", text: "Compare these." },
      ...["a", "b", "c"].map((s) => ({ type: "image_url", image_url: { url: photo(s), detail: "high" } })),
    ];
    const body = JSON.stringify({ model: "m", messages: [{ role: "user", content }] });
    expect(body.length).toBeGreaterThan(5_200_000);
    const got = await forwarded(body);
    expect(JSON.stringify(got.messages).length).toBeGreaterThan(5_200_000);
  });

  it("a 20 MiB body passes under the default limit, and one over it is a 413", async () => {
    const within = JSON.stringify({ model: "m", messages: [{ role: "user", content: "y".repeat(20 * 1024 * 1024) }] });
    expect((await post(within)).status).toBe(200);
    const over = JSON.stringify({ model: "m", messages: [{ role: "user", content: "z".repeat(33 * 1024 * 1024) }] });
    expect((await post(over)).status).toBe(413);
  });
});

describe("what the gateway needs stays checked", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["temperature as a string", { temperature: "hot" }, "temperature"],
    ["n over 128 (it multiplies the reservation)", { n: 129 }, "n"],
    ["max_tokens 0", { max_tokens: 0 }, "max_tokens"],
    ["a text part without text (it is metered)", { messages: [{ role: "user", content: [{ type: "text" }] }] }, "messages[0].content[0].text"],
    [
      "an image part without its url",
      { messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] },
      "messages[0].content[0].image_url.url",
    ],
    ["a part without a type", { messages: [{ role: "user", content: [{ video_url: { url: "x" } }] }] }, "messages[0].content[0].type"],
    ["stop as a number", { stop: 5 }, "stop"],
    ["tools as an object", { tools: { type: "function" } }, "tools"],
  ])("%s", async (_label, extra, param) => {
    const { status, text } = await post({ model: "m", messages: hi, ...extra });
    expect(status, text).toBe(400);
    expect(JSON.parse(text).error.param).toBe(param);
  });
});

describe("the typed SDK accepts every field of the spec", () => {
  it.each(["websocket", "http"] as const)("over %s, and the upstream gets each field unchanged", async (transport) => {
    const client = sdk(gateway, { transport, WebSocket });
    try {
      const before = upstream.bodies.length;
      let text = "";
      for await (const chunk of client.chat.stream(everyRequestField)) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toBe("ok");
      expect(upstream.bodies.length).toBe(before + 1);
      const got = upstream.last();
      for (const [field, value] of Object.entries(everyRequestField)) expect(got[field], field).toEqual(value);

      const { stream: _stream, stream_options: _options, ...whole } = everyRequestField;
      const completion = await client.chat.completions({ ...whole, reasoning_effort: "minimal", service_tier: null, seed: Number.MAX_SAFE_INTEGER });
      expect(completion.choices[0]?.message.content).toBe("ok");
      expect(upstream.bodies.at(-1)).toContain('"seed":9007199254740991,');
    } finally {
      await client.close();
    }
  });

  it("null on every optional field", async () => {
    const client = sdk(gateway);
    try {
      const nulls = Object.fromEntries(optionalRequestFields.map((field) => [field, null]));
      const completion = await client.chat.completions({ model: "m", messages: [{ role: "user", content: "hi" }], ...nulls });
      expect(completion.choices[0]?.message.content).toBe("ok");
    } finally {
      await client.close();
    }
  });
});
