/**
 * One request's observation: what the doors and the routing learn about it while it runs. The doors
 * hand it down with the call (`CallOptions.record`, the tRPC context), so the routing hooks add to
 * it directly. (AsyncLocalStorage would spare the parameters, but on Node 20 it hooks every promise
 * the process makes: 10-17 % of the REST door's CPU in the bench.) It ends once the response is over
 * and every stream it opened has ended (a tRPC `chat.start` answers at the first chunk, its
 * generation runs on); then it becomes one log line and metrics.
 */
import type { IncomingMessage } from "node:http";
import { LanguruError } from "../../shared/index.js";
import type { Caller } from "../access/index.js";
import { log } from "../log.js";
import type { GatewayMetrics } from "./metrics.js";
import { requestIdFrom } from "./request-id.js";

/** Which door a request came through. */
export type Door = "rest" | "trpc" | "anthropic" | "responses";

/** Everything one access-log line says. */
export interface RequestFacts {
  requestId: string;
  door: Door;
  method: string;
  /** REST path or tRPC procedure(s), never the query string. */
  path: string;
  status: number;
  latencyMs: number;
  /** The key's id, `master`, or absent with keys off. */
  keyId?: string;
  /** The model the client asked for. */
  model?: string;
  /** The public model that answered (a fallback's when one did). */
  answeredBy?: string;
  /** True when a fallback model answered instead of the requested one. */
  fallback?: boolean;
  /** The requested model as a bounded metric label (a routable model's canonical name, `unknown`, or `none`). */
  modelLabel: string;
  deployment?: string;
  attempts?: number;
  stream?: boolean;
  errorType?: string;
  errorCode?: string;
  ttftMs?: number;
  promptTokens?: number;
  completionTokens?: number;
  /** Time spent waiting on upstreams (calls and the backoffs between them). */
  upstreamMs?: number;
  /** Latency minus upstream time: what the gateway itself cost. */
  overheadMs?: number;
}

/** The facts a request's record collects while it runs (the rest the record knows itself). */
export type NotedFacts = Partial<
  Pick<
    RequestFacts,
    | "keyId"
    | "model"
    | "answeredBy"
    | "fallback"
    | "deployment"
    | "attempts"
    | "stream"
    | "errorType"
    | "errorCode"
    | "ttftMs"
    | "promptTokens"
    | "completionTokens"
  >
>;

/** What a record is opened with: an HTTP request, or one call on a WebSocket. */
export interface RequestSource {
  requestId: string;
  method: string;
  /** Never a query string. */
  path: string;
}

/** An HTTP request as a record's source. */
export function httpSource(req: IncomingMessage, door: Door): RequestSource {
  return { requestId: requestIdFrom(req.headers), method: req.method ?? "GET", path: pathOf(req.url ?? "/", door) };
}

/** The live record of one request. */
export class RequestRecord {
  readonly requestId: string;
  readonly door: Door;
  readonly method: string;
  readonly path: string;
  readonly startedAt = performance.now();
  /** What the doors and the routing learned so far (each field of the log line they fill in). */
  readonly noted: NotedFacts = {};
  modelLabel = "none";
  upstreamMs = 0;
  private status = 200;
  private holds = 1;
  private ended = false;

  constructor(
    source: RequestSource,
    door: Door,
    /** The gateway's metrics, for the routing hooks. */
    readonly metrics: GatewayMetrics,
    private readonly onEnd: (facts: RequestFacts) => void,
  ) {
    this.requestId = source.requestId;
    this.door = door;
    this.method = source.method;
    this.path = source.path;
  }

  /** Keeps the record open until the matching `release` (a stream outliving its response). */
  hold(): void {
    this.holds++;
  }

  /**
   * Ends one hold; the last one emits the record. It runs in a response's `finish` or `close`
   * listener, where a throw would end the process: a record that cannot be emitted is logged instead.
   */
  release(): void {
    if (this.ended || --this.holds > 0) return;
    this.ended = true;
    try {
      this.onEnd(this.facts());
    } catch (err) {
      log.error({ err: { message: (err as Error).message }, requestId: this.requestId }, "could not log or count a request");
    }
  }

  /** The response ended (sent, or cut when the client left: 499). */
  responseEnded(status: number): void {
    this.status = status;
    this.release();
  }

  /** Notes who called. */
  noteCaller(caller: Caller | undefined): void {
    if (caller) this.noted.keyId = caller.kind === "master" ? "master" : caller.key.id;
  }

  /** Notes an error the client got (the last one wins: it is what they saw). */
  noteError(err: unknown): void {
    if (err instanceof LanguruError) {
      this.noted.errorType = err.type;
      this.noted.errorCode = err.code ?? undefined;
    } else {
      this.noted.errorType = "api_error";
    }
  }

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  private facts(): RequestFacts {
    const latencyMs = round(this.elapsedMs());
    const upstream = this.upstreamMs > 0 ? { upstreamMs: round(this.upstreamMs), overheadMs: round(Math.max(0, latencyMs - this.upstreamMs)) } : {};
    return {
      requestId: this.requestId,
      door: this.door,
      method: this.method,
      path: this.path,
      status: this.status,
      latencyMs,
      modelLabel: this.modelLabel,
      ...defined({ ...this.noted, ttftMs: this.noted.ttftMs === undefined ? undefined : round(this.noted.ttftMs) }),
      ...upstream,
    };
  }
}

// The record of each HTTP request, for the tRPC adapter's createContext (it is handed the request
// only), rides on the request under a module-private symbol. Not a WeakMap: V8's young-generation
// collector keeps every entry of a long-lived WeakMap alive, key and value, until the next full
// collection, so each request and all it reached (headers, response, upstream exchange) survived
// the scavenges: ~10 KB promoted per request in the bench, scavenges of 2-7 ms instead of 0.2, and
// the p99 tail at concurrency 1. (`test/perf-gc.test.ts` holds the gateway to short scavenges.)
const RECORD = Symbol("languru.requestRecord");

type Tracked = IncomingMessage & { [RECORD]?: RequestRecord };

/** Remembers the record of an HTTP request. */
export function attachRecord(req: IncomingMessage, record: RequestRecord): void {
  (req as Tracked)[RECORD] = record;
}

/** The record of an HTTP request, if it is tracked. */
export function recordOf(req: IncomingMessage): RequestRecord | undefined {
  return (req as Tracked)[RECORD];
}

// Errors of WebSocket calls are shaped after their call left its record's async context.
const requestIdsOfErrors = new WeakMap<object, string>();

/** Remembers which request an error belongs to, for an error shaped outside that request's context. */
export function tagError(error: unknown, requestId: string): void {
  if (typeof error === "object" && error !== null) requestIdsOfErrors.set(error, requestId);
}

/** The request id for a tRPC error's `data`, noting the error on the request's record. */
export function requestIdForError(error: LanguruError, raw: object | undefined, record: RequestRecord | null | undefined): string | undefined {
  record?.noteError(error);
  return record?.requestId ?? (raw && requestIdsOfErrors.get(raw));
}

// The query string can carry anything (tRPC puts its input there); only the path is ever logged.
function pathOf(url: string, door: Door): string {
  const path = url.split("?")[0] ?? "/";
  if (door === "trpc") return path.replace(/^\/trpc\/?/, "").slice(0, 200) || "/";
  return path.slice(0, 200);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key in fields) if (fields[key] !== undefined) out[key] = fields[key];
  return out;
}
