/**
 * The CLI's server commands as real processes: `languru serve` (flags, signals: SIGHUP reloads,
 * SIGTERM drains and exits), `check-config` (valid, invalid, secrets masked, and the compose
 * config), `models`, `--help` on each; and `npm start` delivering SIGHUP to the server, whether
 * it is sent to the process group or to npm's own pid.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/access.js";
import { repoRoot } from "./helpers/spec.js";

const run = promisify(execFile);
const bin = path.join(repoRoot, "bin", "languru.js");
const dir = tempDir();
afterAll(() => dir.cleanup());

const started = new Set<ChildProcess>();
afterEach(() => {
  for (const child of started) {
    // Process groups (npm start) go as a whole; the others one by one.
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  }
  started.clear();
});

/** Runs the CLI to completion. */
async function languru(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env }, cwd: repoRoot, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A long-running process whose JSON log lines are collected; resolves with its URL once it listens. */
async function startServer(command: string, args: string[], options: { env?: Record<string, string>; group?: boolean } = {}) {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "info", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group === true,
  });
  started.add(child);
  const lines: Array<Record<string, unknown>> = [];
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const reader = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    reader.on("line", (line) => {
      // npm prints its own banner lines before the server's JSON.
      if (!line.startsWith("{")) return;
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (typeof entry.url === "string") resolve(entry.url);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  return { child, url, lines };
}

function writeConfig(name: string, models: string[]): string {
  const file = path.join(dir.dir, name);
  writeFileSync(file, JSON.stringify({ providers: [{ name: "local", kind: "openai-compatible", baseURL: "http://127.0.0.1:9/v1", models }] }));
  return file;
}

const modelIds = async (url: string) => ((await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);

describe("languru serve", () => {
  it("serves with --config, --port and --host; reloads on SIGHUP; drains and exits 0 on SIGTERM", async () => {
    const config = writeConfig("serve.json", ["first"]);
    const { child, url, lines } = await startServer(process.execPath, [bin, "serve", "--config", config, "--port", "0", "--host", "127.0.0.1"]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await modelIds(url)).toContain("first");

    // No wrapper: the signal goes to the process we started, and that process is the server.
    writeConfig("serve.json", ["second"]);
    child.kill("SIGHUP");
    await expect.poll(() => modelIds(url), { timeout: 10_000 }).toContain("second");

    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = (await exited) as [number];
    expect(code).toBe(0);
    expect(lines.some((l) => l.msg === "stopped")).toBe(true);
  });

  it("explains itself with --help, and refuses a bad flag with exit code 2", async () => {
    for (const command of ["serve", "check-config", "models"]) {
      const { code, stdout } = await languru([command, "--help"]);
      expect(code).toBe(0);
      expect(stdout).toContain(`usage: languru ${command}`);
    }
    const top = await languru(["--help"]);
    expect(top.stderr).toContain("languru serve [--config FILE]");
    expect((await languru(["serve", "--bogus"])).code).toBe(2);
  });
});

describe("log settings", () => {
  it("LOG_FORMAT=pretty writes readable lines for a terminal; LOG_LEVEL=warn drops the info lines", async () => {
    const output = async (env: Record<string, string>) => {
      const child = spawn(process.execPath, [bin, "serve", "--port", "0"], {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      started.add(child);
      let text = "";
      child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (text += d.toString()));
      await expect.poll(() => text, { timeout: 15_000 }).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(text)![0];
      await fetch(`${url}/v1/models`, { headers: { "x-request-id": "pretty-1" } });
      await new Promise((r) => setTimeout(r, 500));
      child.kill("SIGKILL");
      return text;
    };
    const pretty = await output({ LOG_FORMAT: "pretty", LOG_LEVEL: "info" });
    expect(pretty).toContain("INFO");
    expect(pretty).toContain("pretty-1");
    expect(pretty.trimStart().startsWith("{")).toBe(false);

    const child = spawn(process.execPath, [bin, "serve", "--port", "0"], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.add(child);
    let quiet = "";
    child.stdout!.on("data", (d: Buffer) => (quiet += d.toString()));
    await new Promise((r) => setTimeout(r, 3_000));
    child.kill("SIGKILL");
    expect(quiet).toBe("");
  });
});

describe("languru check-config", () => {
  it("prints the resolved config with every secret masked", async () => {
    const file = path.join(dir.dir, "secret.json");
    writeFileSync(
      file,
      JSON.stringify({
        providers: [
          {
            name: "azure",
            kind: "openai-compatible",
            baseURL: "https://x.example/v1",
            apiKeyEnv: "AZURE_KEY",
            headers: { "api-key": "header-secret-1" },
            models: ["m"],
          },
        ],
      }),
    );
    const { code, stdout, stderr } = await languru(["check-config", file], {
      AZURE_KEY: "provider-secret-2",
      LANGURU_MASTER_KEY: "master-secret-3-0123456789",
      LANGURU_METRICS_TOKEN: "metrics-secret-4-0123456",
      DATABASE_URL: "postgres://user:db-secret-5@db.example:5432/languru",
      REDIS_URL: "redis://:redis-secret-6@redis.example:6379",
    });
    expect(code).toBe(0);
    expect(stderr).toContain("valid");
    const resolved = JSON.parse(stdout) as Record<string, unknown>;
    expect(resolved).toMatchObject({
      port: 8680,
      providers: [{ name: "azure", apiKey: "***", headers: { "api-key": "***" }, models: ["m"] }],
      access: { masterKey: "***" },
      observability: { metricsToken: "***" },
    });
    expect(stdout).toContain("db.example");
    for (const secret of ["header-secret", "provider-secret", "master-secret", "metrics-secret", "db-secret", "redis-secret"])
      expect(stdout).not.toContain(secret);
  });

  it("exits 1 naming the bad field, and 2 without a file", async () => {
    const file = path.join(dir.dir, "bad.json");
    writeFileSync(file, JSON.stringify({ providers: [{ name: "x", kind: "openai-compatible", baseURL: "not a url" }] }));
    const bad = await languru(["check-config", file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("providers[0].baseURL");
    expect(bad.stdout).toBe("");
    expect((await languru(["check-config"])).code).toBe(2);
    expect((await languru(["check-config", path.join(dir.dir, "missing.json")])).code).toBe(1);
  });

  it("accepts the compose setup (deploy/config.json with deploy/languru.env)", async () => {
    const compose = readFileSync(path.join(repoRoot, "compose.yaml"), "utf8");
    expect(compose).toContain("deploy/languru.env");
    expect(compose).toContain("./deploy/config.json:/etc/languru/config.json");
    const env = Object.fromEntries(
      readFileSync(path.join(repoRoot, "deploy", "languru.env"), "utf8")
        .split("\n")
        .filter((line) => line.includes("=") && !line.startsWith("#"))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    const { code, stdout, stderr } = await languru(["check-config", path.join(repoRoot, "deploy", "config.json")], {
      ...env,
      LANGURU_MASTER_KEY: "compose-master-key-0123456789",
      OPENAI_API_KEY: "sk-compose-test",
    });
    expect(stderr).toContain("valid");
    expect(code).toBe(0);
    const resolved = JSON.parse(stdout) as { host: string; access: { databaseUrl: string; redisUrl: string }; models: Array<{ name: string }> };
    expect(resolved.host).toBe("0.0.0.0");
    expect(resolved.access.databaseUrl).toBe("postgres://languru:***@postgres:5432/languru");
    expect(resolved.access.redisUrl).toBe("redis://redis:6379");
    expect(resolved.models.map((m) => m.name)).toEqual(["default"]);
  });
});

describe("languru models", () => {
  it("lists what the config makes routable, with the deployments", async () => {
    const config = writeConfig("models.json", ["alpha", "beta"]);
    const { code, stdout } = await languru(["models", "--config", config]);
    expect(code).toBe(0);
    const list = JSON.parse(stdout) as { data: Array<{ id: string }>; deployments: Array<{ id: string }> };
    expect(list.data.map((m) => m.id)).toEqual(expect.arrayContaining(["echo", "alpha", "beta", "local/alpha"]));
    expect(list.deployments.map((d) => d.id)).toEqual(expect.arrayContaining(["languru/echo", "local/alpha", "local/beta"]));
  });
});

describe("npm start", () => {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";

  it("reloads on a SIGHUP sent to its process group", async () => {
    const config = writeConfig("group.json", ["first"]);
    const { child, url, lines } = await startServer(npm, ["start"], { env: { PORT: "0", LANGURU_CONFIG: config }, group: true });
    expect(await modelIds(url)).toContain("first");
    writeConfig("group.json", ["second"]);
    process.kill(-child.pid!, "SIGHUP");
    await expect.poll(() => modelIds(url), { timeout: 10_000 }).toContain("second");
    // Once, not twice: npm dying from the same hangup does not trigger a second reload.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(lines.filter((l) => String(l.msg).startsWith("config reloaded")).length).toBe(1);
  });

  it("reloads on a SIGHUP sent to npm's own pid (npm does not relay it and exits; the server notices)", async () => {
    const config = writeConfig("npm-pid.json", ["first"]);
    const { child, url, lines } = await startServer(npm, ["start"], { env: { PORT: "0", LANGURU_CONFIG: config }, group: true });
    writeConfig("npm-pid.json", ["second"]);
    child.kill("SIGHUP");
    await expect.poll(() => modelIds(url), { timeout: 10_000 }).toContain("second");
    expect(lines.some((l) => String(l.msg).includes("npm (pid"))).toBe(true);
  });

  it("relays SIGTERM to the server, which drains and exits", async () => {
    const { child, url } = await startServer(npm, ["start"], { env: { PORT: "0" }, group: true });
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
