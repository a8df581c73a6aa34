/**
 * The Responses door reads an upstream's chat answer as upstreams really send it, not as the
 * types say: a usage-only chunk with no `choices`, a finish chunk with no `delta` or with
 * `delta: null`, choices with no `index`, `content` as an array of text parts, tool call
 * `arguments` as an object, usage with no `total_tokens`. Each must still give the answer (the
 * chat-completions door relays the same upstream without trouble), in the spec's types. Real
 * gateway, a fake upstream, the official openai client; every Response and event checked against
 * the vendored OpenAI schemas.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { completion, type FakeUpstream, type Json, startFakeUpstream, stream } from "./helpers/fake-upstream.js";
import { startGateway, type TestGateway, upstreamProvider } from "./helpers/gateway.js";
import { expectEventSpec, expectResponsesSpec } from "./helpers/responses-spec.js";

let upstream: FakeUpstream;
let gateway: TestGateway;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["real-model"])] });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});
beforeEach(() => upstream.reset());

const client = () => new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
const base = { id: "chatcmpl-x", object: "chat.completion.chunk", created: 1_700_000_000, model: "real-model" };
const chunk = (choice: Json) => ({ ...base, choices: [choice] });
const hi = chunk({ index: 0, delta: { role: "assistant", content: "Hi" }, finish_reason: null });

/** Streams through the SDK's helper, checks every event, and returns the final response. */
async function streamed() {
  const events = client().responses.stream({ model: "real-model", input: "x" });
  for await (const event of events) expectEventSpec(event);
  const response = await events.finalResponse();
  expectResponsesSpec("Response", response);
  return response;
}

describe("streamed upstream chunks of every shape", () => {
  it.each<[string, Json[]]>([
    [
      "a usage-only chunk with no choices",
      [hi, chunk({ index: 0, delta: {}, finish_reason: "stop" }), { ...base, usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } }],
    ],
    ["a finish chunk with no delta", [hi, chunk({ index: 0, finish_reason: "stop" })]],
    ["a finish chunk with delta: null", [hi, chunk({ index: 0, delta: null, finish_reason: "stop" })]],
    [
      "choices with no index",
      [chunk({ delta: { role: "assistant", content: "H" } }), chunk({ delta: { content: "i" } }), chunk({ delta: {}, finish_reason: "stop" })],
    ],
    [
      "content as text parts",
      [
        chunk({
          index: 0,
          delta: {
            content: [
              { type: "text", text: "H" },
              { type: "text", text: "i" },
            ],
          },
        }),
        chunk({ index: 0, finish_reason: "stop" }),
      ],
    ],
  ])("%s: completed, with the text", async (_name, frames) => {
    upstream.script(stream(frames));
    const response = await streamed();
    expect(response.status).toBe("completed");
    expect(response.output_text).toBe("Hi");
  });

  it("tool call arguments sent as an object arrive as their JSON text", async () => {
    upstream.script(
      stream([
        chunk({
          index: 0,
          delta: { role: "assistant", tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "add", arguments: { a: 1 } } }] },
        }),
        chunk({ index: 0, delta: {}, finish_reason: "tool_calls" }),
      ]),
    );
    const response = await streamed();
    const call = response.output.find((item) => item.type === "function_call");
    expect(call).toMatchObject({ call_id: "call_1", name: "add", arguments: '{"a":1}' });
  });

  it("usage with no total_tokens gets one: input + output", async () => {
    upstream.script(
      stream([hi, chunk({ index: 0, delta: {}, finish_reason: "stop" }), { ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 3 } }]),
    );
    const response = await streamed();
    expect(response.usage).toMatchObject({ input_tokens: 5, output_tokens: 3, total_tokens: 8 });
  });
});

describe("a whole upstream answer of every shape", () => {
  const answer = (message: Json, extra: Json = {}) =>
    completion({ choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: "stop", logprobs: null }], ...extra });

  it("content as text parts is the output text", async () => {
    upstream.script(
      answer({
        content: [
          { type: "text", text: "Hel" },
          { type: "text", text: "lo" },
        ],
      }),
    );
    const response = await client().responses.create({ model: "real-model", input: "x" });
    expectResponsesSpec("Response", response);
    expect(response.output_text).toBe("Hello");
  });

  it("tool call arguments as an object, and a call with no id, are strings the SDK can parse", async () => {
    upstream.script(answer({ content: null, tool_calls: [{ type: "function", function: { name: "add", arguments: { a: 1 } } }] }));
    const response = await client().responses.create({ model: "real-model", input: "x" });
    expectResponsesSpec("Response", response);
    const call = response.output.find((item) => item.type === "function_call");
    expect(call?.type === "function_call" && JSON.parse(call.arguments)).toEqual({ a: 1 });
    expect(call?.type === "function_call" && call.call_id).toMatch(/^call_\w+$/);
  });

  it("usage with no total_tokens gets one, and counts that are not counts are no usage", async () => {
    upstream.script(answer({ content: "ok" }, { usage: { prompt_tokens: 5, completion_tokens: 3 } }));
    expect((await client().responses.create({ model: "real-model", input: "x" })).usage).toMatchObject({ input_tokens: 5, output_tokens: 3, total_tokens: 8 });
    upstream.script(answer({ content: "ok" }, { usage: { prompt_tokens: -1e9, completion_tokens: "3" } }));
    const response = await client().responses.create({ model: "real-model", input: "x" });
    expectResponsesSpec("Response", response);
    expect(response.usage).toBeUndefined();
  });
});
