/**
 * Waiting for a Redis connection at startup, briefly. A replica starting while Redis is down must
 * not wait long: it serves (limits, generations, health) from its own memory until Redis is back.
 */
import type { Redis } from "ioredis";

const CONNECT_WAIT_MS = 2_000;

/** Resolves once `redis` is ready, or after a short wait; never rejects. */
export function redisReady(redis: Redis, waitMs = CONNECT_WAIT_MS): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off("ready", ready);
      resolve();
    }, waitMs);
    timer.unref();
    redis.once("ready", ready);
  });
}
