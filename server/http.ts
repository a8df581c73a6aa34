/**
 * The HTTP entry: one `node:http` server with CORS, the tRPC door under `/trpc` and the REST door
 * under `/v1` (and the unversioned paths). `createGateway` wires the services once.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import cors from "cors";
import { NotFoundError } from "../shared/index.js";
import { openAccess, type AccessRuntime } from "./access/index.js";
import { createGenerationStore } from "./chat/generations.js";
import { meterChat } from "./chat/metering.js";
import { createChatService } from "./chat/service.js";
import type { Config } from "./config.js";
import { createContextFactory, type Services } from "./context.js";
import { log } from "./log.js";
import { openReplication } from "./replication.js";
import { createRestHandler } from "./rest/handler.js";
import { sendError } from "./rest/respond.js";
import { appRouter } from "./routers/_app.js";

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

/** Builds the server and its services from a config; call `server.listen` (or `listen`) to start. */
export function createGateway(config: Config): Gateway {
  const redisUrl = config.access.redisUrl;
  const replication = redisUrl ? openReplication({ redisUrl, prefix: config.access.redisPrefix, graceMs: config.resumeGraceMs, log }) : null;
  const chat = createChatService(config, { sharedHealth: replication?.health });
  // Keys, limits and the ledger exist only with a master key; without one the gateway is open and pays nothing for them.
  const masterKey = config.access.masterKey;
  const accessRuntime: AccessRuntime | null = masterKey ? openAccess({ ...config.access, masterKey }, log) : null;
  const access = accessRuntime?.access ?? null;
  const served = access ? meterChat(chat, access) : chat;
  const services: Services = {
    chat: served,
    generations: createGenerationStore({ service: served, graceMs: config.resumeGraceMs, mirror: replication?.mirror }),
    access,
    admin: accessRuntime?.admin ?? null,
  };
  const rest = createRestHandler({ chat: served, access, bodyLimitBytes: config.bodyLimitBytes });
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext: createContextFactory(services),
    basePath: "/trpc/",
    maxBodySize: config.bodyLimitBytes,
  });
  const corsMiddleware = cors({ origin: process.env.LANGURU_CORS_ORIGIN ?? "*", maxAge: 600 });

  const server = createServer((req, res) => {
    corsMiddleware(req, res, () => {
      const path = req.url ?? "/";
      if (path === "/trpc" || path.startsWith("/trpc/")) return void trpc(req, res);
      void rest(req, res).then((handled) => {
        if (!handled) sendError(res, new NotFoundError(`Unknown path ${path.split("?")[0]}`, { code: "unknown_url" }));
      });
    });
  });
  // Streams can be long and quiet between tokens; the SSE pings and our own timeouts bound them instead.
  server.requestTimeout = 0;

  return {
    server,
    services,
    ready: () => Promise.all([chat.ready(), accessRuntime?.ready]).then(() => undefined),
    url() {
      const address = server.address() as AddressInfo;
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      return `http://${host}:${address.port}`;
    },
    async close(graceMs = config.shutdownGraceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A keep-alive connection turns idle when its in-flight response ends; close each as it does.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => {
        services.generations.close();
        server.closeAllConnections();
      }, graceMs);
      await closed;
      clearInterval(sweeper);
      clearTimeout(timer);
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
