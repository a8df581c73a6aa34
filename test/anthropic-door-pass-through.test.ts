/**
 * The Anthropic door in front of a `kind: "anthropic"` deployment: no double translation. The fake
 * Anthropic API receives the client's exact body (only `model` set to the deployment's upstream
 * name; cache_control, thinking signatures, server tools and fields no translation knows intact)
 * with the client's `anthropic-beta`, and the client gets the upstream's own Message and events
 * back, byte for byte, through the official `@anthropic-ai/sdk` client and raw HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../server/config.js";
import { textStream, thinkingMessage, thinkingStream, toolStream } from "./fixtures/anthropic/messages.js";
import { anthropicClient, postJson, readSse } from "./helpers/anthropic-door.js";
import { answerEvents, answerMessage, startFakeAnthropic, type FakeAnthropic } from "./helpers/fake-anthropic.js";
import { startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";

let fake: FakeAnthropic;
let gateway: TestGateway;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  const { routing } = loadConfig({});
  gateway = await startGateway({
    routing: { ...routing, retry: { ...routing.retry, attempts: 1 } },
    providers: [
      upstreamProvider(fake.baseURL, ["claude-sonnet-5-5", { name: "claude", upstream: "claude-sonnet-5-5" }], {
        name: "claude",
        kind: "anthropic",
        apiKey: "sk-ant-api03-test-key-0123456789",
      }),
    ],
  });
});
afterAll(async () => {
  await gateway.close(100);
  await fake.close();
});
beforeEach(() => fake.reset());

const lastCall = () => fake.messageCalls().at(-1)!;

// A request full of what only the Messages API has: cache marks, a signed thinking turn, a server tool, an unknown field.
const body = {
  model: "claude",
  max_tokens: 1024,
  system: [{ type: "text", text: "You are a helpful assistant.", cache_control: { type: "ephemeral", ttl: "1h" } }],
  thinking: { type: "enabled", budget_tokens: 2048 },
  tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 2 }],
  context_management: { edits: [{ type: "clear_tool_uses_20250919" }] },
  messages: [
    { role: "user", content: [{ type: "text", text: "What is 2+2?", cache_control: { type: "ephemeral" } }] },
    {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Simple arithmetic.", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds" },
        { type: "text", text: "4" },
      ],
    },
    { role: "user", content: "And 3+3?" },
  ],
};

describe("pass-through to an Anthropic deployment", () => {
  it("the upstream receives the client's body unchanged but for the model, with its anthropic-beta", async () => {
    fake.script(answerMessage(thinkingMessage));
    const res = await postJson(gateway, "/v1/messages", body, { "anthropic-beta": "context-management-2025-06-27" });
    expect(res.status).toBe(200);
    expect(lastCall().body).toEqual({ ...body, model: "claude-sonnet-5-5" });
    expect(lastCall().headers["anthropic-beta"]).toBe("context-management-2025-06-27");
    // The upstream's own Message, its signatures and redacted thinking included, not a translation of a translation.
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(thinkingMessage)));
  });

  it("the SDK's messages.create gets the upstream's message, usage with cache counts included", async () => {
    fake.script(answerMessage(thinkingMessage));
    const message = await anthropicClient(gateway).messages.create({ model: "claude", max_tokens: 100, messages: [{ role: "user", content: "2+2?" }] });
    expect(message.content).toEqual(thinkingMessage.content);
    expect(message.usage).toEqual(thinkingMessage.usage);
    expect(lastCall().body).toEqual({ model: "claude-sonnet-5-5", max_tokens: 100, messages: [{ role: "user", content: "2+2?" }] });
  });

  it("a stream relays the upstream's events as they came, pings and signature_delta included", async () => {
    fake.script(answerEvents(thinkingStream));
    const res = await postJson(gateway, "/v1/messages", { ...body, stream: true });
    expect(lastCall().body).toEqual({ ...body, model: "claude-sonnet-5-5", stream: true });
    const events = await readSse(res);
    expect(events.map((e) => e.data)).toEqual(JSON.parse(JSON.stringify(thinkingStream)));
    expect(events.every((e) => e.event === e.data.type)).toBe(true);

    fake.script(answerEvents(textStream(["Hi", " there"])));
    const relayed = await readSse(await postJson(gateway, "/v1/messages", { ...body, stream: true }));
    expect(relayed.map((e) => e.data)).toEqual(JSON.parse(JSON.stringify(textStream(["Hi", " there"]))));
  });

  it("messages.stream's finalMessage() over a relayed tool stream has the tool_use input", async () => {
    fake.script(answerEvents(toolStream));
    const message = await anthropicClient(gateway)
      .messages.stream({
        model: "claude",
        max_tokens: 100,
        messages: [{ role: "user", content: "weather?" }],
        tools: [{ name: "get_weather", input_schema: { type: "object" } }],
      })
      .finalMessage();
    expect(message.content.at(-1)).toMatchObject({ type: "tool_use", id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", input: { city: "Paris" } });
    expect(message.stop_reason).toBe("tool_use");
  });

  it("the OpenAI door to the same deployment still translates (the pass-through is the Anthropic door's only)", async () => {
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { object: string }).object).toBe("chat.completion");
    expect(lastCall().body).toMatchObject({ model: "claude-sonnet-5-5", messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] });
  });
});
