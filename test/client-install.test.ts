/**
 * The client package installed the way the README says, into scratch projects outside this
 * repository: the tarball `npm pack` makes in client/, then the README's own `npm install` lines.
 * An ES module project and a CommonJS one call a real gateway with it (`import`, and `require`
 * through Node's loading of ES modules); their TypeScript resolves the types (CommonJS under
 * `node10`, `./react` included, and `nodenext`). A Vite React app installed with the README's
 * TanStack React Query line resolves without ERESOLVE, type-checks the docs' TanStack snippets
 * under Vite's strict template, and builds.
 *
 * Slow (a pack and three installs; `--prefer-offline` uses the local npm cache): run it alone.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers/gateway.js";
import { codeBlocks, shellCommands, shellWords } from "./helpers/markdown.js";
import { repoRoot } from "./helpers/spec.js";

const run = promisify(execFile);
const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
const vite = path.join(repoRoot, "node_modules", "vite", "bin", "vite.js");
const scratch = mkdtempSync(path.join(tmpdir(), "languru-client-install-"));
const INSTALL_MS = 300_000;
const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");

/** The README's `npm install ./languru-client-….tgz ...` lines, in order. */
const installLines = codeBlocks(readme)
  .filter((b) => b.lang === "sh")
  .flatMap((b) => shellCommands(b.code))
  .filter((line) => /^npm install \.\/languru-client-[\d.]+\.tgz /.test(line));
const plainInstall = installLines.find((line) => !line.includes("tanstack")) ?? "";
const tanstackInstall = installLines.find((line) => line.includes("@trpc/tanstack-react-query")) ?? "";

let tarballName = "";
let gateway: TestGateway;

async function npm(cwd: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await run("npm", args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });
  return stdout + stderr;
}

/** A scratch project with the tarball beside it, installed with one README line as written (plus offline-first flags). */
async function project(name: string, manifest: Record<string, unknown>, line: string): Promise<{ dir: string; log: string }> {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, ...manifest }, null, 2));
  copyFileSync(path.join(scratch, tarballName), path.join(dir, tarballName));
  const [command, subcommand, ...packages] = shellWords(line);
  expect([command, subcommand]).toEqual(["npm", "install"]);
  const log = await npm(dir, ["install", "--prefer-offline", "--no-audit", "--no-fund", ...packages]);
  return { dir, log };
}

/** tsc's error lines for a project (empty when it type-checks). */
async function typecheck(dir: string, tsconfig = "tsconfig.json"): Promise<string[]> {
  try {
    await run(process.execPath, [tsc, "-p", path.join(dir, tsconfig)], { cwd: dir });
    return [];
  } catch (err) {
    const errors = String((err as { stdout?: string }).stdout ?? err)
      .split("\n")
      .filter((line) => /error TS/.test(line));
    if (errors.length === 0) throw err;
    return errors;
  }
}

/** A script that streams one echo reply from `url` with the installed package; prints the text. */
function streamScript(load: string, url: string): string {
  return `${load}
const client = createLanguruClient({ url: ${JSON.stringify(url)}, WebSocket });
(async () => {
  let text = "";
  for await (const chunk of client.chat.stream({ model: "echo", messages: [{ role: "user", content: "installed and streaming" }] })) text += chunk.choices[0]?.delta.content ?? "";
  const whole = await client.chat.completions({ model: "echo", prompt: "whole" });
  console.log(JSON.stringify({ text, whole: whole.choices[0]?.message.content }));
  await client.close();
})();`;
}

beforeAll(async () => {
  expect(plainInstall, "the README's plain install line").not.toBe("");
  expect(tanstackInstall, "the README's TanStack install line").not.toBe("");
  gateway = await startGateway();
  // As the README says: `npm pack` in client/ (its prepack builds dist/).
  const out = await npm(path.join(repoRoot, "client"), ["pack", "--json", "--pack-destination", scratch]);
  const [packed] = JSON.parse(out.slice(out.indexOf("["), out.lastIndexOf("]") + 1)) as Array<{ filename: string }>;
  tarballName = packed?.filename ?? "";
  expect(plainInstall).toContain(`./${tarballName} `);
}, INSTALL_MS);

afterAll(async () => {
  await gateway?.close(100);
  rmSync(scratch, { recursive: true, force: true });
});

describe("an ES module project, with the README's install line", () => {
  let dir = "";
  beforeAll(async () => {
    ({ dir } = await project("esm-app", { type: "module" }, plainInstall));
  }, INSTALL_MS);

  it("streams from a real gateway with `import`", async () => {
    writeFileSync(
      path.join(dir, "main.js"),
      streamScript(`import { createLanguruClient } from "@languru/client";\nimport { WebSocket } from "ws";`, gateway.baseURL),
    );
    const { stdout } = await run(process.execPath, ["main.js"], { cwd: dir, timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ text: "installed and streaming", whole: "whole" });
  });
});

describe("a CommonJS project, with the README's install line", () => {
  let dir = "";
  beforeAll(async () => {
    ({ dir } = await project("cjs-app", {}, plainInstall));
    // "For React add react": the types of the ./react entry need React's.
    await npm(dir, ["install", "--prefer-offline", "--no-audit", "--no-fund", "react@19", "@types/react@19"]);
  }, INSTALL_MS);

  it("streams from a real gateway with `require`, and `@languru/client/react` resolves", async () => {
    writeFileSync(
      path.join(dir, "main.js"),
      streamScript(
        `const { createLanguruClient, RateLimitError } = require("@languru/client");\nconst { WebSocket } = require("ws");\nif (new RateLimitError("x").name !== "RateLimitError") throw new Error("error classes");\nif (typeof require("@languru/client/react").useChat !== "function") throw new Error("react entry");`,
        gateway.baseURL,
      ),
    );
    const { stdout, stderr } = await run(process.execPath, ["main.js"], { cwd: dir, timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ text: "installed and streaming", whole: "whole" });
    expect(stderr).not.toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED|ERR_REQUIRE_ESM/);
  });

  it("type-checks under `moduleResolution: node10` (./react through typesVersions) and `module: nodenext`", async () => {
    writeFileSync(
      path.join(dir, "check.ts"),
      `import { createLanguruClient, RateLimitError, type ChatCompletionParams } from "@languru/client";
import { useChat, type UseChat } from "@languru/client/react";
const request: ChatCompletionParams = { model: "echo", prompt: "hi" };
// @ts-expect-error a misspelled field does not type-check
const typo: ChatCompletionParams = { model: "echo", prompt: "hi", temprature: 1 };
export const used: [unknown, unknown, unknown, UseChat | null, unknown] = [createLanguruClient, RateLimitError, request, null, [useChat, typo]];
`,
    );
    const base = { strict: true, noEmit: true, skipLibCheck: true, target: "ES2022", lib: ["ES2022", "DOM"], types: [] };
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { ...base, module: "commonjs", moduleResolution: "node10" }, files: ["check.ts"] }),
    );
    writeFileSync(
      path.join(dir, "tsconfig.nodenext.json"),
      JSON.stringify({ compilerOptions: { ...base, module: "nodenext", moduleResolution: "nodenext" }, files: ["check.ts"] }),
    );
    expect(await typecheck(dir)).toEqual([]);
    expect(await typecheck(dir, "tsconfig.nodenext.json")).toEqual([]);
  }, 120_000);
});

describe("a Vite React app, with the README's TanStack React Query install line", () => {
  let dir = "";
  let log = "";
  beforeAll(async () => {
    ({ dir, log } = await project("vite-app", { type: "module" }, tanstackInstall));
    await npm(dir, ["install", "--prefer-offline", "--no-audit", "--no-fund", "@types/react@19", "@types/react-dom@19"]);
  }, INSTALL_MS);

  it("resolves without ERESOLVE, the tRPC packages at the version @trpc/tanstack-react-query requires", () => {
    expect(log).not.toMatch(/ERESOLVE/);
    const versionOf = (name: string) => (JSON.parse(readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
    const wanted = (
      JSON.parse(readFileSync(path.join(dir, "node_modules", "@trpc", "tanstack-react-query", "package.json"), "utf8")) as {
        peerDependencies: Record<string, string>;
      }
    ).peerDependencies;
    expect(versionOf("@trpc/client")).toBe(wanted["@trpc/client"]);
    expect(versionOf("@trpc/server")).toBe(wanted["@trpc/server"]);
  });

  it("type-checks the docs' TanStack snippets under Vite's strict template, and builds", async () => {
    const docs = ["README.md", "docs/client.md"].map((f) => readFileSync(path.join(repoRoot, f), "utf8"));
    const snippets = docs.flatMap((text) => codeBlocks(text)).filter((b) => b.lang === "tsx" && /@trpc\/tanstack-react-query/.test(b.code));
    expect(snippets.length).toBeGreaterThanOrEqual(2);
    mkdirSync(path.join(dir, "src"), { recursive: true });
    for (const [i, s] of snippets.entries()) writeFileSync(path.join(dir, "src", `snippet${i}.tsx`), s.code);
    writeFileSync(path.join(dir, "src", "main.tsx"), snippets.map((_, i) => `import "./snippet${i}.tsx";`).join("\n"));
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        // Vite's react-ts template (tsconfig.app.json), `types: ["vite/client"]` aside.
        compilerOptions: {
          target: "ES2022",
          useDefineForClassFields: true,
          lib: ["ES2022", "DOM", "DOM.Iterable"],
          module: "ESNext",
          types: [],
          skipLibCheck: true,
          moduleResolution: "bundler",
          allowImportingTsExtensions: true,
          verbatimModuleSyntax: true,
          moduleDetection: "force",
          noEmit: true,
          jsx: "react-jsx",
          strict: true,
          noUnusedLocals: true,
          noUnusedParameters: true,
          erasableSyntaxOnly: true,
          noFallthroughCasesInSwitch: true,
          noUncheckedSideEffectImports: true,
        },
        include: ["src"],
      }),
    );
    expect(await typecheck(dir)).toEqual([]);
    writeFileSync(path.join(dir, "index.html"), `<!doctype html><div id="root"></div><script type="module" src="/src/main.tsx"></script>`);
    await run(process.execPath, [vite, "build", "--logLevel", "error"], { cwd: dir });
    expect(readdirSync(path.join(dir, "dist", "assets")).some((f) => f.endsWith(".js"))).toBe(true);
  }, 180_000);
});
