/**
 * How long the server takes to start, compiled (`dist/main.js`, as `npm start` runs it) and with
 * the TypeScript compiled at startup by tsx's loader: a fresh process each run, timed until its
 * startup line (it listens), with the CPU time it spent by then, all threads, from /proc.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { compiledEntry } from "../scripts/build-server.js";
import { procCpuMs } from "./servers.js";
import { percentile, sorted } from "./stats.js";

/** The timings of one way to start. */
export interface StartupResult {
  how: string;
  /** Medians over the runs, ms. */
  wallMs: number;
  cpuMs: number | null;
  /** Each run's wall time, ms. */
  runs: number[];
}

const TIMEOUT_MS = 30_000;

/** One start: resolves with its wall time and CPU time, then kills the process. */
function startOnce(args: string[]): Promise<{ wallMs: number; cpuMs: number | null }> {
  const started = performance.now();
  // Only what a start needs: no provider keys from the bench's environment.
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    child.once("exit", (code) => reject(new Error(`the server exited with ${code} before listening`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.includes('"url"')) return;
      const wallMs = performance.now() - started;
      const cpu = child.pid ? procCpuMs(child.pid) : null;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.kill("SIGKILL");
      resolve({ wallMs, cpuMs: cpu?.cpuMs ?? null });
    });
  });
}

/** `runs` starts each way, interleaved. */
export async function measureStartup(runs: number, log: (message: string) => void): Promise<StartupResult[]> {
  const compiled = await compiledEntry("main");
  const ways: Array<{ how: string; args: string[] }> = [
    ...(compiled ? [{ how: "compiled: `node dist/main.js` (what `npm start` runs)", args: [fileURLToPath(compiled)] }] : []),
    {
      how: "through tsx's loader: `node --import tsx server/main.ts`",
      args: ["--import", "tsx", fileURLToPath(new URL("../server/main.ts", import.meta.url))],
    },
  ];
  const measured = ways.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  log(`startup: ${runs} starts each, compiled and through tsx`);
  for (let run = 0; run < runs; run++) {
    for (const [i, way] of ways.entries()) {
      const { wallMs, cpuMs } = await startOnce(way.args);
      measured[i]?.wall.push(wallMs);
      if (cpuMs !== null) measured[i]?.cpu.push(cpuMs);
    }
  }
  return ways.map((way, i) => {
    const { wall, cpu } = measured[i] ?? { wall: [], cpu: [] };
    return { how: way.how, wallMs: percentile(sorted(wall), 50), cpuMs: cpu.length > 0 ? percentile(sorted(cpu), 50) : null, runs: wall };
  });
}
