/**
 * The efficient load generator: `wrk` (C, epoll, one thread), driving the rows that are plain
 * HTTP requests. The Node generator (`load.ts`) shares the two cores with the servers and spends
 * more CPU per request than the bare proxy does, so it caps every row near the same rate and its
 * ratios read high; wrk spends a fraction of that. The request is `post.lua`: a POST of a body file.
 * wrk is Debian's package, installed when missing (as `.ci/run` installs Chromium).
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LoadResult } from "./load.js";

const SCRIPT = fileURLToPath(new URL("./post.lua", import.meta.url));
const WRK = "/usr/bin/wrk";

/** wrk's path, installing Debian's package when it is missing; null when it cannot be had here. */
export function ensureWrk(log: (message: string) => void): string | null {
  if (existsSync(WRK)) return WRK;
  if (process.getuid?.() !== 0) {
    log("wrk is not installed and this is not root: the HTTP rows use the Node load generator");
    return null;
  }
  log("installing wrk (apt-get)");
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore" });
    execFileSync("apt-get", ["install", "-y", "-qq", "wrk"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  } catch (err) {
    log(`could not install wrk (${(err as Error).message}): the HTTP rows use the Node load generator`);
    return null;
  }
  return existsSync(WRK) ? WRK : null;
}

/** One wrk request shape: where, what body, which headers. */
export interface WrkRequest {
  url: string;
  body: string;
  /** The `authorization` header, when keys are on (or a peer wants one). */
  authorization?: string;
}

/** Options of one wrk run. */
export interface WrkOptions {
  wrk: string;
  request: WrkRequest;
  connections: number;
  seconds: number;
  timeoutMs: number;
}

/** wrk takes whole seconds only: a phase lasts at least one. */
export function wholeSeconds(seconds: number): number {
  return Math.max(1, Math.round(seconds));
}

/** What `post.lua` prints at the end. */
interface WrkSummary {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  quantilesUs: number[];
}

/**
 * Runs wrk for `seconds` at `connections` (one thread) and returns it as a load result: the
 * latencies are its 1000 quantiles (ms), not one per request, which percentiles read the same.
 */
export async function runWrk({ wrk, request, connections, seconds, timeoutMs }: WrkOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "languru-wrk-"));
  const bodyFile = join(dir, "body.json");
  writeFileSync(bodyFile, request.body);
  try {
    const args = ["-t1", `-c${connections}`, `-d${wholeSeconds(seconds)}s`, `--timeout`, `${Math.ceil(timeoutMs / 1000)}s`, "-s", SCRIPT, request.url];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        wrk,
        args,
        { env: { ...process.env, WRK_BODY_FILE: bodyFile, WRK_AUTHORIZATION: request.authorization ?? "" }, timeout: Math.ceil((seconds + 30) * 1000) },
        (err, out, errOut) => (err ? reject(new Error(`wrk failed: ${err.message} ${errOut}`)) : resolve(out)),
      );
    });
    const line = stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
    if (!line) throw new Error(`wrk printed no summary: ${stdout.slice(0, 500)}`);
    const summary = JSON.parse(line.slice("WRK_JSON ".length)) as WrkSummary;
    const errors = summary.connect + summary.read + summary.write + summary.status + summary.timeout;
    return {
      completed: summary.requests - summary.status,
      errors,
      firstError: errors > 0 ? `wrk: ${JSON.stringify({ ...summary, quantilesUs: undefined })}` : null,
      elapsedMs: summary.durationUs / 1000,
      latencies: summary.requests > 0 ? summary.quantilesUs.map((us) => us / 1000) : [],
      ttfc: [],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
