/**
 * The targets of issues 8 and 21, each as a ratio (or added ms) from one bench run with PASS/MISS:
 * throughput against the bare proxy (64-chunk streams whose frames arrive one per turn, and all
 * in one write), CPU per request, added latency at concurrency 1 (p50 and p99), the tRPC doors
 * against REST, keys on against off, and the memory rows. A target whose rows did not run is
 * reported as not measured.
 */
import type { SlowStreamsResult, SoakResult } from "./memory.js";

/** What the targets read of one throughput row. */
export interface RowFigures {
  rps: number;
  /** p50 latency at concurrency 1, ms. */
  s50: number;
  /** p99 latency at concurrency 1, ms. */
  s99: number;
  /** p50 time to first chunk at concurrency 1, ms. */
  sttfc50: number;
  /** The middle hop's CPU per request, µs. */
  cpuPerReq: number | null;
}

/** One target's verdict. */
export interface TargetResult {
  target: string;
  /** What was compared, e.g. `rest / proxy`. */
  compared: string;
  /** The measured ratio (or difference in ms for the latency targets). */
  value: number | null;
  /** How the value must relate to the bound, as printed. */
  bound: string;
  /** The bound's number (0.5 for `≥ 0.5×`), null when reported without a target. */
  limit: number | null;
  /** What `value` is: a ratio, added milliseconds, or KiB. */
  unit: "×" | "ms" | "KiB";
  /** null: not measured, or reported without a target. */
  pass: boolean | null;
}

/** What the memory phases measured, when they ran. */
export interface MemoryFigures {
  slow: SlowStreamsResult[];
  soak: SoakResult | null;
}

const KIB = 1024;

/** Every target, evaluated. */
export function evaluateTargets(rows: Map<string, RowFigures>, memory: MemoryFigures): TargetResult[] {
  const out: TargetResult[] = [];
  const ratio = (target: string, a: string, b: string, min: number, pick: (r: RowFigures) => number | null = (r) => r.rps) => {
    const x = rows.get(a);
    const y = rows.get(b);
    const va = x ? pick(x) : null;
    const vb = y ? pick(y) : null;
    const value = va !== null && vb !== null && vb > 0 ? va / vb : null;
    out.push({ target, compared: `${a} / ${b}`, value, bound: `≥ ${min}×`, limit: min, unit: "×", pass: value === null ? null : value >= min });
  };
  const atMost = (target: string, a: string, b: string, max: number, pick: (r: RowFigures) => number | null) => {
    const x = rows.get(a);
    const y = rows.get(b);
    const va = x ? pick(x) : null;
    const vb = y ? pick(y) : null;
    const value = va !== null && vb !== null && vb > 0 ? va / vb : null;
    out.push({ target, compared: `${a} / ${b}`, value, bound: `≤ ${max}×`, limit: max, unit: "×", pass: value === null ? null : value <= max });
  };
  const addedMs = (target: string, a: string, b: string, max: number, pick: (r: RowFigures) => number) => {
    const x = rows.get(a);
    const y = rows.get(b);
    const value = x && y ? pick(x) - pick(y) : null;
    out.push({
      target,
      compared: `${a} − ${b} (ms)`,
      value,
      bound: `≤ +${max} ms`,
      limit: max,
      unit: "ms",
      pass: value === null || !Number.isFinite(value) ? null : value <= max,
    });
  };
  const reported = (target: string, a: string, b: string) => {
    const x = rows.get(a);
    const y = rows.get(b);
    out.push({ target, compared: `${a} / ${b}`, value: x && y && y.rps > 0 ? x.rps / y.rps : null, bound: "reported", limit: null, unit: "×", pass: null });
  };
  const cpu = (r: RowFigures) => r.cpuPerReq;

  for (const [suffix, keys] of [
    ["", "keys off"],
    ["-keys", "keys on"],
  ] as const) {
    ratio(`REST whole req/s ≥ 0.5× bare proxy (${keys})`, `rest${suffix}`, "proxy", 0.5);
    ratio(`REST streamed (20 chunks) req/s ≥ 0.5× bare proxy (${keys})`, `rest-sse${suffix}`, "proxy-sse", 0.5);
    ratio(`REST streamed, 64 frames one per turn, req/s ≥ 0.8× bare proxy (${keys})`, `rest-sse64${suffix}`, "proxy-sse64", 0.8);
    ratio(`REST streamed, 64 frames in one write (burst), req/s ≥ 0.5× bare proxy (${keys})`, `rest-burst64${suffix}`, "proxy-burst64", 0.5);
    atMost(`gateway CPU/request, REST whole ≤ 2.5× bare proxy (${keys})`, `rest${suffix}`, "proxy", 2.5, cpu);
    atMost(`gateway CPU/request, REST streamed ≤ 2.5× bare proxy (${keys})`, `rest-sse${suffix}`, "proxy-sse", 2.5, cpu);
    addedMs(`added p50 at concurrency 1, REST whole ≤ 0.35 ms over direct (${keys})`, `rest${suffix}`, "direct", 0.35, (r) => r.s50);
    addedMs(`added p99 at concurrency 1, REST whole ≤ 1 ms over direct (${keys})`, `rest${suffix}`, "direct", 1, (r) => r.s99);
    // The tRPC rows run under the Node generator (wrk speaks no WebSocket) and the REST rows under
    // wrk, so their req/s measure the generators as much as the doors: the doors are compared by the
    // gateway's CPU per request, which does not depend on who caps the load. ≤ 1.25× CPU is ≥ 0.8×
    // the throughput on the same cores.
    atMost(`tRPC mutation, SDK default transport: gateway CPU/request ≤ 1.25× REST whole's (${keys})`, `trpc-sdk${suffix}`, `rest${suffix}`, 1.25, cpu);
    atMost(
      `tRPC stream, SDK default transport: gateway CPU/request ≤ 1.25× REST streamed's (${keys})`,
      `trpc-sdk-sse${suffix}`,
      `rest-sse${suffix}`,
      1.25,
      cpu,
    );
    reported(`tRPC mutation req/s vs REST whole, different load generators (${keys}, no target)`, `trpc-sdk${suffix}`, `rest${suffix}`);
    reported(`tRPC stream req/s vs REST streamed, different load generators (${keys}, no target)`, `trpc-sdk-sse${suffix}`, `rest-sse${suffix}`);
    addedMs(`tRPC stream TTFC at concurrency 1 ≤ REST's + 0.5 ms (${keys})`, `trpc-sdk-sse${suffix}`, `rest-sse${suffix}`, 0.5, (r) => r.sttfc50);
  }
  // "Raw" is the default transport without the SDK: tRPC's messages over one WebSocket.
  atMost("tRPC mutation, raw over the default transport (no client): gateway CPU/request ≤ 1.25× REST whole's", "trpc-raw-ws", "rest", 1.25, cpu);
  reported("tRPC mutation over raw HTTP (no target)", "trpc-raw", "rest");
  reported("tRPC mutation over tRPC's httpLink (no target)", "trpc-httplink", "rest");
  reported("tRPC start + subscribe over raw HTTP/SSE (no target)", "trpc-raw-sse", "rest-sse");
  reported("tRPC stream, generations shared through Redis vs in-memory (no target)", "trpc-redis-sse", "trpc-raw-sse");
  reported("tRPC stream started on A, followed on B through Redis vs in-memory (no target)", "trpc-redis-cross-sse", "trpc-raw-sse");
  ratio("keys on vs off, REST whole ≥ 0.9×", "rest-keys", "rest", 0.9);
  ratio("keys on vs off, REST streamed ≥ 0.9×", "rest-sse-keys", "rest-sse", 0.9);
  ratio("keys on vs off, REST streamed 64 chunks ≥ 0.9×", "rest-sse64-keys", "rest-sse64", 0.9);
  ratio("keys on vs off, REST streamed 64 chunks in one write ≥ 0.9×", "rest-burst64-keys", "rest-burst64", 0.9);
  reported("tRPC stream over the SDK, 64 frames in one write vs one per turn (no target)", "trpc-sdk-burst64", "trpc-sdk-sse64");
  reported("REST whole vs bare proxy under the Node load generator (no target: what the old bench said)", "rest-node", "proxy-node");
  ratio("keys on vs off, tRPC mutation ≥ 0.9×", "trpc-sdk-keys", "trpc-sdk", 0.9);
  ratio("keys on vs off, tRPC stream ≥ 0.9×", "trpc-sdk-sse-keys", "trpc-sdk-sse", 0.9);
  reported("Portkey (peer) whole req/s vs bare proxy (no target)", "peer", "proxy");
  reported("Portkey (peer) streamed req/s vs bare proxy (no target)", "peer-sse", "proxy-sse");
  reported("Languru REST whole vs Portkey (no target)", "rest", "peer");

  for (const door of ["rest", "trpc"] as const) {
    const m = memory.slow.find((r) => r.door === door);
    const label = door === "rest" ? "REST" : "tRPC";
    const perStream = m && m.completed === m.streams ? m.perStreamBytes / KIB : null;
    out.push({
      target: `RSS per open stream, ${m?.streams ?? 2000} slow concurrent streams, ${label} ≤ 40 KB`,
      compared: m ? `(open − baseline) / streams, KiB (${m.completed}/${m.streams} completed)` : "not run",
      value: m ? m.perStreamBytes / KIB : null,
      bound: "≤ 40 KiB",
      limit: 40,
      unit: "KiB",
      pass: perStream === null ? (m ? false : null) : perStream <= 40,
    });
    // RSS also moves with what the allocator kept from earlier phases; the V8 heap is what the streams hold.
    out.push({
      target: `V8 heap per open stream, ${label} (no target)`,
      compared: m ? "(open − baseline) heap in use / streams, KiB" : "not run",
      value: m ? (m.heapBytes[1] - m.heapBytes[0]) / m.streams / KIB : null,
      bound: "reported",
      limit: null,
      unit: "KiB",
      pass: null,
    });
    out.push({
      target: `RSS back within 10 % of baseline after the slow streams, ${label}`,
      compared: m ? "after / baseline" : "not run",
      value: m ? m.afterRatio : null,
      bound: "≤ 1.1×",
      limit: 1.1,
      unit: "×",
      pass: m ? m.afterRatio <= 1.1 : null,
    });
  }
  const soak = memory.soak;
  out.push({
    target: `RSS after ${soak?.requests ?? 100_000} mixed requests vs after a tenth of them ≤ 1.1×`,
    compared: soak ? "late / early" : "not run",
    value: soak ? soak.ratio : null,
    bound: "≤ 1.1×",
    limit: 1.1,
    unit: "×",
    pass: soak ? soak.ratio <= 1.1 && soak.errors === 0 : null,
  });
  return out;
}
