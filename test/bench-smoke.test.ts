/**
 * `npm run bench` end to end, small: a few rows at low concurrency (wrk where a row is one HTTP
 * request, the Node generator for tRPC), then the targets table and its JSON. It guards what a
 * broken bench would silently lose: a fractional phase length once made wrk's run throw, and the
 * streams' time to first chunk read "not run" once wrk drove the REST rows (wrk cannot see a
 * first chunk). The servers run compiled, as in a full run; the rates themselves are not judged.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/spec.js";

const dir = mkdtempSync(path.join(tmpdir(), "languru-bench-smoke-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface BenchJson {
  rows: Record<string, { rps: number; cpuPerReq: number | null; sttfc50: number | null }>;
  targets: Array<{ target: string; value: number | null; limit: number | null; unit: string; pass: boolean | null; verdict: string | null }>;
}

describe("npm run bench, small", () => {
  it("measures every row it was asked for and prints each target with its figure and verdict, in markdown and JSON", async () => {
    const json = path.join(dir, "run.json");
    const env = {
      ...process.env,
      BENCH_ONLY: "direct,proxy,rest,direct-sse,rest-sse,trpc-sdk-sse",
      // Phase lengths that are no whole number of seconds (wrk runs whole seconds), nor of milliseconds.
      BENCH_SECONDS: "0.6",
      BENCH_SERIAL_SECONDS: "0.3333",
      BENCH_ROUNDS: "1",
      BENCH_WARMUP_SECONDS: "0.1",
      BENCH_CONCURRENCY: "2",
      BENCH_SLOW_STREAMS: "0",
      BENCH_SOAK_REQUESTS: "0",
      BENCH_STARTUP_RUNS: "0",
      BENCH_JSON: json,
    };
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["--import", "tsx", "bench/run.ts"], { cwd: repoRoot, env, timeout: 170_000, maxBuffer: 16 << 20 }, (err, out, errOut) =>
        err ? reject(new Error(`bench failed: ${err.message}\n${errOut.slice(-2000)}`)) : resolve(out),
      );
    });
    const run = JSON.parse(readFileSync(json, "utf8")) as BenchJson;
    for (const id of ["direct", "proxy", "rest", "direct-sse", "rest-sse", "trpc-sdk-sse"]) expect(run.rows[id]?.rps, id).toBeGreaterThan(0);
    // The hops' CPU per request, from /proc (the direct rows have no middle hop).
    for (const id of ["proxy", "rest", "rest-sse", "trpc-sdk-sse"]) expect(run.rows[id]?.cpuPerReq, id).toBeGreaterThan(0);
    const target = (name: string) => {
      const found = run.targets.find((t) => t.target === name);
      expect(found, name).toBeDefined();
      return found!;
    };
    // Each target's bound is in the JSON as a number with its unit, so a reader need not parse "≥ 0.5×".
    for (const [name, limit, unit] of [
      ["REST whole req/s ≥ 0.5× bare proxy (keys off)", 0.5, "×"],
      ["gateway CPU/request, REST whole ≤ 2.5× bare proxy (keys off)", 2.5, "×"],
      ["added p99 at concurrency 1, REST whole ≤ 1 ms over direct (keys off)", 1, "ms"],
      ["tRPC stream, SDK default transport: gateway CPU/request ≤ 1.25× REST streamed's (keys off)", 1.25, "×"],
      ["tRPC stream TTFC at concurrency 1 ≤ REST's + 0.5 ms (keys off)", 0.5, "ms"],
    ] as const) {
      const t = target(name);
      expect(Number.isFinite(t.value), name).toBe(true);
      expect(t).toMatchObject({ limit, unit });
      expect(["PASS", "MISS"]).toContain(t.verdict);
      // The markdown table carries the same verdict on the target's row, and the figure in its unit.
      const line = stdout.split("\n").find((l) => l.startsWith(`| ${name} `));
      expect(line, name).toMatch(t.pass ? /\| +PASS \|$/ : /\| +MISS \|$/);
      expect(line, name).toMatch(unit === "ms" ? /\| +[+-]\d+\.\d+ \|/ : /\| +\d+\.\d+× \|/);
    }
    // A row that did not run is said to be so, not passed.
    expect(target("REST streamed, 64 frames in one write (burst), req/s ≥ 0.5× bare proxy (keys off)")).toMatchObject({ value: null, pass: null });
  }, 180_000);
});
