/**
 * What several replicas share through Redis besides rate limits: generations (follow, resume and
 * cancel a stream on any replica) and deployment health. On only with `REDIS_URL`; without it
 * every replica keeps both in its own memory.
 */
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { GenerationMirror } from "./chat/generation-mirror.js";
import { createRedisGenerationMirror } from "./chat/redis-generations.js";
import { redisReady } from "./lib/redis-ready.js";
import { createSharedHealth, type SharedHealth } from "./routing/shared-health.js";

/** The shared pieces and their connections. */
export interface Replication {
  mirror: GenerationMirror;
  health: SharedHealth;
  /** Resolves once both connections are up, or after a short wait (Redis down: the replica serves locally). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Opens two Redis connections (commands, pub/sub) for replication. */
export function openReplication(options: { redisUrl: string; prefix: string; graceMs: number; log: Logger }): Replication {
  const log = options.log.child({ component: "replication" });
  // No offline queue: while Redis is away a command fails at once and the replica serves locally. No
  // auto-pipelining: it would reorder plain commands behind MULTI blocks, and chunk order is the protocol.
  const redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  // The subscriber queues its (few) subscribe commands until connected, and resubscribes after a reconnect.
  const subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  for (const connection of [redis, subscriber]) connection.on("error", () => undefined);
  const mirror = createRedisGenerationMirror({ redis, subscriber, prefix: options.prefix, graceMs: options.graceMs, log });
  const health = createSharedHealth({ redis, subscriber, prefix: options.prefix, log });
  // Without this, the first generations after startup would find the command connection not yet up and stay local.
  const ready = Promise.all([redisReady(redis), redisReady(subscriber)]).then(() => undefined);
  return {
    mirror,
    health,
    ready,
    // The mirror and the shared health use these connections; they are this module's to close.
    async close() {
      await mirror.close();
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}
