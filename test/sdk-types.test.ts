/**
 * The SDK's types against what the API takes and returns: `test/types/sdk-fields.ts` (every spec
 * request field typed and accepted, vendor response fields typed, open values) compiled with the
 * repository's settings made stricter still (`exactOptionalPropertyTypes`, as strict apps set it); an
 * unused `@ts-expect-error` is an error by definition. A field the SDK does not type is TS2353 here,
 * not a runtime surprise.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fixture = path.join(repo, "test", "types", "sdk-fields.ts");
// The app-side files: the SDK's own sources are compiled with the repository's settings by `tsc --noEmit`.
const appFiles = [fixture, path.join(repo, "test", "helpers", "request-samples.ts")];

function diagnostics(file: string, extra: ts.CompilerOptions): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(repo, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error("cannot read tsconfig.json");
  const program = ts.createProgram([file], { ...config.options, noEmit: true, strict: true, exactOptionalPropertyTypes: true, ...extra });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || appFiles.includes(path.resolve(d.file.fileName)))
    .map((d) => `${d.file ? path.relative(repo, d.file.fileName) : ""} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

describe("SDK types", () => {
  it("compile every new request field and the vendor response fields under strict settings", { timeout: 120_000 }, () => {
    expect(diagnostics(fixture, {})).toEqual([]);
  });
});
