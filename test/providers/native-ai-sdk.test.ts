/**
 * Issue 18 (tests): the Vercel AI SDK's OpenAI-compatible provider, a client nobody here wrote,
 * through the gateway to each native kind: a fake Anthropic Messages API and a fake Gemini API
 * (real HTTP servers), whole (`generateText`) and streamed (`streamText`), text and usage.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, streamText } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../helpers/fake-anthropic.js";
import { generated, reply, sse, startFakeGemini, type FakeGemini } from "../helpers/fake-gemini.js";
import { startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";

let anthropic: FakeAnthropic;
let gemini: FakeGemini;
let gateway: TestGateway;

beforeAll(async () => {
  [anthropic, gemini] = await Promise.all([startFakeAnthropic(), startFakeGemini()]);
  gateway = await startGateway({
    providers: [
      upstreamProvider(anthropic.baseURL, ["claude-sonnet-5-5"], { name: "claude", kind: "anthropic", apiKey: "sk-ant-test-key-0123456789" }),
      upstreamProvider(gemini.baseURL, ["gemini-2.5-flash"], { name: "gem", kind: "gemini", apiKey: "gemini-test-key-0123456789" }),
    ],
  });
});
afterAll(async () => {
  await gateway?.close(100);
  await Promise.all([anthropic?.close(), gemini?.close()]);
});

const client = () => createOpenAICompatible({ name: "languru", baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", includeUsage: true });

describe("the AI SDK through the gateway to native providers", () => {
  it("Anthropic: generateText gets the text, the finish reason and the usage Claude reported", async () => {
    const result = await generateText({ model: client().chatModel("claude-sonnet-5-5"), prompt: "hi", maxRetries: 0 });
    expect(result.text).toBe("Hi there");
    expect(result.finishReason).toBe("stop");
    expect(result.usage.inputTokens).toBe(10);
    expect(result.usage.outputTokens).toBe(3);
    const sent = anthropic.messageCalls().at(-1);
    expect(sent?.body.model).toBe("claude-sonnet-5-5");
    expect(JSON.stringify(sent?.body.messages)).toContain('"hi"');
  });

  it("Anthropic: streamText streams the text deltas", async () => {
    const result = streamText({ model: client().chatModel("claude-sonnet-5-5"), prompt: "hi", maxRetries: 0 });
    let text = "";
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe("Hi there");
    expect(await result.finishReason).toBe("stop");
  });

  it("Gemini: generateText and streamText", async () => {
    gemini.script(generated(reply("Hello from Gemini.")));
    const whole = await generateText({ model: client().chatModel("gemini-2.5-flash"), prompt: "hi", maxRetries: 0 });
    expect(whole.text).toBe("Hello from Gemini.");
    expect(whole.usage.inputTokens).toBe(5);

    // As Gemini streams: the finish reason only on the last event.
    gemini.script(sse([reply("Hello ", { candidates: [{ index: 0, content: { role: "model", parts: [{ text: "Hello " }] } }] }), reply("in parts.")]));
    const streamed = streamText({ model: client().chatModel("gemini-2.5-flash"), prompt: "hi", maxRetries: 0 });
    let text = "";
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toBe("Hello in parts.");
    const call = gemini.calls.at(-1);
    expect(call?.path).toMatch(/:streamGenerateContent$/);
  });
});
