/**
 * `GET /health` (liveness: the process answers; no upstream or store call) and `GET /ready`
 * (readiness: started, not shutting down, store and Redis reachable when configured; 503 when
 * not). The store check is one `SELECT 1`, shared by concurrent probes and reused for a moment, so
 * a 1 s probe from several places costs at most a few round trips per second.
 */
import type { ServerResponse } from "node:http";
import { sendJson } from "../doors/openai/respond.js";

// A probe answers the moment it is asked; no cache in between may answer for it.
const NO_STORE = { "cache-control": "no-store" };

/** What readiness depends on. */
export interface ReadinessSources {
  /** True once the gateway started (config loaded, first discovery round, access ready). */
  started(): boolean;
  shuttingDown(): boolean;
  /** A store round trip; absent when no store is configured (keys off). */
  pingStore?: () => Promise<void>;
  /** Whether Redis is connected; null when not configured. */
  redisUp(): boolean | null;
}

/** The readiness check, with the last store result kept for the metrics. */
export interface Readiness {
  check(): Promise<{ ready: boolean; checks: Record<string, string> }>;
  /** 1/0 from the last store ping, null when no store is configured. */
  storeUp(): number | null;
}

const STORE_TIMEOUT_MS = 800;
const STORE_REUSE_MS = 250;

/** Builds the readiness check. */
export function createReadiness(sources: ReadinessSources): Readiness {
  let last: { at: number; ok: boolean } | null = null;
  let pending: Promise<boolean> | null = null;

  const storeOk = (): Promise<boolean> => {
    const ping = sources.pingStore;
    if (!ping) return Promise.resolve(true);
    if (last && performance.now() - last.at < STORE_REUSE_MS) return Promise.resolve(last.ok);
    pending ??= withTimeout(ping(), STORE_TIMEOUT_MS)
      .then(
        () => true,
        () => false,
      )
      .then((ok) => {
        last = { at: performance.now(), ok };
        pending = null;
        return ok;
      });
    return pending;
  };

  return {
    async check() {
      const store = await storeOk();
      const redis = sources.redisUp();
      const checks: Record<string, string> = {
        started: sources.started() ? "ok" : "starting",
        shutdown: sources.shuttingDown() ? "shutting down" : "ok",
        store: sources.pingStore ? (store ? "ok" : "unreachable") : "not configured",
        redis: redis === null ? "not configured" : redis ? "ok" : "unreachable",
      };
      const ready = Object.values(checks).every((v) => v === "ok" || v === "not configured");
      return { ready, checks };
    },
    storeUp: () => (sources.pingStore ? (last?.ok === false ? 0 : 1) : null),
  };
}

/** Answers `/health`. */
export function sendHealth(res: ServerResponse): void {
  sendJson(res, 200, { status: "ok" }, NO_STORE);
}

/** Answers `/ready`: 200 or 503 with what failed. */
export async function sendReady(res: ServerResponse, readiness: Readiness): Promise<void> {
  const { ready, checks } = await readiness.check();
  sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", checks }, NO_STORE);
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
