/**
 * `/health` and `/ready` over real sockets: liveness never touches the store; readiness turns 503
 * while PostgreSQL or Redis (each behind a TCP proxy the test cuts) is unreachable, and 200 again
 * once it is back; a gateway that is shutting down is not ready.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReadiness } from "../server/observability/probes.js";
import { startKeyedGateway } from "./helpers/access.js";
import { startGateway, type TestGateway } from "./helpers/gateway.js";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy.js";

const DATABASE_URL = process.env.DATABASE_URL;
const REDIS_URL = process.env.REDIS_URL;
if (!DATABASE_URL || !REDIS_URL) console.warn("DATABASE_URL or REDIS_URL is not set: the readiness outage suite is SKIPPED");

async function probe(gateway: TestGateway, path: "/health" | "/ready") {
  const res = await fetch(`${gateway.baseURL}${path}`);
  return { status: res.status, body: (await res.json()) as { status: string; checks?: Record<string, string> } };
}

describe("probes without a store", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close(100));

  it("answers /health and /ready with 200, and neither is an access-logged or counted request", async () => {
    expect(await probe(gateway, "/health")).toEqual({ status: 200, body: { status: "ok" } });
    const ready = await probe(gateway, "/ready");
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ started: "ok", shutdown: "ok", store: "not configured", redis: "not configured" });
    const metrics = await (await fetch(`${gateway.baseURL}/metrics`)).text();
    expect(metrics).not.toContain('languru_requests_total{door="rest"');
  });

  it("never answers /ready with 200 once shutdown began, even on a kept-alive connection", async () => {
    const own = await startGateway({ shutdownGraceMs: 2_000 });
    // A slow stream keeps the server in its grace period.
    const streaming = fetch(`${own.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "echo", stream: true, echo_delay_ms: 200, messages: [{ role: "user", content: "a b c d e" }] }),
    }).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 100));
    const url = new URL(own.baseURL);
    const agent = new (await import("node:http")).Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: "/ready", agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end();
      });
    expect(await get()).toBe(200);
    // Start closing and ask on the same connection before it is swept as idle.
    const closing = own.close();
    const status = await get().catch(() => "connection closed");
    // Either the probe saw 503, or the connection was already closed: a load balancer stops sending either way.
    // Idle keep-alive connections are closed at once and the listener is gone, so a load balancer
    // sees a failed probe; the connection never gets a 200 again.
    expect(status).not.toBe(200);
    await streaming;
    await closing;
    agent.destroy();
  });
});

describe("readiness checks", () => {
  it("reports shutting down and an unreachable store, caching one store round trip for concurrent probes", async () => {
    let stopping = false;
    let pings = 0;
    let storeUp = true;
    const readiness = createReadiness({
      started: () => true,
      shuttingDown: () => stopping,
      pingStore: async () => {
        pings++;
        if (!storeUp) throw new Error("down");
      },
      redisUp: () => null,
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => readiness.check()));
    expect(results.every((r) => r.ready)).toBe(true);
    expect(pings).toBe(1);
    stopping = true;
    expect(await readiness.check()).toMatchObject({ ready: false, checks: { shutdown: "shutting down" } });
    stopping = false;
    storeUp = false;
    await new Promise((r) => setTimeout(r, 300));
    expect(await readiness.check()).toMatchObject({ ready: false, checks: { store: "unreachable" } });
    expect(readiness.storeUp()).toBe(0);
  });
});

describe.skipIf(!DATABASE_URL || !REDIS_URL)("readiness with PostgreSQL and Redis", () => {
  const schema = `languru_ready_${randomBytes(6).toString("hex")}`;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let gateway: TestGateway;
  beforeAll(async () => {
    const db = new URL(DATABASE_URL!);
    const redis = new URL(REDIS_URL!);
    pgProxy = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
    redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    db.host = `127.0.0.1:${pgProxy.port}`;
    redis.host = `127.0.0.1:${redisProxy.port}`;
    gateway = await startKeyedGateway({ databaseUrl: db.toString(), schema, redisUrl: redis.toString(), redisPrefix: `ready-${schema}` });
  });
  afterAll(async () => {
    await gateway?.close(100);
    await pgProxy?.close();
    await redisProxy?.close();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it("turns 503 while the store is cut, and 200 once it is back; /health stays 200 throughout", async () => {
    expect((await probe(gateway, "/ready")).status).toBe(200);
    pgProxy.cut();
    await expect.poll(async () => (await probe(gateway, "/ready")).status, { timeout: 10_000 }).toBe(503);
    const down = await probe(gateway, "/ready");
    expect(down.body).toMatchObject({ status: "not ready", checks: { store: "unreachable", redis: "ok" } });
    expect((await probe(gateway, "/health")).status).toBe(200);

    pgProxy.restore();
    await expect.poll(async () => (await probe(gateway, "/ready")).status, { timeout: 10_000 }).toBe(200);
  });

  it("turns 503 while Redis is cut, and 200 once it reconnected", async () => {
    redisProxy.cut();
    await expect.poll(async () => (await probe(gateway, "/ready")).body.checks?.redis, { timeout: 10_000 }).toBe("unreachable");
    expect((await probe(gateway, "/ready")).status).toBe(503);
    expect((await probe(gateway, "/health")).status).toBe(200);
    redisProxy.restore();
    await expect.poll(async () => (await probe(gateway, "/ready")).status, { timeout: 15_000 }).toBe(200);
  });
});
