/**
 * Entry of a forked bench server: `child.ts <role> [upstreamURL]`. It starts one server, reports
 * its URL over IPC, answers stats requests (accepted connections, CPU time) and exits on `close`
 * or when the runner goes away, so no server outlives the bench.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { loadConfig, type Config } from "../server/config.js";
import { listen } from "../server/http.js";
import { isParentMessage, type ChildMessage, type Role } from "./protocol.js";
import { startProxy } from "./proxy.js";
import { BURST_MODEL, startUpstream } from "./upstream.js";

/**
 * The gateway's config, through the same path a deployment uses (a `LANGURU_CONFIG` file read by
 * `loadConfig`), so defaults the config grows stay in effect: the fake upstream as models `bench`
 * and `bench-burst` (whose streams arrive in one write).
 */
function gatewayConfig(upstream: URL, keys: boolean, redis: boolean): Config {
  const dir = mkdtempSync(join(tmpdir(), "languru-bench-"));
  const path = join(dir, "config.json");
  const provider = {
    name: "fake",
    kind: "openai-compatible",
    baseURL: new URL("/v1", upstream).toString(),
    apiKeyEnv: "BENCH_UPSTREAM_KEY",
    models: ["bench", BURST_MODEL],
  };
  writeFileSync(path, JSON.stringify({ providers: [provider] }));
  // Kept until exit: the gateway may read its config file again (reload).
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const access = keys ? { LANGURU_MASTER_KEY: MASTER_KEY, LANGURU_DB: join(dir, "ledger.db") } : {};
  // Replicas sharing generations through Redis (the runner gives both the same prefix).
  const replicas = redis ? { REDIS_URL: process.env.REDIS_URL ?? "", LANGURU_REDIS_PREFIX: process.env.BENCH_REDIS_PREFIX ?? "languru-bench" } : {};
  return loadConfig({ LANGURU_CONFIG: path, BENCH_UPSTREAM_KEY: "sk-bench-not-a-key", PORT: "0", HOST: "127.0.0.1", ...access, ...replicas });
}

const MASTER_KEY = "sk-languru-bench-master-key-0123456789";

async function start(role: Role, upstream: string | undefined): Promise<{ server: Server; close: () => Promise<void>; key?: string }> {
  if (role === "upstream") {
    const server = await startUpstream();
    return { server, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  if (!upstream) throw new Error(`${role} needs the upstream URL`);
  if (role === "proxy") {
    const server = await startProxy(new URL(upstream));
    return { server, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  const keys = role === "gateway-keys";
  const gateway = await listen(gatewayConfig(new URL(upstream), keys, role === "gateway-redis"));
  // Keys on: a key with limits far above the bench's rate, so that every limit is checked and none bites.
  const made = keys
    ? await gateway.services.admin?.createKey({
        name: "bench",
        models: null,
        rpm: 100_000_000,
        tpm: 1_000_000_000_000,
        budgetTokens: null,
        budgetUsd: null,
        expiresAt: null,
      })
    : undefined;
  return { server: gateway.server, close: () => gateway.close(200), key: made?.key };
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const role = process.argv[2];
  if (role !== "upstream" && role !== "proxy" && role !== "gateway" && role !== "gateway-keys" && role !== "gateway-redis")
    throw new Error(`unknown role '${role ?? ""}'`);
  const { server, close, key } = await start(role, process.argv[3]);
  let connections = 0;
  server.on("connection", () => connections++);
  const stop = () => {
    server.closeAllConnections();
    // A bounded exit: closing waits for nothing longer than a second.
    setTimeout(() => process.exit(0), 1_000).unref();
    void close().then(() => process.exit(0));
  };
  const reply = () => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    send({
      type: "stats",
      connections,
      cpuMs: (cpu.user + cpu.system) / 1000,
      systemMs: cpu.system / 1000,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
    });
  };
  process.on("message", (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.type === "close") return stop();
    if (!message.gc) return reply();
    // Forked with --expose-gc: full collections, so that RSS shows what is still held. Freed buffers'
    // memory goes back on V8's background threads after a collection, so the second one comes later.
    globalThis.gc?.();
    setTimeout(() => {
      globalThis.gc?.();
      reply();
    }, 250);
  });
  process.on("disconnect", stop);
  const address = server.address() as AddressInfo;
  send({ type: "ready", url: `http://127.0.0.1:${address.port}`, key });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
