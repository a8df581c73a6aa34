/** The examples run as a user runs them: `examples/node.ts` as its own Node process against a real gateway. */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers/gateway.js";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway.close(100));

describe("examples/node.ts", () => {
  it("lists models, completes, streams and shows a typed error, then exits", async () => {
    // The `@languru/source` condition resolves `@languru/client` to its TypeScript source, so no build is needed.
    const { stdout } = await run(process.execPath, ["--conditions=@languru/source", "--import", "tsx", "examples/node.ts"], {
      cwd: repo,
      env: { ...process.env, LANGURU_URL: gateway.baseURL, LANGURU_MODEL: "echo" },
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^models: .*\becho\b/m);
    expect(stdout).toMatch(/^completion: What is a gateway for\? \(\d+ tokens, via /m);
    expect(stdout).toMatch(/^stream: What is a gateway for\?\nstream usage: \d+ tokens$/m);
    expect(stdout).toMatch(/^typed error: NotFoundError 404 model_not_found$/m);
    expect(gateway.services.generations.running()).toBe(0);
  });
});
