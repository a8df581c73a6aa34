/**
 * Issue 16 item 4 and issue 17 item 5: no chunk shape breaks metering, observing or buffering, and
 * keys on or off the client gets the same chunks: the upstream's own bytes on the REST door, the
 * same values over tRPC (WebSocket subscription, and `chat.start` + SSE follow, which buffers),
 * except the usage-only chunk the gateway itself asked for. Chunks without `choices` or `delta`,
 * Azure's asynchronous content-filter chunk, payloads that are no object, and usage an upstream
 * sends unasked (Mistral's and DeepSeek's in the finish chunk, OpenRouter's with `cost`) all pass.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, createKey, startKeyedGateway } from "../helpers/access.js";
import { chatChunks, type FakeUpstream, type Json } from "../helpers/fake-upstream.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { AZURE_FILTER_CHUNK, ODD_CHUNKS, hostileModel, startHostileUpstream, type HostileDirective } from "../helpers/hostile-upstream.js";

const messages = [{ role: "user" as const, content: "say something odd" }];

let upstream: FakeUpstream;
let open: TestGateway;
let keyed: TestGateway;
let key: string;
beforeAll(async () => {
  upstream = await startHostileUpstream({ models: ["m"] });
  const providers = [upstreamProvider(upstream.baseURL, ["m"], { name: "hostile" })];
  [open, keyed] = await Promise.all([startGateway({ providers }), startKeyedGateway({}, { providers })]);
  ({ key } = await createKey(keyed));
});
afterAll(async () => {
  await Promise.all([open?.close(100), keyed?.close(100)]);
  await upstream?.close();
});

/** The `data:` payloads of a REST stream, as the gateway wrote them. */
async function restPayloads(gateway: TestGateway, body: Json, apiKey?: string): Promise<string[]> {
  const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ messages, stream: true, ...body }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: "))
    .map((frame) => frame.slice("data: ".length));
}

/**
 * What the hostile upstream sends for `directive` (without the usage chunk it adds when asked), as raw
 * payloads; `model` is the upstream model asked for (by default the one carrying the directive).
 */
function upstreamPayloads(directive: HostileDirective, model = hostileModel(directive).slice("hostile/".length)): string[] {
  const defaults = chatChunks({ model }).map((c) => JSON.stringify(c));
  const odd = [...(directive.frames ?? []), ...(directive.odd ?? []).map((i) => ODD_CHUNKS[i] as string)];
  return [defaults[0] as string, ...odd, ...defaults.slice(1), "[DONE]"];
}

/** Every chunk of a tRPC stream (WebSocket subscription, or `chat.start` + SSE follow with `transport: "http"`). */
async function trpcChunks(gateway: TestGateway, model: string, transport: "ws" | "http", apiKey?: string): Promise<unknown[]> {
  const client = sdk(gateway, { apiKey, ...(transport === "http" ? { transport: "http" as const } : {}) });
  const chunks: unknown[] = [];
  try {
    for await (const chunk of client.chat.stream({ model, messages })) chunks.push(chunk);
  } finally {
    await client.close();
  }
  return chunks;
}

describe("chunks of every odd shape", () => {
  for (const [index, payload] of ODD_CHUNKS.entries()) {
    it(`passes ${payload.slice(0, 60)}${payload.length > 60 ? "…" : ""} unchanged, keys on and off, on every door`, async () => {
      const directive = { odd: [index] };
      const model = hostileModel(directive);
      const expected = upstreamPayloads(directive);
      // REST: the upstream's bytes, byte for byte, keys on as off.
      expect(await restPayloads(open, { model })).toEqual(expected);
      expect(await restPayloads(keyed, { model }, key)).toEqual(expected);
      // tRPC: the same values; `chat.start` + follow goes through the generation buffer.
      const values = expected.slice(0, -1).map((p) => JSON.parse(p) as unknown);
      for (const transport of ["ws", "http"] as const) {
        expect(await trpcChunks(open, model, transport)).toEqual(values);
        expect(await trpcChunks(keyed, model, transport, key)).toEqual(values);
      }
    });
  }

  it("Azure's content-filter chunk amid a stream is metered: the call leaves a ledger row and the key keeps working", async () => {
    const { key: own, id } = await createKey(keyed);
    const directive = { frames: [AZURE_FILTER_CHUNK, AZURE_FILTER_CHUNK] };
    expect(await restPayloads(keyed, { model: "m", hostile: directive }, own)).toEqual(upstreamPayloads(directive, "m"));
    const { rows } = await adminClient(keyed).usage.query.query({ keyId: id });
    expect(rows.map((r) => r.status)).toEqual([200]);
    // The usage the gateway asked for (the fake's usage-only chunk) was read, not an estimate.
    expect(rows[0]?.promptTokens).toBe(5);
  });
});

describe("usage the upstream sends unasked", () => {
  // Mistral and DeepSeek put usage in the finish chunk; OpenRouter adds `cost` to it.
  const finishUsage = {
    mistral: '{"prompt_tokens":9,"total_tokens":12,"completion_tokens":3}',
    openrouter: '{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"cost":0.000123,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0}}',
  };

  for (const [name, usage] of Object.entries(finishUsage)) {
    it(`${name}: the finish chunk with its usage reaches the client as the upstream's bytes, keys on as off`, async () => {
      const body = { model: "m", hostile: { usageJson: usage, placement: "finish-chunk" } };
      const unkeyed = await restPayloads(open, body);
      const metered = await restPayloads(keyed, body, key);
      expect(metered).toEqual(unkeyed);
      expect(metered.at(-2)).toContain(`"usage":${usage}`);
      expect(metered.at(-2)).toContain('"finish_reason":"stop"');
    });
  }

  for (const spaced of [false, true]) {
    it(`OpenAI's "usage": null on every chunk${spaced ? " (written as Python spaces it)" : ""}: taken out of the upstream's bytes when only the gateway asked`, async () => {
      const model = hostileModel({ openai: true, spaced });
      const unkeyed = await restPayloads(open, { model });
      const metered = await restPayloads(keyed, { model }, key);
      // Byte for byte what the upstream sends a client that does not ask.
      expect(metered).toEqual(unkeyed);
      expect(metered.some((p) => p.includes("usage"))).toBe(false);
      // The client asking gets them, and the usage chunk, as the upstream sent them.
      const asked = await restPayloads(keyed, { model, stream_options: { include_usage: true } }, key);
      expect(asked).toEqual(await restPayloads(open, { model, stream_options: { include_usage: true } }));
      expect(asked.filter((p) => p.includes(spaced ? '"usage": null' : '"usage":null')).length).toBe(asked.length - 2);
    });
  }
});

describe("whole completions of odd shapes", () => {
  const bodies = [
    '{"id":"x","object":"chat.completion","created":0,"model":"m","choices":[{"index":0}]}',
    '{"id":"x","object":"chat.completion","created":0,"model":"m","choices":[null,{"index":1,"message":null},{"index":2,"message":{"content":7}}]}',
    '{"id":"x","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi","tool_calls":"many"}}],"usage":"lots"}',
  ];
  for (const body of bodies) {
    it(`passes ${body.slice(60, 120)}… unchanged, keys on and off`, async () => {
      for (const [gateway, apiKey] of [
        [open, undefined],
        [keyed, key],
      ] as const) {
        const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
          body: JSON.stringify({ model: "m", messages, hostile: { completion: body } }),
        });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe(body);
      }
    });
  }
});
