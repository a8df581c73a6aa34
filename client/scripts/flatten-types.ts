/**
 * Writes the published package's `types.d.ts`: the router and every request/response type printed
 * as plain structural types. In the repository they come from the server and zod; an app that
 * installs the client has neither, so their declarations cannot be shipped as they are. The
 * TypeScript checker resolves each type and prints it expanded, with no reference to a server file
 * or to zod; only `@trpc/server` (a peer) is imported, for the router and procedure shapes.
 *
 * Usage: `tsx client/scripts/flatten-types.ts <out file>`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const probeFile = path.join(clientDir, "__flatten_probe__.ts");

/** The types `client/types.ts` exports, with their one-line docs. */
const namedTypes: Record<string, string> = {
  ChatMessage: "One message of a conversation (system, developer, user, assistant or tool).",
  ChatCompletionParams: "A chat request as a typed client writes it: known fields only, provider extras in `extra_body`.",
  ChatCompletionRequestInput: "The REST body of `POST /v1/chat/completions` (unknown fields are forwarded).",
  ChatCompletion: "A whole chat completion.",
  ChatCompletionChunk: "One chunk of a streamed chat completion.",
  Usage: "Token counts of a completion.",
  ChoiceLogprobs: "Log probabilities of a choice's tokens.",
  FinishReason: "Why a choice stopped.",
  Model: "One model the gateway routes.",
  ModelList: "The answer of `models.list` and `GET /v1/models`.",
  RouteInfo: "Which deployment answered, after how many attempts.",
};

// Resolves a type into a plain structure; dates and functions stay as they are, and so do primitives
// (an open enum's `string & {}` is an object type to `extends object`, and must not become String's members).
const deepHelper = `type Deep<T> = T extends string | number | boolean | bigint | symbol | null | undefined ? T : T extends Date | RegExp | ((...args: never[]) => unknown) ? T : T extends object ? { [K in keyof T]: Deep<T[K]> } : T;`;

interface ProcedureInfo {
  path: string[];
  kind: "query" | "mutation" | "subscription";
}

function program(source: string): { checker: ts.TypeChecker; file: ts.SourceFile } {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(clientDir, "..", "tsconfig.json"),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (!config) throw new Error("cannot read tsconfig.json");
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === probeFile ? source : readFile(name));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === probeFile || fileExists(name);
  const prog = ts.createProgram([probeFile], { ...config.options, noEmit: true, noUnusedLocals: false }, host);
  const file = prog.getSourceFile(probeFile);
  if (!file) throw new Error("probe file missing");
  const errors = ts.getPreEmitDiagnostics(prog, file);
  if (errors.length) throw new Error(ts.formatDiagnostics(errors, host));
  return { checker: prog.getTypeChecker(), file };
}

/** The declared type of `export declare const <name>` in the probe. */
function typeOf(checker: ts.TypeChecker, file: ts.SourceFile, name: string): ts.Type {
  const symbol = checker.getSymbolsInScope(file, ts.SymbolFlags.Variable).find((s) => s.name === name);
  if (!symbol) throw new Error(`no ${name} in the probe`);
  return checker.getTypeOfSymbolAtLocation(symbol, file);
}

/**
 * tRPC's own unions of literals (`TRPC_ERROR_CODE_KEY`) keep their alias when printed, as an
 * import of a hashed internal file; this names them by their public export of `@trpc/server`.
 */
function trpcPublicNames(): Map<string, string> {
  const index = readFileSync(path.join(clientDir, "..", "node_modules", "@trpc", "server", "dist", "index.d.mts"), "utf8");
  const internal = new Map<string, string>();
  for (const m of index.matchAll(/import \{([^}]*)\} from "\.\/([^"]+)\.mjs"/g)) {
    for (const part of (m[1] ?? "").split(",")) {
      const [mangled, local] = part.trim().split(/\s+as\s+/);
      if (mangled && local) internal.set(`${m[2]}.${mangled}`, local);
    }
  }
  const exported = new Map<string, string>();
  for (const m of index.matchAll(/type (\w+)(?: as (\w+))?[,}]/g)) if (m[1]) exported.set(m[1], m[2] ?? m[1]);
  const names = new Map<string, string>();
  for (const [key, local] of internal) {
    const name = exported.get(local);
    if (name) names.set(key, name);
  }
  return names;
}

const publicNames = trpcPublicNames();

function print(checker: ts.TypeChecker, file: ts.SourceFile, type: ts.Type): string {
  const raw = checker.typeToString(type, file, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias);
  const text = raw.replace(/import\("[^"]*\/@trpc\/server\/dist\/([^"/]+)"\)\.(\w+)/g, (whole, file: string, name: string) => {
    const known = publicNames.get(`${file}.${name}`);
    if (!known) throw new Error(`no public @trpc/server name for ${whole}`);
    return `import("@trpc/server").${known}`;
  });
  if (/import\("(?!@trpc\/server")|\bz\.|Zod|\$brand|Deep</.test(text)) throw new Error(`a type did not flatten: ${text.slice(0, 300)}`);
  return text;
}

/** Every procedure of the router, found by walking its record type. */
function procedures(checker: ts.TypeChecker, file: ts.SourceFile): ProcedureInfo[] {
  const found: ProcedureInfo[] = [];
  const walk = (type: ts.Type, at: string[]) => {
    for (const prop of type.getProperties()) {
      const value = checker.getTypeOfSymbolAtLocation(prop, file);
      const def = value.getProperty("_def");
      const kindType = def && checker.getTypeOfSymbolAtLocation(def, file).getProperty("type");
      if (kindType) {
        const kind = checker.typeToString(checker.getTypeOfSymbolAtLocation(kindType, file)).replaceAll('"', "");
        if (kind !== "query" && kind !== "mutation" && kind !== "subscription") throw new Error(`unknown procedure kind ${kind}`);
        found.push({ path: [...at, prop.name], kind });
      } else walk(value, [...at, prop.name]);
    }
  };
  walk(typeOf(checker, file, "record"), []);
  return found;
}

const probeHead = `import type { AppRouter } from "../server/doors/trpc/routers/_app.js";
import type * as T from "./types.js";
${deepHelper}
type Rec = AppRouter["_def"]["record"];
export declare const record: Rec;
export declare const errorShape: Deep<AppRouter["_def"]["_config"]["$types"]["errorShape"]>;
${Object.keys(namedTypes)
  .map((name) => `export declare const type_${name}: Deep<T.${name}>;`)
  .join("\n")}
`;

function main(out: string): void {
  const first = program(probeHead);
  const procs = procedures(first.checker, first.file);
  const slot = (p: ProcedureInfo) => p.path.join("_");
  const access = (p: ProcedureInfo) => `Rec${p.path.map((k) => `[${JSON.stringify(k)}]`).join("")}["_def"]["$types"]`;
  const probe = `${probeHead}${procs
    .map((p) => {
      const output =
        p.kind === "subscription" ? `${access(p)}["output"] extends AsyncIterable<{ id: string; data: infer D }> ? D : never` : `${access(p)}["output"]`;
      return `export declare const in_${slot(p)}: Deep<${access(p)}["input"]>;\nexport declare const out_${slot(p)}: Deep<${output}>;`;
    })
    .join("\n")}\n`;
  const { checker, file } = program(probe);
  const shown = (name: string) => print(checker, file, typeOf(checker, file, name));

  // A procedure whose input or output is one of the named types says so, instead of repeating it.
  const names = new Map(Object.keys(namedTypes).map((name) => [shown(`type_${name}`), name]));
  const named = (text: string) => names.get(text) ?? text;
  const tree: Record<string, unknown> = {};
  for (const p of procs) {
    let node = tree;
    for (const key of p.path.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    const input = named(shown(`in_${slot(p)}`));
    const output = named(shown(`out_${slot(p)}`));
    const kind = { query: "TRPCQueryProcedure", mutation: "TRPCMutationProcedure", subscription: "TRPCSubscriptionProcedure" }[p.kind];
    // A tracked chunk as tRPC's client sees it (its `TrackedData`, which `@trpc/server` does not export by name).
    const result = p.kind === "subscription" ? `AsyncIterable<{ id: string; data: ${output} }, void, unknown>` : output;
    node[p.path.at(-1) as string] = `${kind}<{ input: ${input}; output: ${result}; meta: object }>`;
  }
  const render = (node: Record<string, unknown>, indent: string): string =>
    `{\n${Object.entries(node)
      .map(([key, value]) => `${indent}  ${key}: ${typeof value === "string" ? value : render(value as Record<string, unknown>, `${indent}  `)};`)
      .join("\n")}\n${indent}}`;

  const text = `/**
 * Languru's public types, flattened from the server's router and zod schemas by
 * client/scripts/flatten-types.ts when the package is built. Do not edit.
 */
import type { TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure, TRPCSubscriptionProcedure, inferRouterInputs, inferRouterOutputs } from "@trpc/server";

${Object.entries(namedTypes)
  .map(([name, doc]) => `/** ${doc} */\nexport type ${name} = ${shown(`type_${name}`)};`)
  .join("\n\n")}

/** The shape of every tRPC error: \`data.error\` is the OpenAI error body, \`data.status\` the HTTP status. */
export type ErrorShape = ${shown("errorShape")};

/** The gateway's tRPC router, as a type: \`createTRPCClient<AppRouter>\`, \`createTRPCContext<AppRouter>\`. */
export type AppRouter = TRPCBuiltRouter<{ ctx: object; meta: object; errorShape: ErrorShape; transformer: true }, ${render(tree, "")}>;

/** Every procedure's input, by path: \`RouterInputs["chat"]["completions"]\`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output, by path: \`RouterOutputs["models"]["list"]\`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** A whole completion plus \`languru: { model, deployment, attempts }\`: which deployment answered. */
export type RoutedChatCompletion = RouterOutputs["chat"]["completions"];
`;
  writeFileSync(out, text);
}

main(path.resolve(process.argv[2] ?? path.join(clientDir, "dist", "client", "types.d.ts")));
