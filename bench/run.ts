/**
 * `npm run bench`: what the gateway costs on top of its upstream. Forks a fake OpenAI-compatible
 * upstream, a bare pass-through proxy and a Languru gateway (each its own process, on 127.0.0.1),
 * then drives the same chat request through each hop and prints markdown tables to stdout.
 *
 * Rows that are one plain HTTP request are driven by `wrk` (bench/wrk.ts, installed when missing);
 * the tRPC rows over WebSocket and the two-step tRPC streams by the Node generator (load.ts);
 * BENCH_LOADGEN=node drives every row with Node. The servers run compiled (as `npm start` runs
 * them); BENCH_LOADER=tsx runs them through tsx's loader instead. Each server's CPU time comes
 * from /proc.
 *
 * Settings (environment): BENCH_SECONDS (3) per row at BENCH_CONCURRENCY (16), then
 * BENCH_SERIAL_SECONDS (3) at concurrency 1 for unloaded latency, both split over BENCH_ROUNDS (3)
 * interleaved rounds, each after BENCH_WARMUP_SECONDS (0.15); BENCH_ONLY=id,id to run some rows;
 * BENCH_EXTRA=1 to add the diagnostic `echo` rows; BENCH_CPU_PROF=<dir> to profile the gateways and the bare proxy;
 * BENCH_PEERS=1 to add the Portkey rows; BENCH_SLOW_STREAMS (2000) and BENCH_SOAK_REQUESTS (100000)
 * size the memory phases (0 skips them); BENCH_JSON (bench/last-run.json) is where the results go; BENCH_STARTUP_RUNS (3) times
 * the server's startup, compiled and through tsx (0 skips it).
 * Every target (issues 8 and 21) is printed with its figure and PASS/MISS, and written to the JSON too.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import { runLoad, type LoadResult, type Task } from "./load.js";
import { slowStreams, soak, type SlowStreamsResult, type SoakResult } from "./memory.js";
import { startPortkey } from "./peers.js";
import { forkServer, procCpuMs, type Loader, type ServerProcess } from "./servers.js";
import { measureStartup, type StartupResult } from "./startup.js";
import { evaluateTargets, type RowFigures, type TargetResult } from "./targets.js";
import { fmt, percentile, ratio, signed, sorted, table } from "./stats.js";
import { STREAM_CHUNKS } from "./upstream.js";
import { WORKLOADS, type Targets, type Workload } from "./workloads.js";
import { ensureWrk, runWrk, type WrkRequest } from "./wrk.js";

/** The bench's knobs, read from the environment and bounded. */
interface Settings {
  /** Loaded seconds per row, split over the rounds. */
  seconds: number;
  concurrency: number;
  /** Concurrency-1 seconds per row, split over the rounds. */
  serialSeconds: number;
  /** Warm-up seconds per row and round (not measured). */
  warmupSeconds: number;
  rounds: number;
  only: Set<string> | null;
  /** Also run the diagnostic rows (the gateway's `echo` model, no upstream). */
  extra: boolean;
  peers: boolean;
  /** REDIS_URL is set: the rows of two replicas sharing generations through Redis run. */
  redis: boolean;
  cpuProfDir: string | null;
  slowStreams: number;
  soakRequests: number;
  jsonPath: string;
  /** `wrk` for the rows it can drive (the default), or `node` for every row. */
  loadgen: "wrk" | "node";
  /** How the servers run. */
  loader: Loader;
  /** Startup timings per loader (0 skips them). */
  startupRuns: number;
}

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_REQUESTS_PER_PHASE = 1_000_000;

/** A numeric setting: its default and the range it must fall in. */
interface NumberSetting {
  fallback: number;
  min: number;
  max: number;
}

function numberFrom(env: NodeJS.ProcessEnv, name: string, { fallback, min, max }: NumberSetting): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min} to ${max}, got '${raw}'`);
  return value;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const only = env.BENCH_ONLY
    ? new Set(
        env.BENCH_ONLY.split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      )
    : null;
  for (const id of only ?? []) {
    if (!WORKLOADS.some((w) => w.id === id)) throw new Error(`BENCH_ONLY: unknown row '${id}' (rows: ${WORKLOADS.map((w) => w.id).join(", ")})`);
  }
  return {
    seconds: numberFrom(env, "BENCH_SECONDS", { fallback: 3, min: 0.2, max: 120 }),
    concurrency: Math.round(numberFrom(env, "BENCH_CONCURRENCY", { fallback: 16, min: 1, max: 256 })),
    // wrk runs whole seconds: 1 s per round at concurrency 1, ~3,000 samples for the p99 target.
    serialSeconds: numberFrom(env, "BENCH_SERIAL_SECONDS", { fallback: 3, min: 0, max: 60 }),
    warmupSeconds: numberFrom(env, "BENCH_WARMUP_SECONDS", { fallback: 0.15, min: 0, max: 30 }),
    rounds: Math.round(numberFrom(env, "BENCH_ROUNDS", { fallback: 3, min: 1, max: 20 })),
    only,
    extra: env.BENCH_EXTRA === "1",
    peers: env.BENCH_PEERS === "1",
    redis: Boolean(env.REDIS_URL),
    cpuProfDir: env.BENCH_CPU_PROF ? resolve(env.BENCH_CPU_PROF) : null,
    slowStreams: Math.round(numberFrom(env, "BENCH_SLOW_STREAMS", { fallback: 2_000, min: 0, max: 10_000 })),
    soakRequests: Math.round(numberFrom(env, "BENCH_SOAK_REQUESTS", { fallback: 100_000, min: 0, max: 10_000_000 })),
    jsonPath: resolve(env.BENCH_JSON ?? "bench/last-run.json"),
    loadgen: env.BENCH_LOADGEN === "node" ? "node" : "wrk",
    loader: env.BENCH_LOADER === "tsx" ? "tsx" : "compiled",
    startupRuns: Math.round(numberFrom(env, "BENCH_STARTUP_RUNS", { fallback: 3, min: 0, max: 20 })),
  };
}

/** What one row measured, summed over its rounds. */
interface Row {
  workload: Workload;
  /** Which generator drove it. */
  generator: "wrk" | "node";
  loaded: LoadResult;
  serial: LoadResult;
  /** Requests per second of each round's loaded phase: the spread shows how noisy the machine was. */
  roundRps: number[];
  /** CPU time of each process during the loaded phases, in ms. */
  cpuMs: { middle: number | null; middleSystem: number | null; upstream: number; loadgen: number };
  /** TCP connections each server accepted during the loaded phases. */
  connections: { middle: number | null; upstream: number };
}

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

function emptyLoad(): LoadResult {
  return { completed: 0, errors: 0, firstError: null, elapsedMs: 0, latencies: [], ttfc: [] };
}

function merge(into: LoadResult, from: LoadResult): void {
  into.completed += from.completed;
  into.errors += from.errors;
  into.firstError ??= from.firstError;
  into.elapsedMs += from.elapsedMs;
  for (const v of from.latencies) into.latencies.push(v);
  for (const v of from.ttfc) into.ttfc.push(v);
}

/** The servers one row talks to: the upstream always, and the hop in between unless direct. */
interface RowServers {
  upstream: ServerProcess;
  middle: ServerProcess | null;
}

/** What one round of a row runs on: the Node task, or wrk's request when the row has one and wrk is there. */
interface RoundDriver {
  task: Task;
  wrk: { path: string; request: WrkRequest } | null;
}

// This process's CPU time and its finished children's (wrk's runs), from /proc; Node's own counter where there is none.
function loadgenCpuMs(): number {
  const proc = procCpuMs("self");
  if (proc) return proc.cpuMs + proc.childrenMs;
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1000;
}

/** One round of one row: warm up, a loaded phase (with CPU and connection counters), a serial phase. */
async function measureRound({ row, driver, servers, settings }: { row: Row; driver: RoundDriver; servers: RowServers; settings: Settings }): Promise<void> {
  const nodePhase = (concurrency: number, seconds: number) =>
    runLoad({ concurrency, durationMs: seconds * 1000, maxRequests: MAX_REQUESTS_PER_PHASE, task: driver.task });
  const phase = (concurrency: number, seconds: number) =>
    driver.wrk
      ? runWrk({ wrk: driver.wrk.path, request: driver.wrk.request, connections: concurrency, seconds, timeoutMs: REQUEST_TIMEOUT_MS })
      : nodePhase(concurrency, seconds);
  // The warm-up only warms (JIT, connections): the Node generator does it, as wrk runs whole seconds only.
  if (settings.warmupSeconds > 0) await nodePhase(settings.concurrency, settings.warmupSeconds);

  const stats = () => Promise.all([servers.upstream.stats(), servers.middle?.stats() ?? Promise.resolve(null)]);
  const [upBefore, midBefore] = await stats();
  const cpuBefore = loadgenCpuMs();
  const loaded = await phase(settings.concurrency, settings.seconds / settings.rounds);
  const cpuLoadgen = loadgenCpuMs() - cpuBefore;
  const [upAfter, midAfter] = await stats();
  merge(row.loaded, loaded);
  row.roundRps.push(loaded.completed / (loaded.elapsedMs / 1000));
  row.cpuMs.loadgen += cpuLoadgen;
  row.cpuMs.upstream += upAfter.cpuMs - upBefore.cpuMs;
  row.connections.upstream += upAfter.connections - upBefore.connections;
  if (midBefore && midAfter) {
    row.cpuMs.middle = (row.cpuMs.middle ?? 0) + midAfter.cpuMs - midBefore.cpuMs;
    row.cpuMs.middleSystem = (row.cpuMs.middleSystem ?? 0) + midAfter.systemMs - midBefore.systemMs;
    row.connections.middle = (row.connections.middle ?? 0) + midAfter.connections - midBefore.connections;
  }
  // Unloaded latency of a stream is read by the Node generator, which sees the first chunk (wrk sees
  // only the whole response): the tRPC and REST streams' time to first chunk are then measured alike.
  const serial = row.workload.stream ? nodePhase : phase;
  if (settings.serialSeconds > 0) merge(row.serial, await serial(1, settings.serialSeconds / settings.rounds));
}

interface Summary {
  rps: number;
  p50: number;
  p99: number;
  ttfc50: number;
  ttfc99: number;
  s50: number;
  s99: number;
  sttfc50: number;
}

function summarize(row: Row): Summary {
  const loaded = sorted(row.loaded.latencies);
  const ttfc = sorted(row.loaded.ttfc);
  const serial = sorted(row.serial.latencies);
  const serialTtfc = sorted(row.serial.ttfc);
  return {
    rps: row.loaded.completed / (row.loaded.elapsedMs / 1000),
    p50: percentile(loaded, 50),
    p99: percentile(loaded, 99),
    ttfc50: percentile(ttfc, 50),
    ttfc99: percentile(ttfc, 99),
    s50: percentile(serial, 50),
    s99: percentile(serial, 99),
    sttfc50: percentile(serialTtfc, 50),
  };
}

function report(rows: Row[], settings: Settings): string {
  const summaries = new Map(rows.map((r) => [r.workload.id, summarize(r)]));
  // Ratios compare rows of one load generator: a Node-driven row with the Node-driven proxy.
  const baseRow = (row: Row, via: "direct" | "proxy") =>
    rows.find((r) => r.workload.via === via && r.workload.kind === row.workload.kind && r.generator === row.generator);
  const baseline = (row: Row, via: "direct" | "proxy") => {
    const base = baseRow(row, via);
    return base ? (summaries.get(base.workload.id) ?? null) : null;
  };
  const diff = (a: number, b: number | undefined) => (b === undefined ? null : a - b);
  const name = (row: Row) => `${row.workload.label} [${row.workload.id}]`;

  const throughput = rows.map((row) => {
    const s = summaries.get(row.workload.id) as Summary;
    const direct = baseline(row, "direct");
    const proxy = baseline(row, "proxy");
    const errors = row.loaded.errors + row.serial.errors;
    return [
      name(row),
      row.generator,
      fmt(s.rps, 0),
      `${fmt(Math.min(...row.roundRps), 0)}–${fmt(Math.max(...row.roundRps), 0)}`,
      ratio(direct ? s.rps / direct.rps : null),
      ratio(proxy ? s.rps / proxy.rps : null),
      fmt(s.p50),
      fmt(s.p99),
      row.workload.via === "direct" ? "—" : signed(diff(s.p50, direct?.p50)),
      row.workload.via === "direct" ? "—" : signed(diff(s.p99, direct?.p99)),
      row.workload.stream ? fmt(s.ttfc50) : "",
      row.workload.stream ? fmt(s.ttfc99) : "",
      String(errors),
    ];
  });

  const latency = rows.map((row) => {
    const s = summaries.get(row.workload.id) as Summary;
    const direct = baseline(row, "direct");
    const isDirect = row.workload.via === "direct";
    return [
      name(row),
      fmt(s.s50),
      fmt(s.s99),
      isDirect ? "—" : signed(diff(s.s50, direct?.s50)),
      isDirect ? "—" : signed(diff(s.s99, direct?.s99)),
      row.workload.stream ? fmt(s.sttfc50) : "",
      row.workload.stream && !isDirect ? signed(diff(s.sttfc50, direct?.sttfc50)) : "",
      String(row.serial.completed),
    ];
  });

  const perRequest = (row: Row, ms: number | null) => (ms === null || row.loaded.completed === 0 ? null : (ms * 1000) / row.loaded.completed);
  const cost = rows.map((row) => {
    const proxy = baseRow(row, "proxy");
    const middle = perRequest(row, row.cpuMs.middle);
    const proxyMiddle = proxy ? perRequest(proxy, proxy.cpuMs.middle) : null;
    return [
      name(row),
      row.workload.via === "direct" ? "—" : fmt(middle, 0),
      row.workload.via === "direct" || !row.cpuMs.middle ? "—" : `${fmt((100 * (row.cpuMs.middleSystem ?? 0)) / row.cpuMs.middle, 0)} %`,
      row.workload.via !== "direct" && row.workload.via !== "proxy" && middle !== null && proxyMiddle ? ratio(middle / proxyMiddle) : "",
      fmt(perRequest(row, row.cpuMs.upstream), 0),
      fmt(perRequest(row, row.cpuMs.loadgen), 0),
      row.workload.via === "direct" ? "—" : String(row.connections.middle ?? "—"),
      String(row.connections.upstream),
      String(row.loaded.completed),
    ];
  });

  const failures = rows.filter((r) => r.loaded.firstError || r.serial.firstError);
  const cpus = os.cpus();
  return [
    `# Languru bench`,
    "",
    `${new Date().toISOString()} · Node ${process.version} · ${cpus.length} × ${cpus[0]?.model.trim() ?? "cpu"} · ` +
      `per row: concurrency ${settings.concurrency} for ${settings.seconds} s, then concurrency 1 for ${settings.serialSeconds} s, ` +
      `split over ${settings.rounds} interleaved rounds (each after a ${settings.warmupSeconds} s warm-up) · ` +
      `upstream answers ${STREAM_CHUNKS} words (${STREAM_CHUNKS} SSE chunks + a finish chunk + [DONE] when streamed) · ` +
      `load generator: ${settings.loadgen === "wrk" ? "wrk (one thread) where a row is one HTTP request, Node otherwise" : "Node for every row"} · ` +
      `servers ${settings.loader === "tsx" ? "through tsx's loader" : "compiled (dist/)"} · load average before the run ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    "",
    `## Throughput and latency at concurrency ${settings.concurrency}`,
    "",
    "Ratios compare with the direct and bare-proxy rows of the same kind (whole vs streamed); req/s per round shows the noise. " +
      "Latencies in ms from request start to the last byte; TTFC is to the first content chunk; +p50/+p99 are added vs direct.",
    "",
    table(
      ["row", "load gen", "req/s", "req/s per round", "× direct", "× bare proxy", "p50", "p99", "+p50", "+p99", "TTFC p50", "TTFC p99", "errors"],
      throughput,
    ),
    "",
    "## Unloaded latency (concurrency 1)",
    "",
    "What one request pays with nothing else in flight; +p50/+p99 and +TTFC are added vs direct. ms.",
    "",
    table(["row", "p50", "p99", "+p50", "+p99", "TTFC p50", "+TTFC p50", "requests"], latency),
    "",
    `## Cost per request (concurrency ${settings.concurrency} phase)`,
    "",
    "CPU time (user + system, all threads, from /proc) per completed request of each process, in µs; the middle hop is the bare proxy or the gateway, " +
      "with the kernel's (system) share, and × bare proxy compares its CPU per request with the proxy's. Then the TCP connections each server accepted during the phase.",
    "",
    table(
      [
        "row",
        "middle-hop CPU µs/req",
        "of it kernel",
        "× bare proxy",
        "upstream CPU µs/req",
        "load-gen CPU µs/req",
        "conns to middle hop",
        "conns to upstream",
        "requests",
      ],
      cost,
    ),
    ...(failures.length > 0 ? ["", "## Errors", "", ...failures.map((r) => `- ${r.workload.id}: ${r.loaded.firstError ?? r.serial.firstError ?? ""}`)] : []),
    "",
  ].join("\n");
}

/** What the memory phases measured. */
interface MemoryResults {
  slow: SlowStreamsResult[];
  soak: SoakResult | null;
}

const MEMORY_TIMEOUT_MS = 120_000;
// ~22 frames at this pace keep each slow stream open ~4.4 s: long enough to open them all.
const SLOW_FRAME_DELAY_MS = 200;

async function measureMemory(settings: Settings, gateway: ServerProcess, gatewayKeys: ServerProcess): Promise<MemoryResults> {
  const slow: SlowStreamsResult[] = [];
  if (settings.slowStreams > 0) {
    for (const door of ["rest", "trpc"] as const) {
      log(`memory: ${settings.slowStreams} slow ${door} streams`);
      slow.push(await slowStreams({ gateway, door, streams: settings.slowStreams, frameDelayMs: SLOW_FRAME_DELAY_MS, timeoutMs: MEMORY_TIMEOUT_MS }));
    }
  }
  let soaked: SoakResult | null = null;
  if (settings.soakRequests > 0) {
    log(`memory: ${settings.soakRequests} mixed requests (keys on)`);
    soaked = await soak({
      gateway: gatewayKeys,
      apiKey: gatewayKeys.key,
      requests: settings.soakRequests,
      concurrency: settings.concurrency,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  }
  return { slow, soak: soaked };
}

function figures(rows: Row[]): Map<string, RowFigures> {
  const out = new Map<string, RowFigures>();
  for (const row of rows) {
    const s = summarize(row);
    const cpuPerReq = row.cpuMs.middle === null || row.loaded.completed === 0 ? null : (row.cpuMs.middle * 1000) / row.loaded.completed;
    out.set(row.workload.id, { rps: s.rps, s50: s.s50, s99: s.s99, sttfc50: s.sttfc50, cpuPerReq });
  }
  return out;
}

function startupReport(startup: StartupResult[]): string {
  if (startup.length === 0) return "";
  return [
    "## Startup",
    "",
    "A fresh `node` process until the server's startup line (it listens), wall time and the process's CPU time (all threads), ms; median of the runs, then each run.",
    "",
    table(
      ["how", "wall ms", "CPU ms", "runs (wall)"],
      startup.map((r) => [r.how, fmt(r.wallMs, 0), fmt(r.cpuMs, 0), r.runs.map((v) => fmt(v, 0)).join(" / ")]),
    ),
    "",
  ].join("\n");
}

function targetsReport(results: TargetResult[], memory: MemoryResults): string {
  const verdict = (r: TargetResult) => (r.pass === null ? (r.limit === null ? "—" : "not run") : r.pass ? "PASS" : "MISS");
  const value = (r: TargetResult) => (r.value === null ? "—" : r.unit === "ms" ? signed(r.value) : r.unit === "KiB" ? fmt(r.value, 1) : closeRatio(r.value, r));
  // A ratio that rounds onto its bound (0.90× against ≥ 0.9×) gets a third decimal, so that a MISS never reads like the bound.
  const closeRatio = (v: number, r: TargetResult) => {
    const shown = ratio(v);
    return r.limit !== null && Number.parseFloat(shown) === r.limit ? `${v.toFixed(3)}×` : shown;
  };
  const memoryRows = memory.slow.map((m) => [
    m.door,
    `${m.completed}/${m.streams}`,
    fmt(m.baselineBytes / 2 ** 20, 1),
    fmt(m.openBytes / 2 ** 20, 1),
    fmt(m.afterBytes / 2 ** 20, 1),
    fmt(m.perStreamBytes / 1024, 1),
    m.heapBytes.map((b) => fmt(b / 2 ** 20, 1)).join(" / "),
    m.firstError ?? "",
  ]);
  const soaked = memory.soak;
  return [
    "## Targets",
    "",
    table(
      ["target", "compared", "measured", "bound", "verdict"],
      results.map((r) => [r.target, r.compared, value(r), r.bound, verdict(r)]),
    ),
    "",
    ...(memoryRows.length > 0
      ? [
          "## Memory: slow concurrent streams",
          "",
          "Gateway RSS (after full GCs) before, with every stream open (each had its first chunk), and after (tRPC: past the 10 s resume grace, which keeps finished generations on purpose); MiB, and KiB per stream.",
          "",
          table(["door", "completed", "baseline", "open", "after", "KiB/stream", "heap: baseline / open / after", "first error"], memoryRows),
          "",
        ]
      : []),
    ...(soaked
      ? [
          `## Memory: ${soaked.requests} mixed requests (keys on)`,
          "",
          `RSS after ${Math.round(soaked.requests / 10)} requests: ${fmt(soaked.earlyBytes / 2 ** 20, 1)} MiB; after all: ${fmt(soaked.lateBytes / 2 ** 20, 1)} MiB ` +
            `(${ratio(soaked.ratio)}); V8 heap in use ${fmt(soaked.earlyHeapBytes / 2 ** 20, 1)} → ${fmt(soaked.lateHeapBytes / 2 ** 20, 1)} MiB; ${soaked.errors} errors in ${fmt(soaked.seconds, 0)} s${soaked.firstError ? `, first: ${soaked.firstError}` : ""}.`,
          "",
        ]
      : []),
  ].join("\n");
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const workloads = WORKLOADS.filter((w) =>
    settings.only ? settings.only.has(w.id) : (!w.extra || settings.extra) && (!w.peer || settings.peers) && (!w.redis || settings.redis),
  );
  const perRow = settings.seconds + settings.serialSeconds + settings.warmupSeconds * settings.rounds;
  const memoryBudget = settings.slowStreams > 0 || settings.soakRequests > 0 ? (2 * MEMORY_TIMEOUT_MS) / 1000 + settings.soakRequests / 500 : 0;
  const budgetMs = (workloads.length * perRow + memoryBudget + 120) * 1000;
  const servers: ServerProcess[] = [];
  // The whole run is bounded: whatever hangs, the runner and its servers go away.
  const watchdog = setTimeout(() => {
    log(`watchdog: still running after ${budgetMs / 1000} s, giving up`);
    for (const server of servers) server.kill();
    process.exit(2);
  }, budgetMs);
  watchdog.unref();
  process.on("exit", () => {
    for (const s of servers) s.kill();
  });

  log(`starting upstream, proxy, gateways${settings.peers ? " and Portkey" : ""}; then ${workloads.length} rows × ~${perRow.toFixed(1)} s`);
  const wrk = settings.loadgen === "wrk" ? ensureWrk(log) : null;
  // Timed first, before the load: each start is a fresh process, compiled and through tsx.
  const startup = settings.startupRuns > 0 ? await measureStartup(settings.startupRuns, log) : [];
  const loader = settings.loader;
  const upstream = await forkServer({ role: "upstream" });
  servers.push(upstream);
  if (settings.cpuProfDir) mkdirSync(settings.cpuProfDir, { recursive: true });
  const profile = settings.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${settings.cpuProfDir}`] : [];
  const [proxy, gateway, gatewayKeys] = await Promise.all([
    // The bare proxy is profiled too: its profile is the floor the gateway's is read against.
    forkServer({ role: "proxy", upstream: upstream.url, nodeFlags: profile }),
    forkServer({ role: "gateway", upstream: upstream.url, nodeFlags: ["--expose-gc", ...profile], loader }),
    forkServer({ role: "gateway-keys", upstream: upstream.url, nodeFlags: ["--expose-gc", ...profile], loader }),
  ]);
  servers.push(proxy, gateway, gatewayKeys);
  const peer = settings.peers ? await startPortkey(process.env, log) : null;
  if (peer) servers.push(peer);
  process.env.BENCH_REDIS_PREFIX = `languru-bench-${process.pid}`;
  const replicas = settings.redis
    ? await Promise.all([
        forkServer({ role: "gateway-redis", upstream: upstream.url, loader }),
        forkServer({ role: "gateway-redis", upstream: upstream.url, loader }),
      ])
    : null;
  if (replicas) servers.push(...replicas);
  const targets: Targets = {
    upstream: upstream.url,
    proxy: proxy.url,
    gateway: gateway.url,
    gatewayKeys: gatewayKeys.url,
    apiKey: gatewayKeys.key ?? "",
    peer: peer?.url ?? null,
    replicas: replicas ? [replicas[0].url, replicas[1].url] : null,
  };
  const context = { targets, concurrency: settings.concurrency, timeoutMs: REQUEST_TIMEOUT_MS };
  const middleOf: Record<Workload["via"], ServerProcess | null> = {
    direct: null,
    proxy,
    gateway,
    "gateway-keys": gatewayKeys,
    "gateway-redis": replicas?.[0] ?? null,
    peer,
  };

  const rows = workloads.map((workload) => ({
    row: {
      workload,
      generator: wrk && workload.wrk ? "wrk" : "node",
      loaded: emptyLoad(),
      serial: emptyLoad(),
      roundRps: [],
      cpuMs: { middle: null, middleSystem: null, upstream: 0, loadgen: 0 },
      connections: { middle: null, upstream: 0 },
    } satisfies Row as Row,
    prepared: workload.prepare(context),
    wrkRequest: wrk && workload.wrk ? { path: wrk, request: workload.wrk(targets) } : null,
    servers: { upstream, middle: middleOf[workload.via] },
  }));
  let memory: MemoryResults = { slow: [], soak: null };
  try {
    for (let round = 1; round <= settings.rounds; round++) {
      // Every other round runs backwards, so that a slow drift of the machine hits all rows alike.
      const order = round % 2 === 1 ? rows : [...rows].reverse();
      for (const { row, prepared, wrkRequest, servers: rowServers } of order) {
        log(`round ${round}/${settings.rounds}: ${row.workload.id} (${row.generator})`);
        await measureRound({ row, driver: { task: prepared.task, wrk: wrkRequest }, servers: rowServers, settings });
      }
    }
    memory = await measureMemory(settings, gateway, gatewayKeys);
  } finally {
    for (const { prepared } of rows) prepared.dispose();
    await Promise.all(servers.map((s) => s.close()));
  }
  for (const { row } of rows) if (row.loaded.firstError) log(`${row.workload.id}: ${row.loaded.errors} errors, first: ${row.loaded.firstError}`);
  const measured = rows.map((r) => r.row);
  const results = evaluateTargets(figures(measured), memory);
  process.stdout.write(`${report(measured, settings)}\n${startupReport(startup)}${targetsReport(results, memory)}`);
  mkdirSync(resolve(settings.jsonPath, ".."), { recursive: true });
  writeFileSync(
    settings.jsonPath,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        settings: { ...settings, only: settings.only ? [...settings.only] : null },
        loadavg: os.loadavg(),
        targets: results.map((r) => ({ ...r, verdict: r.pass === null ? null : r.pass ? "PASS" : "MISS" })),
        startup,
        rows: Object.fromEntries(figures(measured)),
        memory,
      },
      null,
      2,
    )}\n`,
  );
  log(`results written to ${settings.jsonPath}`);
  if (settings.cpuProfDir) log(`CPU profiles of the gateways and the bare proxy written to ${settings.cpuProfDir}`);
  clearTimeout(watchdog);
  // Keep-alive sockets of the SDK's fetch would otherwise hold the process open.
  // A peer that fails (Portkey's stream row, see BENCHMARKS.md) is reported, not a failed bench.
  process.exit(rows.some((r) => r.row.loaded.completed === 0 && !r.row.workload.peer) ? 1 : 0);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
