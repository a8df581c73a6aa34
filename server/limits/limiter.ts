/**
 * Per-key requests-per-minute and tokens-per-minute windows, counted by rate-limiter-flexible:
 * in memory by default, in Redis when configured so that every replica shares one count.
 *
 * Each kind is one limiter with an effectively unlimited point count; the key's own limit is
 * compared here. That keeps one counter per key whatever its limit, so changing a key's RPM
 * applies at once instead of starting a new count.
 *
 * Redis down: each replica counts in memory (rate-limiter-flexible's insurance limiter) until it
 * is back, so limits hold per replica instead of failing every request or none.
 */
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from "rate-limiter-flexible";
import type { Redis } from "ioredis";

// Large enough that the library never rejects on its own; our limits are compared in `take`.
const UNLIMITED = 1e12;
const WINDOW_S = 60;

/** One window's state after a request was counted. */
export interface WindowState {
  limit: number;
  remaining: number;
  /** Until the window starts over. */
  resetMs: number;
}

/** The limits of one key; null is unlimited. */
export interface LimitSpec {
  rpm: number | null;
  tpm: number | null;
}

/** The outcome of taking a request: its windows, and which one (if any) was over. */
export interface TakeResult {
  requests: WindowState | null;
  tokens: WindowState | null;
  /** Set when the request was refused (and nothing was counted). */
  exceeded: "requests" | "tokens" | null;
  /** The prompt-token estimate, measured only once the RPM window had room (0 when refused before). */
  estimate: number;
}

/** Counts requests and tokens per key per minute. */
export interface Limiter {
  /**
   * Counts one request, then (only if RPM had room) measures `estimateOf()` tokens and counts them;
   * when either window would go over, counts nothing and says which.
   */
  take(keyId: string, spec: LimitSpec, estimateOf: () => number): Promise<TakeResult>;
  /** Gives back one request and `tokens` counted by `take` for a call refused later (budget). */
  refund(keyId: string, spec: LimitSpec, tokens: number): Promise<void>;
  /** After the call: adds `delta` tokens (negative gives back an over-estimate). */
  adjustTokens(keyId: string, spec: LimitSpec, delta: number): Promise<void>;
}

/** Where counts live. */
export interface LimiterOptions {
  /** Shared counts; absent means this process's memory. */
  redis?: Redis;
  /** Prefix of every counter key (Redis keys are `<prefix>:rpm:<key id>`). */
  prefix: string;
}

/** Creates a limiter. */
export function createLimiter(options: LimiterOptions): Limiter {
  const make = (kind: string): RateLimiterAbstract => {
    const keyPrefix = `${options.prefix}:${kind}`;
    const memory = new RateLimiterMemory({ points: UNLIMITED, duration: WINDOW_S, keyPrefix });
    if (!options.redis) return memory;
    return new RateLimiterRedis({
      storeClient: options.redis,
      points: UNLIMITED,
      duration: WINDOW_S,
      keyPrefix,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  };
  const requests = make("rpm");
  const tokens = make("tpm");

  return {
    async take(keyId, spec, estimateOf) {
      // RPM first: a caller over its request rate is refused before its prompt is even measured.
      const r = spec.rpm == null ? null : await requests.consume(keyId, 1);
      const reqState = spec.rpm == null ? null : windowOf(spec.rpm, r);
      if (r !== null && r.consumedPoints > spec.rpm!) {
        await requests.reward(keyId, 1);
        const tokState = spec.tpm == null ? null : await peek(tokens, keyId, spec.tpm);
        return {
          requests: reqState && { ...reqState, remaining: Math.max(0, spec.rpm! - (r.consumedPoints - 1)) },
          tokens: tokState,
          exceeded: "requests",
          estimate: 0,
        };
      }
      const measured = estimateOf();
      const estimate = Number.isFinite(measured) && measured > 0 ? Math.ceil(measured) : 0;
      const t = spec.tpm == null || estimate <= 0 ? null : await tokens.consume(keyId, estimate);
      const tokState = spec.tpm == null ? null : t ? windowOf(spec.tpm, t) : await peek(tokens, keyId, spec.tpm);
      if (t === null || t.consumedPoints <= spec.tpm!) return { requests: reqState, tokens: tokState, exceeded: null, estimate };
      // Refused requests count against nothing, so a client retrying after `retry-after` is not punished twice.
      await Promise.all([r ? requests.reward(keyId, 1) : null, tokens.reward(keyId, estimate)]);
      return {
        requests: reqState && r ? { ...reqState, remaining: Math.max(0, spec.rpm! - (r.consumedPoints - 1)) } : reqState,
        tokens: tokState && { ...tokState, remaining: Math.max(0, spec.tpm! - (t.consumedPoints - estimate)) },
        exceeded: "tokens",
        estimate,
      };
    },
    async refund(keyId, spec, estimate) {
      await Promise.all([spec.rpm == null ? null : requests.reward(keyId, 1), spec.tpm == null || estimate <= 0 ? null : tokens.reward(keyId, estimate)]);
    },
    async adjustTokens(keyId, spec, delta) {
      // A delta that is no finite number would poison the window (NaN points); settled usage is checked, this is the last guard.
      if (spec.tpm == null || delta === 0 || !Number.isFinite(delta)) return;
      if (delta > 0) await tokens.penalty(keyId, delta);
      else await tokens.reward(keyId, -delta);
    },
  };
}

function windowOf(limit: number, res: RateLimiterRes | null): WindowState {
  if (!res) return { limit, remaining: limit, resetMs: WINDOW_S * 1000 };
  return { limit, remaining: Math.max(0, limit - res.consumedPoints), resetMs: Math.max(0, res.msBeforeNext) };
}

async function peek(limiter: RateLimiterAbstract, keyId: string, limit: number): Promise<WindowState> {
  return windowOf(limit, await limiter.get(keyId));
}
