/**
 * Operability for one gateway: request ids and one access-log line per request, Prometheus
 * metrics at `/metrics`, and the `/health` and `/ready` probes. `http.ts` wires it in three places:
 * the chat service is wrapped, `serveOps` answers the operations paths, and `track` opens every
 * other request's record and hands it to the door, which passes it down with the call.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AuthenticationError, PermissionDeniedError } from "../../shared/index.js";
import { keyFromHeaders, type Access } from "../access/index.js";
import type { ChatService } from "../chat/service.js";
import type { Config } from "../config.js";
import { log } from "../log.js";
import { sendError } from "../doors/openai/respond.js";
import { ModelLabels, observeAdmission, observeChat, type StreamCounts } from "./chat.js";
import { GatewayMetrics } from "./metrics.js";
import { createReadiness, sendHealth, sendReady, type ReadinessSources } from "./probes.js";
import { attachRecord, type Door, httpSource, type RequestFacts, RequestRecord } from "./request.js";
import { trackSocketCall, type SocketCall } from "./socket-calls.js";

export { recordOf, requestIdForError, type RequestRecord } from "./request.js";
export { cooldownStarted, timeUpstream, upstreamFailed } from "./hooks.js";

/** Tracks one WebSocket call: `next` runs it with its record; a subscription's stream is followed until it ends. */
export type SocketCallTracker = <R extends { ok: boolean }>(call: SocketCall, next: (record: RequestRecord) => Promise<R>) => Promise<R>;

/** What observability reads from the gateway. */
export interface ObservabilityOptions {
  config: Config;
  /** Null with keys off. */
  access: Access | null;
  /** tRPC generations running now. */
  generationsInFlight(): number;
  readiness: Omit<ReadinessSources, "started" | "shuttingDown">;
}

/** The gateway's observability. */
export interface Observability {
  /** The chat service, observed (wrap it innermost: it sees the upstream's usage chunks). */
  observeChat(chat: ChatService): ChatService;
  /** The metered chat service, observed from outside (admission failures name their model). */
  observeAdmission(chat: ChatService): ChatService;
  /** Answers `/health`, `/ready` and `/metrics`; false for any other path. */
  serveOps(req: IncomingMessage, res: ServerResponse): boolean;
  /** Opens a request's record and runs its handler with it; logs and counts it when it ends. */
  track(req: IncomingMessage, res: ServerResponse, door: Door, handle: (record: RequestRecord) => void): void;
  /** Runs one tRPC call that came over a WebSocket as a request of its own (no HTTP request carries it). */
  trackCall: SocketCallTracker;
  started(): void;
  shuttingDown(): void;
  metrics: GatewayMetrics;
}

/** Creates the observability of one gateway. */
export function createObservability(options: ObservabilityOptions): Observability {
  const streams: StreamCounts = {};
  let labels: ModelLabels | undefined;
  let chat: ChatService | null = null;
  let started = false;
  let stopping = false;
  const readiness = createReadiness({ ...options.readiness, started: () => started, shuttingDown: () => stopping });
  const metrics = new GatewayMetrics({
    streamsInFlight: () => streams,
    generationsInFlight: options.generationsInFlight,
    deployments: () => (chat?.deployments() ?? []).map((d) => ({ id: d.id, cooling: d.state === "cooling" })),
    storeUp: readiness.storeUp,
    redisUp: () => {
      const up = options.readiness.redisUp();
      return up === null ? null : up ? 1 : 0;
    },
  });
  const metricsToken = options.config.observability.metricsToken;

  const logAndCount = (facts: RequestFacts) => {
    metrics.observe(facts);
    const { modelLabel: _label, ...fields } = facts;
    if (facts.status >= 500) log.warn(fields, "request");
    else log.info(fields, "request");
  };

  const serveMetrics = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      authorizeMetrics(keyFromHeaders(req.headers), options.access, metricsToken);
      // Refreshes the store gauge (cached and shared with the probe).
      await readiness.check();
      const body = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" });
      res.end(body);
    } catch (err) {
      sendError(res, err);
    }
  };

  return {
    metrics,
    observeChat(inner) {
      // The cooling gauge reads the deployments of the service observed.
      chat = inner;
      labels = new ModelLabels(options.config, () => inner.models());
      return observeChat(inner, labels, streams);
    },
    observeAdmission: (outer) => observeAdmission(outer, labels ?? new ModelLabels(options.config, () => outer.models())),
    serveOps(req, res) {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      if (path === "/health") sendHealth(res);
      else if (path === "/ready") void sendReady(res, readiness);
      else if (path === "/metrics") void serveMetrics(req, res);
      else return false;
      return true;
    },
    track(req, res, door, handle) {
      const record = new RequestRecord(httpSource(req, door), door, metrics, logAndCount);
      res.setHeader("x-request-id", record.requestId);
      // On "finish" (all handed to the OS), so a client that read the response finds it counted; "close" alone is a client that left.
      let ended = false;
      const responseEnded = (status: number) => {
        if (ended) return;
        ended = true;
        record.responseEnded(status);
      };
      res.once("finish", () => responseEnded(res.statusCode));
      res.once("close", () => responseEnded(res.writableFinished ? res.statusCode : 499));
      attachRecord(req, record);
      handle(record);
    },
    trackCall: (call, next) => trackSocketCall(call, next, (source) => new RequestRecord(source, "trpc", metrics, logAndCount)),
    started() {
      started = true;
    },
    shuttingDown() {
      stopping = true;
    },
  };
}

/**
 * `/metrics` with keys on needs the master key or the metrics token; an app key is refused (403).
 * With keys off it is open unless a metrics token is set.
 */
function authorizeMetrics(token: string | null, access: Access | null, metricsToken: string | null): void {
  if (!access && !metricsToken) return;
  if (token && metricsToken && sameSecret(token, metricsToken)) return;
  if (token && access?.isMaster(token)) return;
  if (!token) throw new AuthenticationError("Metrics need the master key or the metrics token.", { type: "invalid_request_error" });
  throw new PermissionDeniedError("Metrics need the master key or the metrics token, not an API key.");
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
