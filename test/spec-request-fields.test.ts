/**
 * The typed request against the vendored OpenAI document: every property of the spec's
 * `CreateChatCompletionRequest` (its `allOf` and `$ref`s resolved) is a declared field of both
 * doors' schemas, not an extra that slips through, and has a spec-valid sample that both accept.
 * When the spec is refreshed and gains a property, this lists what is missing.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ChatCompletionParams, ChatCompletionRequest } from "../shared/index.js";
import { everyRequestField } from "./helpers/request-samples.js";
import { specPath, validateSpec } from "./helpers/spec.js";

type Schema = { $ref?: string; allOf?: Schema[]; properties?: Record<string, unknown> };
const schemas = (JSON.parse(readFileSync(specPath, "utf8")) as { components: { schemas: Record<string, Schema> } }).components.schemas;

// Property names of a schema, through `$ref` and `allOf`.
function propertiesOf(schema: Schema | undefined): string[] {
  if (!schema) return [];
  if (schema.$ref) return propertiesOf(schemas[schema.$ref.split("/").at(-1) ?? ""]);
  return [...(schema.allOf ?? []).flatMap(propertiesOf), ...Object.keys(schema.properties ?? {})];
}

const specProperties = [...new Set(propertiesOf(schemas.CreateChatCompletionRequest))].sort();

describe("every property of CreateChatCompletionRequest", () => {
  it("is read from the vendored document", () => {
    expect(specProperties.length).toBeGreaterThan(30);
    expect(specProperties).toEqual(expect.arrayContaining(["reasoning_effort", "service_tier", "store", "prediction", "web_search_options"]));
  });

  it("is a declared field of the REST schema and of the typed door", () => {
    expect(specProperties.filter((p) => !Object.hasOwn(ChatCompletionRequest.shape, p))).toEqual([]);
    expect(specProperties.filter((p) => !Object.hasOwn(ChatCompletionParams.shape, p))).toEqual([]);
  });

  it("has a sample the spec accepts", () => {
    expect(specProperties.filter((p) => !Object.hasOwn(everyRequestField, p))).toEqual([]);
    expect(validateSpec("CreateChatCompletionRequest", everyRequestField)).toEqual([]);
  });

  it("passes both schemas with its sample, unchanged", () => {
    const rest = ChatCompletionRequest.safeParse(everyRequestField);
    expect(rest.error?.issues).toBeUndefined();
    const typed = ChatCompletionParams.safeParse(everyRequestField);
    expect(typed.error?.issues).toBeUndefined();
    expect(typed.data).toEqual(everyRequestField);
  });

  it.each(specProperties.filter((p) => p !== "model" && p !== "messages"))("%s accepts null on both doors", (property) => {
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], [property]: null };
    expect(ChatCompletionRequest.safeParse(body).error?.issues).toBeUndefined();
    expect(ChatCompletionParams.safeParse(body).error?.issues).toBeUndefined();
  });
});
