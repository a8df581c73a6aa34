/**
 * The gateway's Prometheus metrics (prom-client), one registry per gateway. Request-level metrics
 * are derived from each finished request's facts; the rest are read at scrape time (gauges) or
 * counted by the routing hooks. Label values are bounded: a model label is a routable model's
 * name or `unknown`, never a name a client made up. They are also escaped (`labelValue`): a name
 * can come from an upstream's model list or a client's `provider/<model>` address, and prom-client
 * escapes only `\n`, `\` and `"`, so a CR, NUL or U+2028 would reach the exposition as it is.
 *
 * Counting never throws at its caller: a request's facts are counted in a response's `finish`
 * listener, where a throw (prom-client refuses a negative or non-numeric increment) would end the
 * process. Token counts that are not counts are not counted, and anything else is logged.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { WS_REFUSAL_REASONS, type WsRefusalReason } from "../doors/trpc/ws/refusals.js";
import { log } from "../log.js";
import type { RequestFacts } from "./request.js";

// Distinct values a client-influenced label (model, deployment) may take; the rest become `other`.
const MAX_LABEL_VALUES = 500;

/**
 * A label value every exposition reader keeps on one line: each character a line-oriented reader
 * may split a sample at, or that no reader shows (C0 and C1 controls such as CR and NUL, DEL, the
 * Unicode line and paragraph separators) is written as the text `\uXXXX` (prom-client then escapes
 * its backslash, and a parser reads the text back).
 */
export function labelValue(value: string): string {
  let at = 0;
  while (at < value.length && !unsafeInLabel(value.charCodeAt(at))) at++;
  if (at === value.length) return value;
  let out = value.slice(0, at);
  for (; at < value.length; at++) {
    const code = value.charCodeAt(at);
    out += unsafeInLabel(code) ? `\\u${code.toString(16).padStart(4, "0")}` : value[at];
  }
  return out;
}

function unsafeInLabel(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/** Caps the distinct values of one label: a client cycling names cannot grow the series forever. */
class BoundedLabel {
  private readonly seen = new Set<string>();

  /** The value (escaped) while under the cap (or already seen), else `other`. */
  of(raw: string): string {
    const value = labelValue(raw);
    if (this.seen.has(value)) return value;
    if (this.seen.size >= MAX_LABEL_VALUES) return "other";
    this.seen.add(value);
    return value;
  }
}

/** A number a counter may be increased by (finite, positive), else null. */
function increment(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : null;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const OVERHEAD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** What the scrape-time gauges read. */
export interface GaugeSources {
  /** Streams open now, by door. */
  streamsInFlight(): Record<string, number>;
  /** tRPC generations running now. */
  generationsInFlight(): number;
  /** Deployments and whether each is cooling down now. */
  deployments(): Array<{ id: string; cooling: boolean }>;
  /** 1 reachable, 0 not; null when not configured. */
  storeUp(): number | null;
  redisUp(): number | null;
}

/** The metrics of one gateway. */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly models = new BoundedLabel();
  private readonly deploymentLabels = new BoundedLabel();
  private readonly upstreamErrors: Counter<"deployment" | "kind">;
  private readonly cooldowns: Counter<"deployment">;
  private readonly requests: Counter<"door" | "model" | "status">;
  private readonly duration: Histogram<"door" | "model">;
  private readonly ttft: Histogram<"door" | "model">;
  private readonly overhead: Histogram<"door">;
  private readonly promptTokens: Counter<"model">;
  private readonly completionTokens: Counter<"model">;
  private readonly retries: Counter<"model">;
  private readonly fallbacks: Counter<"model">;
  private readonly wsRefusals: Counter<"reason">;

  constructor(sources: GaugeSources) {
    const registers = [this.registry];
    const deploymentLabels = this.deploymentLabels;
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: "languru_requests_total",
      help: "Requests served, by door, requested model (or unknown/none) and HTTP status",
      labelNames: ["door", "model", "status"],
      registers,
    });
    this.duration = new Histogram({
      name: "languru_request_duration_seconds",
      help: "Request latency, until the last byte (streams included)",
      labelNames: ["door", "model"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.ttft = new Histogram({
      name: "languru_time_to_first_token_seconds",
      help: "Streams: time from the request to the first chunk from the upstream",
      labelNames: ["door", "model"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.overhead = new Histogram({
      name: "languru_gateway_overhead_seconds",
      help: "Per chat request: total latency minus time waiting on upstreams (calls and retry backoffs)",
      labelNames: ["door"],
      buckets: OVERHEAD_BUCKETS,
      registers,
    });
    this.promptTokens = new Counter({ name: "languru_prompt_tokens_total", help: "Prompt tokens, by model", labelNames: ["model"], registers });
    this.completionTokens = new Counter({
      name: "languru_completion_tokens_total",
      help: "Completion tokens, by model",
      labelNames: ["model"],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: "languru_upstream_errors_total",
      help: "Failed upstream attempts, by deployment and kind (timeout, rate_limit, server_error, connection, client_error, context_window, other)",
      labelNames: ["deployment", "kind"],
      registers,
    });
    this.retries = new Counter({
      name: "languru_retries_total",
      help: "Upstream attempts beyond the first, by requested model",
      labelNames: ["model"],
      registers,
    });
    this.fallbacks = new Counter({
      name: "languru_fallbacks_total",
      help: "Requests answered by a fallback model, by requested model",
      labelNames: ["model"],
      registers,
    });
    this.cooldowns = new Counter({
      name: "languru_cooldowns_total",
      help: "Times a deployment was taken out of rotation after failures",
      labelNames: ["deployment"],
      registers,
    });
    this.wsRefusals = new Counter({
      name: "languru_ws_refusals_total",
      help: `WebSocket door: messages and calls refused and sockets cut, by reason (${WS_REFUSAL_REASONS.join(", ")})`,
      labelNames: ["reason"],
      registers,
    });
    // Every reason from the start: a rate over a series that appears only at its first refusal misses it.
    for (const reason of WS_REFUSAL_REASONS) this.wsRefusals.inc({ reason }, 0);
    new Gauge({
      name: "languru_streams_in_flight",
      help: "Streamed completions open now, by door",
      labelNames: ["door"],
      registers,
      collect() {
        this.reset();
        for (const [door, n] of Object.entries(sources.streamsInFlight())) this.set({ door }, n);
      },
    });
    new Gauge({
      name: "languru_generations_in_flight",
      help: "tRPC generations running now (followed or not)",
      registers,
      collect() {
        this.set(sources.generationsInFlight());
      },
    });
    new Gauge({
      name: "languru_deployment_cooling",
      help: "1 while a deployment is cooling down, else 0",
      labelNames: ["deployment"],
      registers,
      collect() {
        this.reset();
        for (const d of sources.deployments()) this.set({ deployment: deploymentLabels.of(d.id) }, d.cooling ? 1 : 0);
      },
    });
    for (const [name, read, what] of [
      ["languru_store_up", () => sources.storeUp(), "the key and usage store"],
      ["languru_redis_up", () => sources.redisUp(), "Redis"],
    ] as const) {
      // Absent, not 0, when not configured: 0 would page someone for a store that does not exist.
      if (read() === null) continue;
      new Gauge({
        name,
        help: `1 when ${what} answered the last check, 0 when not; absent when not configured`,
        registers,
        collect() {
          this.set(read() ?? 0);
        },
      });
    }
  }

  /** Counts a failed upstream attempt. */
  upstreamError(deployment: string, kind: string): void {
    this.upstreamErrors.inc({ deployment: this.deploymentLabels.of(deployment), kind: labelValue(kind) });
  }

  /** Counts a deployment entering cooldown. */
  cooldown(deployment: string): void {
    this.cooldowns.inc({ deployment: this.deploymentLabels.of(deployment) });
  }

  /** Counts a refusal of the WebSocket door (its reasons are a fixed set). */
  wsRefused(reason: WsRefusalReason): void {
    this.wsRefusals.inc({ reason });
  }

  /** Counts one finished request; never throws (see above). */
  observe(facts: RequestFacts): void {
    try {
      this.count(facts);
    } catch (err) {
      log.error({ err: { message: (err as Error).message }, requestId: facts.requestId }, "metrics: could not count a request");
    }
  }

  private count(facts: RequestFacts): void {
    const door = labelValue(facts.door);
    const model = this.models.of(facts.modelLabel);
    this.requests.inc({ door, model, status: String(facts.status) });
    this.duration.observe({ door, model }, facts.latencyMs / 1000);
    if (facts.ttftMs !== undefined) this.ttft.observe({ door, model }, facts.ttftMs / 1000);
    if (facts.overheadMs !== undefined) this.overhead.observe({ door }, facts.overheadMs / 1000);
    const prompt = increment(facts.promptTokens);
    if (prompt !== null) this.promptTokens.inc({ model }, prompt);
    const completion = increment(facts.completionTokens);
    if (completion !== null) this.completionTokens.inc({ model }, completion);
    const retries = increment((facts.attempts ?? 0) - 1);
    if (retries !== null) this.retries.inc({ model }, retries);
    if (facts.fallback) this.fallbacks.inc({ model });
  }
}
