/**
 * The Responses door's `POST /v1/responses/input_tokens` through the official `openai` client
 * (`responses.inputTokens.count`), over real sockets: OpenAI's `TokenCountsResource` (checked
 * against the vendored schema), a count that grows with what the request sends (instructions,
 * input, tools, the stored conversation of `previous_response_id`), refusals in OpenAI's shape;
 * and refusals of a bad field naming the field the client sent, not its Chat Completions twin.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers/gateway.js";
import { expectResponsesSpec } from "./helpers/responses-spec.js";

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway.close());

const client = () => new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
const count = async (body: OpenAI.Responses.InputTokenCountParams) => {
  const answer = await client().responses.inputTokens.count(body);
  expectResponsesSpec("TokenCountsResource", answer);
  return answer.input_tokens;
};

const tool = {
  type: "function" as const,
  name: "get_weather",
  description: "The weather in a city today.",
  parameters: { type: "object", properties: { city: { type: "string", description: "The city's name" } }, required: ["city"] },
  strict: true,
};

describe("POST /v1/responses/input_tokens", () => {
  it("answers OpenAI's shape, marked as the gateway's estimate", async () => {
    const res = await fetch(`${gateway.baseURL}/v1/responses/input_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "echo", input: "Tell me a joke." }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-languru-token-count")).toBe("estimate");
    const body = (await res.json()) as { object: string; input_tokens: number };
    expectResponsesSpec("TokenCountsResource", body);
    expect(body.object).toBe("response.input_tokens");
    expect(Number.isInteger(body.input_tokens) && body.input_tokens > 0).toBe(true);
  });

  it("counts what the request sends: longer input, instructions and tools count more", async () => {
    const short = await count({ model: "echo", input: "Tell me a joke." });
    const long = await count({ model: "echo", input: "Tell me a joke. ".repeat(50) });
    expect(long).toBeGreaterThan(short + 200);
    expect(await count({ model: "echo", input: "Tell me a joke.", instructions: "You are a comedian who speaks in rhymes." })).toBeGreaterThan(short);
    expect(await count({ model: "echo", input: "Tell me a joke.", tools: [tool] })).toBeGreaterThan(short + 20);
    // Items, not only a string.
    const items = await count({
      model: "echo",
      input: [
        { role: "user", content: [{ type: "input_text", text: "Tell me a joke." }] },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "function_call_output", call_id: "call_1", output: "sunny, 24 degrees" },
      ],
    });
    expect(items).toBeGreaterThan(short);
  });

  it("a previous_response_id counts the stored conversation too; an unknown one is a 404", async () => {
    const first = await client().responses.create({ model: "echo", input: "Remember these words: apple, river, lantern, violet." });
    const alone = await count({ model: "echo", input: "What were the words?" });
    const continued = await count({ model: "echo", input: "What were the words?", previous_response_id: first.id });
    expect(continued).toBeGreaterThan(alone + 10);
    const missing = await client()
      .responses.inputTokens.count({ model: "echo", input: "hi", previous_response_id: "resp_missing" })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).param).toBe("previous_response_id");
  });

  it("a model the gateway does not serve is a 404; a count without a model is still made", async () => {
    const error = await client()
      .responses.inputTokens.count({ model: "no-such-model", input: "hi" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
    expect(await count({ input: "Tell me a joke." })).toBe(await count({ model: "echo", input: "Tell me a joke." }));
  });

  it("a malformed body is a 400 naming the field", async () => {
    const error = await client()
      .responses.inputTokens.count({ model: "echo", input: 42 as unknown as string })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("input");
  });
});

describe("refusals name the Responses field", () => {
  const refusal = async (body: Record<string, unknown>) => {
    const error = await client()
      .responses.create({ model: "echo", input: "hi", ...body } as OpenAI.Responses.ResponseCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    return error as InstanceType<typeof OpenAI.BadRequestError>;
  };

  it.each([
    ["a json_schema format without a name", { text: { format: { type: "json_schema", schema: { type: "object" } } } }, "text.format.name"],
    ["a json_schema format whose schema is not an object", { text: { format: { type: "json_schema", name: "x", schema: 5 } } }, "text.format.schema"],
    [
      "a json_schema format whose strict is not a boolean",
      { text: { format: { type: "json_schema", name: "x", schema: {}, strict: "yes" } } },
      "text.format.strict",
    ],
  ])("%s", async (_what, body, param) => {
    const error = await refusal(body);
    expect(error.param).toBe(param);
    expect(error.message).toContain(`'${param}'`);
    expect(error.message).not.toContain("response_format");
  });
});
