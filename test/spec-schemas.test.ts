/** The spec validator itself: it must accept what the spec allows and reject what it does not. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadSpec, rewriteNullable, specPath, validateSpec, type SpecSchemaName } from "./helpers/spec.js";

const completion = () => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "echo",
  choices: [{ index: 0, message: { role: "assistant", content: "hi", refusal: null }, finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

const chunk = () => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "echo",
  choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null, logprobs: null }],
  usage: null,
});

const errorBody = () => ({ error: { message: "bad", type: "invalid_request_error", param: null, code: null } });

const model = () => ({ id: "echo", object: "model", created: 1_700_000_000, owned_by: "languru" });

function without<T extends object>(value: T, key: keyof T): Omit<T, typeof key> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}

// Every object in the tree that still carries `nullable`, outside data-valued keys.
function nullableLeft(node: unknown, inData = false): number {
  if (Array.isArray(node)) return node.reduce((n: number, x) => n + nullableLeft(x, inData), 0);
  if (typeof node !== "object" || node === null) return 0;
  let n = !inData && "nullable" in node ? 1 : 0;
  for (const [key, value] of Object.entries(node)) {
    n += nullableLeft(value, inData || ["example", "examples", "default", "enum", "const"].includes(key) || key.startsWith("x-"));
  }
  return n;
}

describe("rewriteNullable", () => {
  it("turns nullable into anyOf with null and keeps annotations outside", () => {
    expect(rewriteNullable({ type: "string", nullable: true, description: "d", default: "x" })).toEqual({
      description: "d",
      default: "x",
      anyOf: [{ type: "string" }, { type: "null" }],
    });
  });

  it("rewrites nested schemas, drops nullable: false and leaves data untouched", () => {
    const input = {
      type: "object",
      properties: {
        a: { $ref: "#/components/schemas/A", nullable: true },
        b: { type: "integer", nullable: false },
      },
      example: { nullable: true },
    };
    expect(rewriteNullable(input)).toEqual({
      type: "object",
      properties: {
        a: { anyOf: [{ $ref: "#/components/schemas/A" }, { type: "null" }] },
        b: { type: "integer" },
      },
      example: { nullable: true },
    });
    expect(input.properties.a.nullable).toBe(true);
  });

  it("leaves no nullable keyword in the real document", () => {
    const document = JSON.parse(readFileSync(specPath, "utf8")) as { components: { schemas: unknown } };
    expect(nullableLeft(document.components.schemas)).toBeGreaterThan(0);
    expect(nullableLeft(rewriteNullable(document.components.schemas))).toBe(0);
  });
});

describe("spec validator accepts valid bodies", () => {
  it.each<[SpecSchemaName, unknown]>([
    ["CreateChatCompletionResponse", completion()],
    ["CreateChatCompletionStreamResponse", chunk()],
    ["CreateChatCompletionStreamResponse", { ...chunk(), choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }],
    ["ErrorResponse", errorBody()],
    ["ErrorResponse", { error: { message: "m", type: "t", param: "messages[0].content", code: "invalid_value" } }],
    ["Model", model()],
    ["ListModelsResponse", { object: "list", data: [model()] }],
    ["CreateChatCompletionRequest", { model: "echo", messages: [{ role: "user", content: "hi" }] }],
  ])("%s", (name, value) => {
    expect(validateSpec(name, value)).toEqual([]);
  });

  it("needs the nullable rewrite for chunks with null finish_reason and logprobs", () => {
    // Unrewritten, the document either fails to compile (Ajv refuses `nullable` beside `$ref`) or rejects the chunk.
    const raw = loadSpec({ rewriteNullable: false });
    let outcome: string[] | Error;
    try {
      outcome = raw("CreateChatCompletionStreamResponse", chunk());
    } catch (err) {
      outcome = err as Error;
    }
    expect(outcome).not.toEqual([]);
    expect(validateSpec("CreateChatCompletionStreamResponse", chunk())).toEqual([]);
  });
});

describe("spec validator rejects invalid bodies", () => {
  const {
    choices: [firstChoice],
  } = completion();
  it.each<[string, SpecSchemaName, unknown]>([
    ["a completion without choices", "CreateChatCompletionResponse", without(completion(), "choices")],
    ["a completion without id", "CreateChatCompletionResponse", without(completion(), "id")],
    ["a completion with the chunk object type", "CreateChatCompletionResponse", { ...completion(), object: "chat.completion.chunk" }],
    ["a completion with a null finish_reason", "CreateChatCompletionResponse", { ...completion(), choices: [{ ...firstChoice, finish_reason: null }] }],
    ["a completion with an unknown finish_reason", "CreateChatCompletionResponse", { ...completion(), choices: [{ ...firstChoice, finish_reason: "done" }] }],
    ["a completion choice without logprobs", "CreateChatCompletionResponse", { ...completion(), choices: [without(firstChoice!, "logprobs")] }],
    ["a completion with a string created", "CreateChatCompletionResponse", { ...completion(), created: "now" }],
    ["a completion with usage missing total_tokens", "CreateChatCompletionResponse", { ...completion(), usage: { prompt_tokens: 1, completion_tokens: 1 } }],
    ["a chunk without choices", "CreateChatCompletionStreamResponse", without(chunk(), "choices")],
    ["a chunk with the completion object type", "CreateChatCompletionStreamResponse", { ...chunk(), object: "chat.completion" }],
    ["a chunk choice without finish_reason", "CreateChatCompletionStreamResponse", { ...chunk(), choices: [{ index: 0, delta: {} }] }],
    [
      "a chunk with an unknown delta role",
      "CreateChatCompletionStreamResponse",
      { ...chunk(), choices: [{ index: 0, delta: { role: "bot" }, finish_reason: null }] },
    ],
    ["an error body without message", "ErrorResponse", { error: { type: "invalid_request_error", param: null, code: null } }],
    ["an error body without param", "ErrorResponse", { error: { message: "m", type: "t", code: null } }],
    ["an error body with a numeric code", "ErrorResponse", { error: { message: "m", type: "t", param: null, code: 400 } }],
    ["a bare error object", "ErrorResponse", errorBody().error],
    ["a model without owned_by", "Model", without(model(), "owned_by")],
    ["a model with the wrong object", "Model", { ...model(), object: "engine" }],
    ["a model list with the wrong object", "ListModelsResponse", { object: "lists", data: [] }],
    ["a model list with a bad model", "ListModelsResponse", { object: "list", data: [{ id: "x" }] }],
    ["a request without messages", "CreateChatCompletionRequest", { model: "echo" }],
    ["a request with a string temperature", "CreateChatCompletionRequest", { model: "echo", messages: [{ role: "user", content: "x" }], temperature: "hot" }],
  ])("%s", (_label, name, value) => {
    expect(validateSpec(name, value)).not.toEqual([]);
  });

  it("throws for a schema the document does not have", () => {
    expect(() => validateSpec("NoSuchSchema" as SpecSchemaName, {})).toThrow(/NoSuchSchema/);
  });
});
