/**
 * No compiler at run time (issue 21, item 3): `languru serve` (what `npm start` runs) serves from
 * the compiled bundle and never loads a TypeScript file. A module-resolution hook preloaded into
 * the real process writes down every `.ts` file anything resolves; through tsx's loader that was
 * 359 files. And the build is incremental: with nothing changed, asking for the bundle rebuilds nothing.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compiledEntry, isCurrent } from "../scripts/build-server.js";
import { repoRoot } from "./helpers/spec.js";

const dir = mkdtempSync(path.join(tmpdir(), "languru-compiled-"));
const resolvedLog = path.join(dir, "resolved-ts.log");
const hooks = path.join(dir, "hooks.mjs");
const preload = path.join(dir, "register.mjs");
writeFileSync(
  hooks,
  `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/\\.[cm]?tsx?$/.test(new URL(result.url).pathname)) appendFileSync(${JSON.stringify(resolvedLog)}, result.url + "\\n");
  return result;
}
`,
);
writeFileSync(preload, `import { register } from "node:module";\nregister(${JSON.stringify(new URL(`file://${hooks}`).href)});\n`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the server as shipped", () => {
  it("`languru serve` answers from the compiled bundle, resolving no TypeScript file", { timeout: 30_000 }, async () => {
    await compiledEntry("languru");
    const child = spawn(process.execPath, ["--import", preload, path.join(repoRoot, "bin", "languru.js"), "serve"], {
      env: { PATH: process.env.PATH, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on("line", (line) => {
          const entry = JSON.parse(line) as { url?: string };
          if (typeof entry.url === "string") resolve(entry.url);
        });
        child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
      });
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "echo", messages: [{ role: "user", content: "compiled" }] }),
      });
      expect(res.status).toBe(200);
      expect(JSON.stringify(await res.json())).toContain("compiled");
    } finally {
      child.kill("SIGKILL");
    }
    const resolved = existsSync(resolvedLog) ? readFileSync(resolvedLog, "utf8").split("\n").filter(Boolean) : [];
    expect(resolved).toEqual([]);
  });

  it("rebuilds nothing when no source changed", async () => {
    const entry = await compiledEntry("main");
    expect(entry).not.toBeNull();
    expect(isCurrent()).toBe(true);
    const bundle = fileURLToPath(entry ?? "");
    const before = statSync(bundle).mtimeMs;
    await compiledEntry("main");
    expect(statSync(bundle).mtimeMs).toBe(before);
  });
});
