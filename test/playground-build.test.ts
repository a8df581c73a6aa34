/**
 * The React parts build and type-check as a frontend team would run them: `tsc` on the playground
 * and on examples/react (Vite's strict template settings), and `vite build` of the example, whose
 * bundle must hold the hook and the SDK but no server code.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);
// vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
const { NODE_ENV: _ignored, ...env } = process.env;

async function tsc(project: string): Promise<void> {
  await run(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", project, "--noEmit"], { cwd: repo, env });
}

describe("React builds", () => {
  const out = mkdtempSync(join(tmpdir(), "languru-example-react-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("type-checks the playground and examples/react", { timeout: 120_000 }, async () => {
    await tsc("playground");
    await tsc("examples/react");
  });

  it("builds examples/react with Vite: the hook and the SDK, no server code", { timeout: 120_000 }, async () => {
    await run(process.execPath, [join(repo, "node_modules/vite/bin/vite.js"), "build", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"], {
      cwd: join(repo, "examples/react"),
      env,
    });
    const html = readFileSync(join(out, "index.html"), "utf8");
    const scripts = readdirSync(join(out, "assets")).filter((f) => f.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(html).toContain(`/assets/${script}`);
    const js = scripts.map((f) => readFileSync(join(out, "assets", f), "utf8")).join("\n");
    expect(js).toContain("chat.start"); // the SDK's procedures are in
    // No server module is (checked by markers: printing a 250 KB bundle on failure helps nobody).
    const serverMarkers = ["node:crypto", "node:http", "libsql", "ioredis", "rate-limiter-flexible", "cannot reach upstream"];
    expect(serverMarkers.filter((marker) => js.includes(marker))).toEqual([]);
    expect(js.includes("must not return anything besides a function")).toBe(false); // React's production build, not its warnings
    expect(gzipSync(js).length).toBeLessThan(150_000);
  });
});
