/**
 * The `languru` CLI as a real process against a real gateway with keys on. The admin commands are
 * plain JavaScript (cli/admin.js) so that a call costs about what starting Node does: this file
 * also type-checks that JavaScript strictly and bounds the CPU one call takes.
 */
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chat, MASTER_KEY, startKeyedGateway } from "./helpers/access.js";
import type { TestGateway } from "./helpers/gateway.js";
import { repoRoot } from "./helpers/spec.js";

const run = promisify(execFile);
const bin = path.join(repoRoot, "bin", "languru.js");
const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
// Preloaded into a CLI run: prints the process's CPU time (every thread, tsx's loader thread included) as it exits.
const cpuReporter = path.join(tmpdir(), `languru-cli-cpu-${process.pid}.mjs`);
writeFileSync(cpuReporter, `process.on("exit", () => process.stderr.write("cpu-us:" + JSON.stringify(process.cpuUsage()) + "\\n"));\n`);

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startKeyedGateway();
});
afterAll(async () => {
  rmSync(cpuReporter, { force: true });
  await gateway?.close(100);
});

async function languru(args: string[], env: Record<string, string> = { LANGURU_MASTER_KEY: MASTER_KEY }, nodeArgs: string[] = []) {
  try {
    const { stdout, stderr } = await run(process.execPath, [...nodeArgs, bin, ...args], {
      env: { PATH: process.env.PATH, LANGURU_URL: gateway.baseURL, ...env },
      timeout: 15_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("languru keys", () => {
  it("creates a key (shown once), lists, updates, reports usage and revokes", async () => {
    const created = await languru([
      "keys",
      "create",
      "--name",
      "web",
      "--models",
      "echo,gpt-*",
      "--rpm",
      "5",
      "--tpm",
      "1000",
      "--budget",
      "2",
      "--budget-tokens",
      "5000",
      "--expires",
      "30d",
    ]);
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/shown only once/);
    const { key, record } = JSON.parse(created.stdout);
    expect(key).toMatch(/^sk-lru-[0-9a-f]{12}_/);
    expect(record).toMatchObject({ name: "web", models: ["echo", "gpt-*"], rpm: 5, tpm: 1000, budgetUsd: 2, budgetTokens: 5000 });
    const days = (new Date(record.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);

    expect((await chat(gateway, {}, key)).status).toBe(200);

    const listed = JSON.parse((await languru(["keys", "list"])).stdout);
    expect(listed.map((k: { id: string }) => k.id)).toContain(record.id);
    expect(JSON.stringify(listed)).not.toContain(key);

    const updated = JSON.parse((await languru(["keys", "update", record.id, "--rpm", "none", "--tpm", "50"])).stdout);
    expect(updated).toMatchObject({ rpm: null, tpm: 50, name: "web" });

    const report = JSON.parse((await languru(["usage", "--key", record.id, "--since", "1h"])).stdout);
    expect(report.totals.requests).toBe(1);

    expect(JSON.parse((await languru(["keys", "revoke", record.id])).stdout).revokedAt).not.toBeNull();
    expect((await chat(gateway, {}, key)).status).toBe(401);
  });

  it("explains what is wrong: no master key, a bad number, a wrong master key", async () => {
    const none = await languru(["keys", "list"], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/LANGURU_MASTER_KEY is not set/);
    const bad = await languru(["keys", "create", "--rpm", "many"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rpm must be a positive integer/);
    const wrong = await languru(["keys", "list"], { LANGURU_MASTER_KEY: "not-the-master-key-at-all" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/401 invalid_api_key/);
  });

  it("says which gateway it cannot reach", async () => {
    const closed = await freePort();
    const result = await languru(["keys", "list"], { LANGURU_MASTER_KEY: MASTER_KEY, LANGURU_URL: `http://127.0.0.1:${closed}` });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`cannot reach the gateway at http://127.0.0.1:${closed}: .*ECONNREFUSED`));
  });
});

describe("the cost of one admin call", () => {
  it("a call takes well under half a second of CPU (it loads no TypeScript)", async () => {
    // Measured on a 2-core box: ~0.15 s with cli/admin.js; 0.7-1.0 s (1.6-3.1 s of wall time) when
    // every call registered tsx's loader and loaded the TypeScript client SDK.
    const cpu: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const result = await languru(["keys", "list"], undefined, ["--import", cpuReporter]);
      expect(result.code, result.stderr).toBe(0);
      expect(performance.now() - started).toBeLessThan(5_000);
      const usage = JSON.parse(/cpu-us:(\{.*\})/.exec(result.stderr)?.[1] ?? "{}") as { user: number; system: number };
      cpu.push((usage.user + usage.system) / 1e6);
    }
    expect(Math.min(...cpu)).toBeLessThan(0.4);
  });

  it("cli/admin.js type-checks strictly (checkJs)", async () => {
    const args = ["--noEmit", "--allowJs", "--checkJs", "--strict", "--noUnusedLocals", "--noUnusedParameters", "--noUncheckedIndexedAccess"];
    args.push("--target", "ES2022", "--lib", "ES2023", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--types", "node", "--skipLibCheck");
    const checked = await run(process.execPath, [tsc, ...args, path.join(repoRoot, "cli", "admin.js")], { cwd: repoRoot }).then(
      () => "",
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(checked).toBe("");
  }, 120_000);
});

/** A port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
