/**
 * Validates the Responses door's bodies and events against the official OpenAI schemas vendored in
 * `test/spec/openai-responses-schemas.json` (source in `test/spec/openai-responses-schemas.md`),
 * compiled as `spec.ts` compiles the Chat Completions ones (the `nullable` rewrite included).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { expect } from "vitest";
import { repoRoot, rewriteNullable } from "./spec.js";

/** The schemas the Responses tests check against. */
export type ResponsesSchemaName = "Response" | "ResponseStreamEvent" | "ErrorResponse" | (string & {});

const SPEC_ID = "https://languru.test/openai/responses.json";
const specPath = path.resolve(repoRoot, "test", "spec", "openai-responses-schemas.json");

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function validator(name: string): ValidateFunction {
  let check = compiled.get(name);
  if (check) return check;
  if (!ajv) {
    const document = JSON.parse(readFileSync(specPath, "utf8")) as { components: { schemas: Record<string, unknown> } };
    ajv = new Ajv2020({
      // The document carries OpenAPI keywords (discriminator, example, x-oai*, ...) that 2020-12 does not know.
      strict: false,
      allErrors: true,
      logger: false,
      formats: { unixtime: { type: "number", validate: Number.isInteger }, int64: true, double: true, float: true, date: true, uri: true, binary: true },
    });
    ajv.addSchema({ $id: SPEC_ID, components: { schemas: rewriteNullable(document.components.schemas) } });
  }
  check = ajv.getSchema(`${SPEC_ID}#/components/schemas/${name}`);
  if (!check) throw new Error(`no schema ${name} in ${specPath}`);
  compiled.set(name, check);
  return check;
}

/** The violations of `value` against the named schema, as readable lines; empty when valid. */
export function responsesSpecViolations(name: ResponsesSchemaName, value: unknown): string[] {
  const check = validator(name);
  if (check(value)) return [];
  return (check.errors ?? []).map((e: ErrorObject) => `${e.instancePath || "(root)"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}

let eventSchemas: Map<string, string> | undefined;

/** The schema of one stream event, by its `type`, from the members of `ResponseStreamEvent`. */
export function eventSchemaOf(type: string): string {
  if (!eventSchemas) {
    const document = JSON.parse(readFileSync(specPath, "utf8")) as { components: { schemas: Record<string, SchemaNode> } };
    const schemas = document.components.schemas;
    const members = schemas.ResponseStreamEvent?.anyOf ?? schemas.ResponseStreamEvent?.oneOf ?? [];
    eventSchemas = new Map();
    for (const member of members) {
      const name = member.$ref?.split("/").at(-1);
      const eventType = name ? schemas[name]?.properties?.type?.enum?.[0] : undefined;
      if (name && eventType) eventSchemas.set(eventType, name);
    }
  }
  const name = eventSchemas.get(type);
  if (!name) throw new Error(`no event schema for type '${type}'`);
  return name;
}

interface SchemaNode {
  $ref?: string;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  properties?: Record<string, { enum?: string[] }>;
}

/** Fails the test when a stream event does not match its own schema (the member of `ResponseStreamEvent` for its `type`). */
export function expectEventSpec(event: { type: string }): void {
  expectResponsesSpec(eventSchemaOf(event.type), event);
}

/** Fails the test, listing every violation, when `value` does not match the named schema. */
export function expectResponsesSpec(name: ResponsesSchemaName, value: unknown): void {
  expect(responsesSpecViolations(name, value), `${name}: ${JSON.stringify(value).slice(0, 600)}`).toEqual([]);
}
