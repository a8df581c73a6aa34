/**
 * The peer row (BENCH_PEERS=1): the Portkey AI Gateway, installed with npm into a cache outside the
 * repo (BENCH_PEERS_DIR, default `~/.cache/languru-bench/peers`) and started as its README says
 * (`node build/start-server.js --port=N`), in front of the same fake upstream.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { join } from "node:path";
import type { ServerProcess, ServerStats } from "./servers.js";

const PORTKEY = "@portkey-ai/gateway@1";

/** Where peers are installed. */
export function peersDir(env: NodeJS.ProcessEnv): string {
  return env.BENCH_PEERS_DIR ?? join(os.homedir(), ".cache", "languru-bench", "peers");
}

/** Installs Portkey once (npm, scripts off) and returns its start script. */
function installPortkey(dir: string, log: (message: string) => void): string {
  const script = join(dir, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");
  if (existsSync(script)) return script;
  mkdirSync(dir, { recursive: true });
  log(`installing ${PORTKEY} into ${dir}`);
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", dir, PORTKEY], {
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 300_000,
  });
  if (!existsSync(script)) throw new Error(`${PORTKEY} installed, but ${script} is missing`);
  return script;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// CPU time of a process from /proc (Linux), in ms; clock ticks are 100 Hz on every common kernel.
function cpuOf(pid: number): { cpuMs: number; systemMs: number; rssBytes: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const user = Number(fields[11]) * 10;
    const system = Number(fields[12]) * 10;
    const rssPages = Number(fields[21]);
    return { cpuMs: user + system, systemMs: system, rssBytes: rssPages * 4096 };
  } catch {
    return { cpuMs: Number.NaN, systemMs: Number.NaN, rssBytes: Number.NaN };
  }
}

/** Installs (once) and starts Portkey; resolves once it answers HTTP. */
export async function startPortkey(env: NodeJS.ProcessEnv, log: (message: string) => void): Promise<ServerProcess> {
  const script = installPortkey(peersDir(env), log);
  const port = await freePort();
  const child = spawn(process.execPath, [script, `--port=${port}`], { stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, NODE_ENV: "production" } });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (true) {
    if (child.exitCode !== null) throw new Error(`Portkey exited with code ${child.exitCode}`);
    const up = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("Portkey did not answer within 30 s");
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const pid = child.pid ?? 0;
  return {
    role: "proxy",
    url,
    pid,
    key: null,
    async stats(): Promise<ServerStats> {
      return { connections: Number.NaN, heapUsedBytes: Number.NaN, ...cpuOf(pid) };
    },
    async close() {
      child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 200));
      if (child.exitCode === null) child.kill("SIGKILL");
    },
    kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
