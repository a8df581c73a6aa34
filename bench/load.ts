/**
 * The load generator: a fixed number of workers each run one request after another until a deadline
 * (or a request cap), recording latency and time to first chunk. Plus the small `node:http`
 * clients the workloads use, over a keep-alive agent.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

/** What one request reports back: when its first content chunk arrived (performance.now), if streamed. */
export interface TaskResult {
  firstChunkAt: number | null;
}

/** One request of a workload; throws when the answer is wrong. */
export type Task = () => Promise<TaskResult>;

/** Options of one load run. */
export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  /** A hard cap on requests, whatever the duration. */
  maxRequests: number;
  task: Task;
}

/** What a load run measured. */
export interface LoadResult {
  completed: number;
  errors: number;
  firstError: string | null;
  elapsedMs: number;
  /** Per completed request, in ms. */
  latencies: number[];
  /** Per completed streamed request, in ms from its start. */
  ttfc: number[];
}

/** Stop a run early once this many requests failed: something is broken, not slow. */
const MAX_ERRORS = 200;

/** Runs `task` from `concurrency` workers until `durationMs` passed or `maxRequests` started. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { completed: 0, errors: 0, firstError: null, elapsedMs: 0, latencies: [], ttfc: [] };
  const startedAt = performance.now();
  const deadline = startedAt + options.durationMs;
  let started = 0;
  const worker = async () => {
    while (performance.now() < deadline && started < options.maxRequests && result.errors < MAX_ERRORS) {
      started++;
      const t0 = performance.now();
      try {
        const { firstChunkAt } = await options.task();
        const t1 = performance.now();
        result.completed++;
        result.latencies.push(t1 - t0);
        if (firstChunkAt !== null) result.ttfc.push(firstChunkAt - t0);
      } catch (err) {
        result.errors++;
        result.firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  result.elapsedMs = performance.now() - startedAt;
  return result;
}

/** A keep-alive agent sized for the load's concurrency. */
export function keepAliveAgent(concurrency: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
}

/** Options of one raw HTTP request. */
export interface HttpOptions {
  agent: Agent;
  url: URL;
  method: "GET" | "POST";
  body?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Called for each body piece as it arrives (stream parsing). */
  onData?: (text: string) => void;
}

/** One raw HTTP request; resolves with the status and, unless `onData` consumes it, the body. */
export function http(options: HttpOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(options.body);
    }
    const req = request(
      {
        host: options.url.hostname,
        port: options.url.port,
        path: options.url.pathname + options.url.search,
        method: options.method,
        headers,
        agent: options.agent,
      },
      (res) => {
        res.setEncoding("utf8");
        let body = "";
        res.on("data", (text: string) => {
          if (!options.onData) {
            body += text;
            return;
          }
          try {
            options.onData(text);
          } catch (err) {
            // A malformed stream fails this request, not the process.
            req.destroy();
            reject(err);
          }
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

/** A minimal SSE parser: feed it text, it calls `onEvent` per complete event. */
export function sseParser(onEvent: (event: SseEvent) => void): (text: string) => void {
  let buffer = "";
  return (text) => {
    buffer += text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: SseEvent = { event: "message", data: "", id: null };
      const data: string[] = [];
      for (const line of block.split("\n")) {
        const colon = line.indexOf(":");
        if (colon === 0) continue;
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") data.push(value);
        else if (field === "event") event.event = value;
        else if (field === "id") event.id = value;
      }
      if (data.length > 0 || event.event !== "message") {
        event.data = data.join("\n");
        onEvent(event);
      }
      end = buffer.indexOf("\n\n");
    }
  };
}
