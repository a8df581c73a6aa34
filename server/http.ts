/**
 * The HTTP entry: one `node:http` server with CORS, the tRPC door under `/trpc`, the Anthropic door
 * under `/v1/messages`, the Responses door under `/v1/responses` and the REST door under `/v1` (and
 * the unversioned paths). `createGateway` wires the services once.
 */
import { setMaxListeners } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { NotFoundError } from "../shared/index.js";
import { openAccess, type AccessRuntime } from "./access/index.js";
import { createGenerationStore } from "./chat/generations.js";
import { servePlayground } from "./playground.js";
import { meterChat } from "./chat/metering.js";
import { createChatService } from "./chat/service.js";
import { createStreamTickets } from "./chat/stream-tickets.js";
import { createAnthropicHandler, isAnthropicRequest, sendAnthropicError } from "./doors/anthropic/index.js";
import type { Config } from "./config.js";
import { createContextFactory, type Services } from "./doors/trpc/context.js";
import { log } from "./log.js";
import { createObservability } from "./observability/index.js";
import { openReplication } from "./replication.js";
import { DEFAULT_RESPONSES_SETTINGS, createResponseStore, createResponsesHandler, isResponsesPath, memoryResponseRecords } from "./doors/responses/index.js";
import { createBodyBudget, guardBody } from "./http-body/guard.js";
import { createCors } from "./lib/cors.js";
import { createRestHandler } from "./doors/openai/handler.js";
import { sendError } from "./doors/openai/respond.js";
import { appRouter } from "./doors/trpc/routers/_app.js";
import { attachWebSocketDoor } from "./doors/trpc/ws/door.js";

/** A running gateway. */
export interface Gateway {
  server: Server;
  services: Services;
  /** Resolves once model discovery had its first round and access control (if on) is ready. */
  ready(): Promise<void>;
  /** The base URL once listening, e.g. `http://127.0.0.1:8680`. */
  url(): string;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

// Browser code may read the headers that explain a refusal or a route.
const EXPOSED_HEADERS = [
  "retry-after",
  "retry-after-ms",
  "x-should-retry",
  ...["limit", "remaining", "reset"].flatMap((what) => [`x-ratelimit-${what}-requests`, `x-ratelimit-${what}-tokens`]),
  "x-languru-model",
  "x-languru-model-deployment",
  "x-languru-attempts",
  "x-request-id",
  "request-id",
  "x-upstream-request-id",
  "openai-processing-ms",
];
// How long, past the shutdown grace, streams get to write their final error before connections are cut.
const ERROR_FRAME_MS = 250;

/** Builds the server and its services from a config; call `server.listen` (or `listen`) to start. */
export function createGateway(config: Config): Gateway {
  const redisUrl = config.access.redisUrl;
  const replication = redisUrl ? openReplication({ redisUrl, prefix: config.access.redisPrefix, graceMs: config.resumeGraceMs, log }) : null;
  const chat = createChatService(config, { sharedHealth: replication?.health });
  // Keys, limits and the ledger exist only with a master key; without one the gateway is open and pays nothing for them.
  const masterKey = config.access.masterKey;
  const accessRuntime: AccessRuntime | null = masterKey ? openAccess({ ...config.access, masterKey }, log) : null;
  // Observability: request ids, access log, metrics, probes (server/observability).
  const ops = createObservability({
    config,
    access: accessRuntime?.access ?? null,
    generationsInFlight: () => services.generations.running(),
    readiness: { pingStore: accessRuntime?.health.store, redisUp: () => accessRuntime?.health.redis() ?? null },
  });
  const access = accessRuntime?.access ?? null;
  const observed = ops.observeChat(chat);
  const served = access ? ops.observeAdmission(meterChat(observed, access)) : observed;
  const services: Services = {
    chat: served,
    generations: createGenerationStore({ service: served, graceMs: config.resumeGraceMs, bufferBytes: config.resumeBufferBytes, mirror: replication?.mirror }),
    // Follow tokens any replica can check: an HMAC of the generation id and its owner.
    tickets: createStreamTickets({ masterKey: config.access.masterKey }),
    trackCall: ops.trackCall,
    access,
    admin: accessRuntime?.admin ?? null,
  };
  // Aborted when the shutdown grace is over: REST streams still running end with an error frame.
  const shutdown = new AbortController();
  // One listener per HTTP door (doors/abort-on-leave.ts fans out to its calls), and the tRPC streams'.
  setMaxListeners(0, shutdown.signal);
  const rest = createRestHandler({ chat: served, access, bodyLimitBytes: config.bodyLimitBytes, shutdown: shutdown.signal });
  const anthropic = createAnthropicHandler({ chat: served, access, bodyLimitBytes: config.bodyLimitBytes, shutdown: shutdown.signal });
  // Stored responses: in the store with keys on, in this replica's memory (bounded) with keys off.
  const responsesSettings = config.responses ?? DEFAULT_RESPONSES_SETTINGS;
  const responseRecords = accessRuntime?.responses ?? memoryResponseRecords({ entries: responsesSettings.memoryEntries, bytes: responsesSettings.memoryBytes });
  const responses = createResponsesHandler({
    chat: served,
    access,
    bodyLimitBytes: config.bodyLimitBytes,
    shutdown: shutdown.signal,
    store: createResponseStore(responseRecords, responsesSettings),
  });
  const contexts = createContextFactory(services);
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext: contexts.http,
    basePath: "/trpc/",
    maxBodySize: config.bodyLimitBytes,
    // The SDK never batches; a batch would turn one request into any number of lookups or completions.
    allowBatching: false,
  });
  const corsOrigin = config.corsOrigin;
  const corsMiddleware = createCors({
    origin: corsOrigin,
    maxAgeSeconds: 600,
    methods: ["GET", "POST", "DELETE", "HEAD", "OPTIONS"],
    exposedHeaders: EXPOSED_HEADERS,
  });
  const bodyTimeouts = config.body ?? { timeoutMs: 60_000, minBytesPerSecond: 1_024 };
  const bodyBudget = createBodyBudget(config.bodyLimitBytes, config.bodyBytesInFlight);

  const server = createServer((req, res) => {
    const refused = guardBody(req, res, bodyTimeouts, bodyBudget);
    corsMiddleware(req, res, () => {
      const path = req.url ?? "/";
      if (refused && isAnthropicRequest(req)) return ops.track(req, res, "anthropic", (record) => sendAnthropicError(res, refused, record));
      if (refused) return ops.track(req, res, "rest", (record) => sendError(res, refused, record));
      if (ops.serveOps(req, res)) return;
      if (isAnthropicRequest(req)) return ops.track(req, res, "anthropic", (record) => void anthropic(req, res, record));
      // tRPC's createContext finds the record by the request (recordOf).
      if (path === "/trpc" || path.startsWith("/trpc/")) return ops.track(req, res, "trpc", () => void trpc(req, res));
      if (servePlayground(req, res)) return;
      if (isResponsesPath(path)) return ops.track(req, res, "responses", (record) => void responses(req, res, record));
      ops.track(req, res, "rest", (record) => {
        void rest(req, res, record).then((handled) => {
          if (!handled) sendError(res, new NotFoundError(`Unknown path ${path.split("?")[0]}`, { code: "unknown_url" }), record);
        });
      });
    });
  });
  const sockets = attachWebSocketDoor({
    server,
    router: appRouter,
    createContext: contexts.ws,
    maxPayloadBytes: config.bodyLimitBytes,
    origin: corsOrigin,
    limits: config.webSocket,
    refused: (reason) => ops.metrics.wsRefused(reason),
  });
  // Streams can be long and quiet between tokens; the SSE pings and our own timeouts bound them instead.
  server.requestTimeout = 0;

  return {
    server,
    services,
    ready: () => Promise.all([chat.ready(), accessRuntime?.ready, replication?.ready]).then(() => ops.started()),
    url() {
      const address = server.address() as AddressInfo;
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      return `http://${host}:${address.port}`;
    },
    async close(graceMs = config.shutdownGraceMs) {
      ops.shuttingDown();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      sockets.drain();
      // A keep-alive connection turns idle when its in-flight response ends; close each as it does.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      // Past the grace, streams get an error frame (REST) or event (tRPC) first; the cut follows shortly after.
      let cut: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        shutdown.abort();
        services.generations.close();
        cut = setTimeout(() => {
          server.closeAllConnections();
          sockets.terminate();
        }, ERROR_FRAME_MS);
      }, graceMs);
      await closed;
      clearInterval(sweeper);
      clearTimeout(timer);
      clearTimeout(cut);
      services.generations.close();
      await chat.close();
      await replication?.close();
      // Last: the ledger's final flush includes the requests that just finished.
      await accessRuntime?.close();
    },
  };
}

/** Creates and starts a gateway; resolves once it listens (after the first model discovery). */
export async function listen(config: Config): Promise<Gateway> {
  const gateway = createGateway(config);
  await gateway.ready();
  await new Promise<void>((resolve, reject) => {
    gateway.server.once("error", reject);
    gateway.server.listen(config.port, config.host, () => resolve());
  });
  return gateway;
}
