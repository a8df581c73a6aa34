/**
 * Budget reservations: a call reserves its worst case (prompt estimate plus its largest possible
 * output) before it runs, and swaps the reservation for what it actually cost after, so that
 * concurrent calls, `n = 128`, or replicas taking turns cannot spend past a key's budget.
 *
 * In memory, a replica adds its in-flight reservations to the key's spend. With Redis, one hash per
 * key holds spend plus every replica's reservations, seeded from the store's spend when absent and
 * checked and incremented atomically; while Redis is down each replica reserves in memory.
 */
import type { Redis } from "ioredis";

/** Tokens and dollars. */
export interface Spend {
  tokens: number;
  usd: number;
}

/** A key's budgets; null is unlimited. */
export interface BudgetLimits {
  budgetTokens: number | null;
  budgetUsd: number | null;
}

/** One held reservation; `release` swaps it for the actual cost (exactly once; a cost that is no finite non-negative number counts as the worst case). */
export interface BudgetHold {
  release(actual: Spend): void;
}

/** What one reservation needs. */
export interface ReserveRequest {
  limits: BudgetLimits;
  /** Spend known to this replica (stored plus not yet flushed). */
  spent: Spend;
  /** The worst case of this call. */
  worst: Spend;
}

/** Reserves and settles budgets per key. */
export interface Budgets {
  /** Holds `worst` when spend, other reservations and it fit the limits; null (nothing held) when not. */
  reserve(keyId: string, request: ReserveRequest): Promise<BudgetHold | null>;
}

/** Where reservations live. */
export interface BudgetOptions {
  redis?: Redis;
  prefix: string;
  /** Reports a failed Redis command; the call falls back to memory. */
  onRedisError?: (err: Error) => void;
}

// A reservation key in Redis outlives idle periods this long, then is seeded again from the store.
const REDIS_TTL_MS = 10 * 60_000;
// Float sums drift by a few ulps; a cent's millionth is not worth a refusal.
const EPSILON = 1e-9;

const RESERVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('HSET', KEYS[1], 'tokens', ARGV[1], 'usd', ARGV[2]) end
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens'))
local usd = tonumber(redis.call('HGET', KEYS[1], 'usd'))
local wt, wu, lt, lu = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if (lt >= 0 and tokens + wt > lt) or (lu >= 0 and usd + wu > lu + ${EPSILON}) then return 0 end
redis.call('HINCRBYFLOAT', KEYS[1], 'tokens', wt)
redis.call('HINCRBYFLOAT', KEYS[1], 'usd', wu)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 1`;

const SETTLE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HINCRBYFLOAT', KEYS[1], 'tokens', ARGV[1])
redis.call('HINCRBYFLOAT', KEYS[1], 'usd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** Creates the budget reservations (memory, or Redis with memory while Redis is down). */
export function createBudgets(options: BudgetOptions): Budgets {
  const memory = memoryBudgets();
  const redis = options.redis;
  if (!redis) return memory;
  const keyOf = (keyId: string) => `${options.prefix}:budget:${keyId}`;
  return {
    async reserve(keyId, request) {
      if (request.limits.budgetTokens == null && request.limits.budgetUsd == null) return NO_HOLD;
      if (redis.status !== "ready") return memory.reserve(keyId, request);
      const { spent, worst, limits } = request;
      let held: unknown;
      try {
        held = await redis.eval(
          RESERVE,
          1,
          keyOf(keyId),
          spent.tokens,
          spent.usd,
          worst.tokens,
          worst.usd,
          limits.budgetTokens ?? -1,
          limits.budgetUsd ?? -1,
          REDIS_TTL_MS,
        );
      } catch (err) {
        options.onRedisError?.(err as Error);
        return memory.reserve(keyId, request);
      }
      if (held !== 1) return null;
      return once(worst, (actual) => {
        redis
          .eval(SETTLE, 1, keyOf(keyId), actual.tokens - worst.tokens, actual.usd - worst.usd, REDIS_TTL_MS)
          .catch((err: unknown) => options.onRedisError?.(err as Error));
      });
    },
  };
}

function memoryBudgets(): Budgets {
  const held = new Map<string, Spend>();
  return {
    async reserve(keyId, { limits, spent, worst }) {
      if (limits.budgetTokens == null && limits.budgetUsd == null) return NO_HOLD;
      const other = held.get(keyId) ?? { tokens: 0, usd: 0 };
      const tokens = spent.tokens + other.tokens + worst.tokens;
      const usd = spent.usd + other.usd + worst.usd;
      if ((limits.budgetTokens != null && tokens > limits.budgetTokens) || (limits.budgetUsd != null && usd > limits.budgetUsd + EPSILON)) return null;
      held.set(keyId, { tokens: other.tokens + worst.tokens, usd: other.usd + worst.usd });
      return once(worst, () => {
        const now = held.get(keyId);
        if (!now) return;
        now.tokens -= worst.tokens;
        now.usd -= worst.usd;
        if (now.tokens <= 0 && now.usd <= EPSILON) held.delete(keyId);
      });
    },
  };
}

const NO_HOLD: BudgetHold = { release: () => undefined };

// Releases once, with a cost that can be added: Redis refuses a NaN increment, and a negative one would be credit.
function once(worst: Spend, release: (actual: Spend) => void): BudgetHold {
  let done = false;
  return {
    release(actual) {
      if (done) return;
      done = true;
      release({ tokens: spendable(actual.tokens, worst.tokens), usd: spendable(actual.usd, worst.usd) });
    },
  };
}

function spendable(value: number, worst: number): number {
  return Number.isFinite(value) && value >= 0 ? value : worst;
}
