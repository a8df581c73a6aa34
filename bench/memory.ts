/**
 * The bench's memory rows: the gateway's RSS per open stream while many slow streams are open
 * (REST and tRPC), whether it comes back after them, and whether it grows over a long mixed run.
 * RSS is read by the gateway process itself after a full GC (it is forked with --expose-gc).
 */
import { performance } from "node:perf_hooks";
import { EventSource } from "eventsource";
import { WebSocket } from "ws";
import { createLanguruClient } from "../client/index.js";
import { http, keepAliveAgent, runLoad, sseParser, type Task } from "./load.js";
import type { ServerProcess } from "./servers.js";
import { REQUEST } from "./workloads.js";

/** What one slow-streams row measured. */
export interface SlowStreamsResult {
  door: "rest" | "trpc";
  streams: number;
  completed: number;
  baselineBytes: number;
  /** RSS while every stream was open (after each had its first chunk). */
  openBytes: number;
  /** RSS once the streams ended and the gateway let go of them (tRPC: past the resume grace). */
  afterBytes: number;
  perStreamBytes: number;
  /** V8 heap in use after GC: baseline, open, after. */
  heapBytes: [number, number, number];
  /** After / baseline. */
  afterRatio: number;
  firstError: string | null;
}

/** Options of `slowStreams`. */
export interface SlowStreamsOptions {
  gateway: ServerProcess;
  door: "rest" | "trpc";
  streams: number;
  /** Pause between the upstream's frames: the streams stay open ~22 × this. */
  frameDelayMs: number;
  timeoutMs: number;
}

/** The gateway's default `LANGURU_RESUME_GRACE_MS`, which the bench's gateways keep. */
const RESUME_GRACE_MS = 10_000;

// Under the gateway's per-socket cap on calls in flight (1,024 by default).
const STREAMS_PER_SOCKET = 500;

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens `streams` slow streams at once through one door and reads the gateway's RSS before, during and after. */
export async function slowStreams(o: SlowStreamsOptions): Promise<SlowStreamsResult> {
  const baseline = await o.gateway.stats(true);
  const baselineBytes = baseline.rssBytes;
  // REST forwards unknown fields; the typed client takes provider extras in `extra_body`.
  const restBody = { ...REQUEST, stream: true, bench_delay_ms: o.frameDelayMs };
  const body = { ...REQUEST, stream: true, extra_body: { bench_delay_ms: o.frameDelayMs } };
  let started = 0;
  let completed = 0;
  let firstError: string | null = null;
  let allStarted: () => void = () => undefined;
  const everyStarted = new Promise<void>((resolve) => {
    allStarted = resolve;
  });
  const onFirst = () => {
    if (++started === o.streams) allStarted();
  };
  const fail = (err: unknown) => {
    firstError ??= err instanceof Error ? err.message : String(err);
    onFirst();
  };
  const agent = keepAliveAgent(o.streams);
  // The SDK default transport: one WebSocket per client, carrying its streams. The gateway lets one
  // socket carry at most 1,024 calls at once (LANGURU_WS_CALLS_IN_FLIGHT), so the streams are
  // spread over as many clients as that takes, as separate tabs or processes would be.
  const clients = Array.from({ length: Math.ceil(o.streams / STREAMS_PER_SOCKET) }, () =>
    createLanguruClient({ url: o.gateway.url, WebSocket, EventSource: EventSource as unknown as typeof globalThis.EventSource }),
  );
  let next = 0;
  const one = async () => {
    let first = true;
    const firstChunk = () => {
      if (first) onFirst();
      first = false;
    };
    try {
      if (o.door === "rest") {
        const onData = sseParser(() => firstChunk());
        const url = new URL("/v1/chat/completions", o.gateway.url);
        const res = await http({ agent, url, method: "POST", body: JSON.stringify(restBody), timeoutMs: o.timeoutMs, onData });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      } else {
        const client = clients[next++ % clients.length]!;
        for await (const _chunk of client.chat.stream(body, { signal: AbortSignal.timeout(o.timeoutMs) })) firstChunk();
      }
      completed++;
    } catch (err) {
      if (first) fail(err);
      else firstError ??= err instanceof Error ? err.message : String(err);
    }
  };
  const runs = Array.from({ length: o.streams }, one);
  await Promise.race([everyStarted, settle(o.timeoutMs)]);
  const open = await o.gateway.stats(true);
  const openBytes = open.rssBytes;
  await Promise.all(runs);
  agent.destroy();
  await Promise.all(clients.map((c) => c.close()));
  // A finished tRPC generation is kept for the resume grace on purpose (a late resume gets its tail):
  // "after" is once the gateway let go of everything it holds for the streams.
  await settle(o.door === "trpc" ? RESUME_GRACE_MS + 500 : 500);
  const after = await o.gateway.stats(true);
  const afterBytes = after.rssBytes;
  return {
    door: o.door,
    streams: o.streams,
    completed,
    baselineBytes,
    openBytes,
    afterBytes,
    perStreamBytes: (openBytes - baselineBytes) / o.streams,
    afterRatio: afterBytes / baselineBytes,
    heapBytes: [baseline.heapUsedBytes, open.heapUsedBytes, after.heapUsedBytes],
    firstError,
  };
}

/** What the long mixed run measured. */
export interface SoakResult {
  requests: number;
  errors: number;
  /** RSS after the first tenth of the requests, and after all of them. */
  earlyBytes: number;
  lateBytes: number;
  ratio: number;
  /** V8 heap in use after GC, early and late: growth here is reachable memory, a leak. */
  earlyHeapBytes: number;
  lateHeapBytes: number;
  seconds: number;
  firstError: string | null;
}

/** Options of `soak`. */
export interface SoakOptions {
  gateway: ServerProcess;
  /** The key for the keys-on gateway, or null. */
  apiKey: string | null;
  requests: number;
  concurrency: number;
  timeoutMs: number;
}

/** Sends `requests` mixed requests (REST whole, REST streamed, tRPC mutation); RSS after a tenth of them and after all. */
export async function soak(o: SoakOptions): Promise<SoakResult> {
  const agent = keepAliveAgent(o.concurrency);
  const headers: Record<string, string> = o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {};
  const rest = new URL("/v1/chat/completions", o.gateway.url);
  const trpc = new URL("/trpc/chat.completions", o.gateway.url);
  const bodies = [JSON.stringify(REQUEST), JSON.stringify({ ...REQUEST, stream: true })];
  const trpcBody = JSON.stringify({ json: REQUEST });
  let n = 0;
  const task: Task = async () => {
    const which = n++ % 3;
    const res =
      which === 2
        ? await http({ agent, url: trpc, method: "POST", body: trpcBody, headers, timeoutMs: o.timeoutMs })
        : await http({
            agent,
            url: rest,
            method: "POST",
            body: bodies[which],
            headers,
            timeoutMs: o.timeoutMs,
            onData: which === 1 ? () => undefined : undefined,
          });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
    return { firstChunkAt: null };
  };
  const started = performance.now();
  const early = await runLoad({ concurrency: o.concurrency, durationMs: 3_600_000, maxRequests: Math.round(o.requests / 10), task });
  const early1 = await o.gateway.stats(true);
  const late = await runLoad({ concurrency: o.concurrency, durationMs: 3_600_000, maxRequests: o.requests - Math.round(o.requests / 10), task });
  const late1 = await o.gateway.stats(true);
  agent.destroy();
  return {
    requests: early.completed + late.completed,
    errors: early.errors + late.errors,
    earlyBytes: early1.rssBytes,
    lateBytes: late1.rssBytes,
    ratio: late1.rssBytes / early1.rssBytes,
    earlyHeapBytes: early1.heapUsedBytes,
    lateHeapBytes: late1.heapUsedBytes,
    seconds: (performance.now() - started) / 1000,
    firstError: early.firstError ?? late.firstError,
  };
}
