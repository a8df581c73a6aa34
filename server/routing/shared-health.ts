/**
 * Deployment health shared by every replica through Redis pub/sub: each replica publishes the
 * failures of its own upstream calls (and a recovery), and applies the others' to its local state.
 * So N replicas pay a deployment's failure threshold once between them, not N times, and a
 * deployment cooling on one replica cools on all (visible at `/languru/deployments` everywhere).
 * Redis down: each replica keeps its own count until it is back.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { isRecord } from "../../shared/index.js";
import type { DeploymentHealth, HealthEvent } from "./health.js";

/** Publishes this replica's outcomes and routes the others' to the registered deployments. */
export interface SharedHealth {
  /** Tells the other replicas what a call to `deployment` did here (and how long the upstream asked to be left alone, if it did). */
  publish(deployment: string, event: HealthEvent, hintMs?: number | null): void;
  /**
   * Applies other replicas' events for `deployment` to `health` until the returned function is
   * called. The latest registration wins (as after a reload); releasing one that a later
   * registration replaced does nothing. Deployments come and go with client-chosen
   * `provider/<name>` addresses, so whoever registers one releases it when it forgets it.
   */
  register(deployment: string, health: DeploymentHealth): () => void;
  /** How many deployments hear other replicas' events now (bounded by the registries' deployments). */
  registered(): number;
}

/** What shared health is built from. */
export interface SharedHealthOptions {
  redis: Redis;
  /** A pub/sub connection (may be shared with other subscribers: messages are filtered by channel). */
  subscriber: Redis;
  prefix: string;
  log: Logger;
}

/** Creates shared health on Redis pub/sub. */
export function createSharedHealth(options: SharedHealthOptions): SharedHealth {
  const { redis, subscriber, log } = options;
  const channel = `${options.prefix}:health`;
  const replica = randomUUID();
  // One entry object per registration: a reloaded registry registers the same health object again,
  // and the old registry's release must not remove the new registration.
  const registered = new Map<string, { health: DeploymentHealth }>();

  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return;
    const event = parse(message);
    if (!event || event.replica === replica) return;
    registered.get(event.deployment)?.health.observe(event.event, Date.now(), event.hintMs);
  });
  subscriber.subscribe(channel).catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, "cannot subscribe to shared deployment health"));

  return {
    publish(deployment, event, hintMs = null) {
      redis.publish(channel, JSON.stringify(hintMs === null ? { replica, deployment, event } : { replica, deployment, event, hintMs })).catch(() => undefined);
    },
    register(deployment, health) {
      const entry = { health };
      registered.set(deployment, entry);
      return () => {
        if (registered.get(deployment) === entry) registered.delete(deployment);
      };
    },
    registered: () => registered.size,
  };
}

function parse(message: string): { replica: string; deployment: string; event: HealthEvent; hintMs: number | null } | null {
  try {
    const parsed: unknown = JSON.parse(message);
    if (!isRecord(parsed) || typeof parsed.replica !== "string" || typeof parsed.deployment !== "string") return null;
    if (parsed.event !== "failure" && parsed.event !== "success") return null;
    // The health's own bound (the cooldown) caps it; anything but a non-negative number is no hint.
    const hintMs = typeof parsed.hintMs === "number" && Number.isFinite(parsed.hintMs) && parsed.hintMs >= 0 ? parsed.hintMs : null;
    return { replica: parsed.replica, deployment: parsed.deployment, event: parsed.event, hintMs };
  } catch {
    return null;
  }
}
