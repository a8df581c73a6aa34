/** The `languru` CLI as a real process against a real gateway with keys on. */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chat, MASTER_KEY, startKeyedGateway } from "./helpers/access.js";
import type { TestGateway } from "./helpers/gateway.js";
import { repoRoot } from "./helpers/spec.js";

const run = promisify(execFile);
const bin = path.join(repoRoot, "bin", "languru.js");

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startKeyedGateway();
});
afterAll(() => gateway?.close(100));

async function languru(args: string[], env: Record<string, string> = { LANGURU_MASTER_KEY: MASTER_KEY }) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
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
});
