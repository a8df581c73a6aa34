/**
 * The OpenAI Agents SDK, nobody's code here, running a tool-using agent on its default model over
 * the Responses API through the gateway: against `echo` (it answers, no tool is called) and against
 * a fake OpenAI-compatible upstream that calls the tool first and answers with its result. Tracing
 * export is off and the client points at the gateway: nothing goes to the network.
 */
import { Agent, OpenAIProvider, Runner, getDefaultModel, setTracingDisabled, tool } from "@openai/agents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";
import { completion, startFakeUpstream, stream, type FakeUpstream, type Json } from "./helpers/fake-upstream.js";

setTracingDisabled(true);
const MODEL = getDefaultModel();

function weatherAgent(seen: string[]) {
  const getWeather = tool({
    name: "get_weather",
    description: "The weather in a city",
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      seen.push(city);
      return `sunny in ${city}`;
    },
  });
  return new Agent({ name: "Weather", instructions: "Answer with the tool's result.", tools: [getWeather] });
}

function runner(gateway: TestGateway): Runner {
  return new Runner({ modelProvider: new OpenAIProvider({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", useResponses: true }) });
}

describe("the Agents SDK on its default Responses model", () => {
  let echoGateway: TestGateway;
  let upstream: FakeUpstream;
  let upstreamGateway: TestGateway;

  beforeAll(async () => {
    // The agent's default model, served by echo in one gateway and by the fake upstream in the other.
    echoGateway = await startGateway({
      models: [
        {
          name: MODEL,
          aliases: [],
          deployments: [{ provider: "languru", model: "echo", weight: 1 }],
          strategy: "weighted",
          fallbacks: [],
          contextWindowFallbacks: [],
        },
      ],
    });
    upstream = await startFakeUpstream();
    upstreamGateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, [MODEL])] });
  });
  afterAll(async () => {
    await echoGateway.close();
    await upstreamGateway.close();
    await upstream.close();
  });

  it("runs against echo: the reply is the user's words", async () => {
    const seen: string[] = [];
    const result = await runner(echoGateway).run(weatherAgent(seen), "what is the weather in Paris");
    expect(result.finalOutput).toBe("what is the weather in Paris");
    expect(seen).toEqual([]);
  });

  it("runs against an upstream that calls the tool: the tool runs, its result goes back, the agent answers", async () => {
    upstream.reset();
    const toolCall = {
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [{ id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
    };
    upstream.script(
      completion({ choices: [{ index: 0, message: toolCall, finish_reason: "tool_calls", logprobs: null }] }),
      completion((request: Json) => {
        const messages = request.messages as Json[];
        const result = messages.find((m) => m.role === "tool");
        return {
          choices: [
            { index: 0, message: { role: "assistant", content: `It is ${String(result?.content)}.`, refusal: null }, finish_reason: "stop", logprobs: null },
          ],
        };
      }),
    );
    const seen: string[] = [];
    const result = await runner(upstreamGateway).run(weatherAgent(seen), "what is the weather in Paris");
    expect(seen).toEqual(["Paris"]);
    expect(result.finalOutput).toBe("It is sunny in Paris.");
    const second = upstream.calls.filter((c) => c.path === "/v1/chat/completions")[1]!.body;
    const messages = second.messages as Json[];
    expect(messages[0]).toEqual({ role: "system", content: "Answer with the tool's result." });
    expect(messages.at(-2)).toMatchObject({
      role: "assistant",
      tool_calls: [{ id: "call_w1", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
    });
    expect(messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_w1", content: "sunny in Paris" });
    expect(second.tools).toMatchObject([{ type: "function", function: { name: "get_weather" } }]);
  });

  it("streams the same run: tool call arguments arrive in pieces, the answer as deltas", async () => {
    upstream.reset();
    const base = { id: "chatcmpl-s", object: "chat.completion.chunk", created: 1_700_000_000, model: MODEL };
    const delta = (d: Json, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta: d, finish_reason: finish, logprobs: null }] });
    upstream.script(
      stream([
        delta({
          role: "assistant",
          content: null,
          tool_calls: [{ index: 0, id: "call_s1", type: "function", function: { name: "get_weather", arguments: "" } }],
        }),
        delta({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        delta({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
        delta({}, "tool_calls"),
      ]),
      stream([delta({ role: "assistant", content: "" }), delta({ content: "Oslo is" }), delta({ content: " sunny." }), delta({}, "stop")]),
    );
    const seen: string[] = [];
    const result = await runner(upstreamGateway).run(weatherAgent(seen), "weather in Oslo?", { stream: true });
    const deltas: string[] = [];
    for await (const event of result.toTextStream()) deltas.push(event);
    await result.completed;
    expect(seen).toEqual(["Oslo"]);
    expect(deltas.join("")).toBe("Oslo is sunny.");
    expect(result.finalOutput).toBe("Oslo is sunny.");
  });
});
