/**
 * Validates bodies against the schemas of the official OpenAI OpenAPI document, vendored in
 * `test/spec/openai-schemas.json` (source and caveats in `test/spec/README.md`), compiled with Ajv's
 * JSON Schema 2020-12 build.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type AnySchemaObject, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { expect } from "vitest";

/** The repository root (this file lives in `test/helpers/`). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The vendored `components.schemas` of the OpenAPI document: the checkout carries what its tests read. */
export const specPath = path.resolve(repoRoot, "test", "spec", "openai-schemas.json");

/** The schemas (under `components.schemas`) the REST tests check bodies against. */
export type SpecSchemaName =
  | "CreateChatCompletionResponse"
  | "CreateChatCompletionStreamResponse"
  | "ErrorResponse"
  | "ListModelsResponse"
  | "Model"
  | "CreateChatCompletionRequest";

const SPEC_ID = "https://languru.test/openai/openapi.json";

// Keys whose values are data, not schemas: rewriting inside them would change examples and defaults.
const DATA_KEYS = new Set(["example", "examples", "default", "enum", "const"]);

/**
 * Rewrites OpenAPI 3.0's `{..., nullable: true}` into `{ anyOf: [{...}, { type: "null" }] }`, which
 * 2020-12 understands; `nullable: false` is dropped. The input is not modified.
 */
export function rewriteNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "nullable") continue;
    out[key] = DATA_KEYS.has(key) || key.startsWith("x-") ? value : rewriteNullable(value);
  }
  if ((node as Record<string, unknown>).nullable !== true) return out;
  // Annotations stay on the outside so that error messages and defaults still read naturally.
  const { description, default: fallback, deprecated, title, ...schema } = out;
  const annotations = Object.fromEntries(Object.entries({ description, default: fallback, deprecated, title }).filter(([, v]) => v !== undefined));
  return { ...annotations, anyOf: [schema, { type: "null" }] };
}

function isInteger(n: number): boolean {
  return Number.isInteger(n);
}

/** Options of `loadSpec`. */
export interface LoadSpecOptions {
  /** Rewrite OpenAPI 3.0 `nullable: true` for 2020-12 (default true); off only to show why it is needed. */
  rewriteNullable?: boolean;
}

/** Validates a value against one schema; returns the violations, empty when valid. */
export type SpecValidator = (name: SpecSchemaName, value: unknown) => string[];

/** Reads the OpenAPI document and compiles its `components.schemas` lazily, one schema at a time. */
export function loadSpec(options: LoadSpecOptions = {}): SpecValidator {
  const document = JSON.parse(readFileSync(specPath, "utf8")) as { components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas;
  if (!schemas) throw new Error(`${specPath} has no components.schemas`);
  const ajv = new Ajv2020({
    // The document carries OpenAPI keywords (discriminator, example, x-oai*, ...) that 2020-12 does not know.
    strict: false,
    allErrors: true,
    logger: false,
    formats: {
      unixtime: { type: "number", validate: isInteger },
      int64: { type: "number", validate: isInteger },
      double: { type: "number", validate: Number.isFinite },
      float: { type: "number", validate: Number.isFinite },
      date: /^\d{4}-\d{2}-\d{2}$/,
      uri: (s: string) => URL.canParse(s),
      binary: true,
    },
  });
  const rewritten = options.rewriteNullable === false ? schemas : rewriteNullable(schemas);
  const root: AnySchemaObject = { $id: SPEC_ID, components: { schemas: rewritten } };
  ajv.addSchema(root);
  const compiled = new Map<SpecSchemaName, ValidateFunction>();

  return function validate(name, value) {
    let check = compiled.get(name);
    if (!check) {
      check = ajv.getSchema(`${SPEC_ID}#/components/schemas/${name}`);
      if (!check) throw new Error(`no schema ${name} in ${specPath}`);
      compiled.set(name, check);
    }
    if (check(value)) return [];
    return (check.errors ?? []).map(formatError);
  };
}

let shared: SpecValidator | undefined;

/** The spec violations of `value` as readable lines (`/choices/0/finish_reason must be ...`); empty when valid. */
export function validateSpec(name: SpecSchemaName, value: unknown): string[] {
  shared ??= loadSpec();
  return shared(name, value);
}

function formatError(e: ErrorObject): string {
  const where = e.instancePath === "" ? "(root)" : e.instancePath;
  return `${where} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`;
}

/** Fails the current test, listing every violation, when `value` does not match the named schema. */
export function expectSpec(name: SpecSchemaName, value: unknown): void {
  expect(validateSpec(name, value), `${name}: ${JSON.stringify(value).slice(0, 500)}`).toEqual([]);
}
