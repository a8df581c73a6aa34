/**
 * Generations shared through Redis, so that `chat.stream` follows, resumes and cancels a
 * generation on any replica (the mechanism of Vercel's `resumable-stream`, on Redis Streams):
 *
 * - the producing replica appends every chunk to the Redis stream `<prefix>:gen:<id>` with the
 *   explicit entry id `0-<index + 1>`, so a resume after chunk `n` reads after `0-<n + 1>`, and
 *   publishes a wake-up on `<prefix>:gen-wake:<id>`; the last entry says how it ended;
 * - the stream holds what the producer's own window holds: when that drops its oldest chunks, the
 *   stream is trimmed to match (`XTRIM MINID`) and `…:meta` notes the first chunk kept, so a
 *   follower that finds a gap at the front knows its chunks expired (`chunks_not_buffered`);
 * - while it runs, the producer keeps a short lease (`…:lease`); a follower that finds neither new
 *   entries nor the lease knows the replica died and ends with `generation_lost`;
 * - a follower on another replica keeps `…:watch` alive, which stops the producer's grace timer
 *   from aborting a generation that is followed elsewhere;
 * - `chat.cancel` anywhere publishes on `<prefix>:gen-cancel`; the producing replica aborts.
 *
 * Redis is never on a local follower's path: if it goes away, this replica's generations keep
 * streaming to their local followers and simply stop being shared (logged once per outage).
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { type ChatCompletionChunk, errorFromBody, isRecord, type LanguruError, ServiceUnavailableError, UpstreamError } from "../../shared/index.js";
import { keepJsonText } from "../providers/json-text.js";
import {
  BATCH_BYTES,
  type ChunkBatch,
  chunksNotBuffered,
  type GenerationMirror,
  generationNotFound,
  invalidLastEventId,
  MAX_FOLLOWERS,
  tooManyFollowers,
} from "./generation-mirror.js";

/** What the Redis mirror needs. */
export interface RedisMirrorOptions {
  /** Commands (no offline queue: a command fails at once while Redis is away). */
  redis: Redis;
  /** A second connection for pub/sub. */
  subscriber: Redis;
  prefix: string;
  /** How long a finished generation stays resumable, and how long an unfollowed one lives. */
  graceMs: number;
  log: Logger;
  /** How long a producer's lease lasts without renewal; a dead replica is noticed within about this. Default 3 s. */
  leaseMs?: number;
  /** Chunks shared per generation; a longer one is followed on its own replica only. Default 50,000. */
  maxChunks?: number;
  /**
   * Chunk JSON sent to Redis and not yet acknowledged, per generation; an upstream faster than Redis
   * past this stops being shared (its remote followers see `generation_lost`) rather than queue
   * without bound in this process. Default 8 MiB.
   */
  maxPendingBytes?: number;
}

// A running generation's keys live this long past the producer's last renewal, so nothing a dead
// replica left behind stays in Redis.
const LIVE_TTL_MS = 60_000;
// How often a follower with nothing to read checks the lease when no wake-up arrives.
const POLL_MS = 500;
// Entries per read: what a remote follower holds as text besides its batch.
const READ_COUNT = 128;

/** A generation this replica shares; removed once a command failed (a gap would corrupt it) or it ended. */
interface Produced {
  count: number;
  lease: NodeJS.Timeout;
  /** Chunk JSON sent and not yet acknowledged. */
  pendingBytes: number;
}

/** Creates the Redis mirror; call `close()` at shutdown. */
export function createRedisGenerationMirror(options: RedisMirrorOptions): GenerationMirror {
  const { redis, subscriber, prefix, log } = options;
  const leaseMs = options.leaseMs ?? 3_000;
  const maxChunks = options.maxChunks ?? 50_000;
  const maxPendingBytes = options.maxPendingBytes ?? 8 * 1024 * 1024;
  const key = (id: string, part?: string) => (part ? `${prefix}:gen:${id}:${part}` : `${prefix}:gen:${id}`);
  const wakeChannel = (id: string) => `${prefix}:gen-wake:${id}`;
  const cancelChannel = `${prefix}:gen-cancel`;
  const produced = new Map<string, Produced>();
  const waiters = new Map<string, Set<() => void>>();
  let cancelHandler: (id: string, owner: string | null) => void = () => undefined;
  let outage = false;

  const failed = (id: string, err: unknown) => {
    const state = produced.get(id);
    if (state) stopSharing(id, state);
    if (!outage) log.warn({ err: { message: (err as Error).message } }, "redis unreachable: generations stream to followers on this replica only");
    outage = true;
  };
  const succeeded = () => {
    if (outage) log.info("redis reachable again: new generations are shared across replicas");
    outage = false;
  };
  const stopSharing = (id: string, state: Produced) => {
    clearInterval(state.lease);
    produced.delete(id);
  };
  const renew = (id: string) =>
    redis
      .multi()
      .set(key(id, "lease"), "1", "PX", leaseMs)
      .pexpire(key(id), LIVE_TTL_MS)
      .pexpire(key(id, "meta"), LIVE_TTL_MS)
      .exec()
      .then(succeeded, (err: unknown) => failed(id, err));

  subscriber.on("message", (channel: string, message: string) => {
    if (channel === cancelChannel) {
      const parsed = parseCancel(message);
      if (parsed) cancelHandler(parsed.id, parsed.owner);
      return;
    }
    const id = channel.slice(`${prefix}:gen-wake:`.length);
    for (const wake of waiters.get(id) ?? []) wake();
  });
  subscriber.subscribe(cancelChannel).catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, "cannot subscribe to generation cancels"));

  const listen = async (id: string, wake: () => void) => {
    let set = waiters.get(id);
    if (!set) {
      set = new Set();
      waiters.set(id, set);
      await subscriber.subscribe(wakeChannel(id));
    }
    set.add(wake);
  };
  const unlisten = (id: string, wake: () => void) => {
    const set = waiters.get(id);
    if (!set) return;
    set.delete(wake);
    if (set.size > 0) return;
    waiters.delete(id);
    subscriber.unsubscribe(wakeChannel(id)).catch(() => undefined);
  };

  return {
    started(id, owner) {
      const lease = setInterval(() => void renew(id), Math.max(100, Math.floor(leaseMs / 3)));
      lease.unref();
      produced.set(id, { count: 0, lease, pendingBytes: 0 });
      return redis
        .multi()
        .hset(key(id, "meta"), "owner", owner ?? "")
        .pexpire(key(id, "meta"), LIVE_TTL_MS)
        .set(key(id, "lease"), "1", "PX", leaseMs)
        .exec()
        .then(succeeded, (err: unknown) => failed(id, err));
    },

    chunk(id, index, json) {
      const state = produced.get(id);
      if (!state) return;
      if (index >= maxChunks) {
        // Too long to share: remote followers see the lease go and end with `generation_lost`.
        log.warn({ generation: id, maxChunks }, "generation too long to share through redis; followed on this replica only");
        stopSharing(id, state);
        return;
      }
      if (state.pendingBytes + json.length > maxPendingBytes) {
        log.warn({ generation: id, maxPendingBytes }, "generation streams faster than redis takes it; followed on this replica only");
        stopSharing(id, state);
        return;
      }
      state.count = index + 1;
      state.pendingBytes += json.length;
      const settled = () => {
        state.pendingBytes -= json.length;
      };
      redis.xadd(key(id), `0-${index + 1}`, "c", json).then(settled, (err: unknown) => {
        settled();
        failed(id, err);
      });
      redis.publish(wakeChannel(id), "").catch(() => undefined);
    },

    dropped(id, before) {
      if (!produced.has(id)) return;
      redis
        .multi()
        .xtrim(key(id), "MINID", `0-${before + 1}`)
        .hset(key(id, "meta"), "first", String(before))
        .exec()
        .catch((err: unknown) => failed(id, err));
    },

    ended(id, error) {
      const state = produced.get(id);
      if (!state) return;
      stopSharing(id, state);
      const last = error ? ["e", JSON.stringify({ status: error.status, body: error.toBody(), headers: error.headers })] : ["end", ""];
      redis
        .multi()
        .xadd(key(id), `0-${state.count + 1}`, ...(last as [string, string]))
        .pexpire(key(id), options.graceMs)
        .pexpire(key(id, "meta"), options.graceMs)
        .del(key(id, "lease"))
        .publish(wakeChannel(id), "")
        .exec()
        .catch((err: unknown) => failed(id, err));
    },

    async watched(id) {
      try {
        return (await redis.exists(key(id, "watch"))) === 1;
      } catch {
        return false;
      }
    },

    async *follow(id, from, signal, owner) {
      let meta: Record<string, string>;
      try {
        meta = await redis.hgetall(key(id, "meta"));
      } catch {
        throw new ServiceUnavailableError("The gateway cannot reach the shared generation store right now; try again shortly.", {
          code: "generation_store_unavailable",
          headers: { "retry-after": "1" },
        });
      }
      if (meta.owner === undefined || meta.owner !== (owner ?? "")) throw generationNotFound(id);
      if ((waiters.get(id)?.size ?? 0) >= MAX_FOLLOWERS) throw tooManyFollowers(id);
      if (from > 0) await assertNotPastEnd(redis, key(id), id, from);

      let woken = false;
      let resolveWait: (() => void) | null = null;
      const wake = () => {
        woken = true;
        resolveWait?.();
      };
      signal.addEventListener("abort", wake, { once: true });
      await listen(id, wake);
      let next = from;
      let lastWatch = 0;
      try {
        while (!signal.aborted) {
          if (Date.now() - lastWatch > 1_000) {
            lastWatch = Date.now();
            redis.set(key(id, "watch"), "1", "PX", options.graceMs).catch(() => undefined);
          }
          woken = false;
          const entries = await readAfter(redis, key(id), next);
          // A read's chunks go out in batches of about BATCH_BYTES, one per event-loop turn; what
          // ends them (the end, an error, a gap) comes after.
          let batch: ChunkBatch = { first: next, chunks: [] };
          let bytes = 0;
          let ending: "done" | Error | null = null;
          for (const [entryId, fields] of entries) {
            if (entryId !== `0-${next + 1}`) {
              ending = await gapError(redis, key(id, "meta"), id, next);
              break;
            }
            const f = fieldsOf(fields);
            if (f.c === undefined) {
              ending = f.end !== undefined ? "done" : endedWith(f.e);
              break;
            }
            // Stored as the chunk's single-line JSON: kept with it, so the doors write it as it is.
            batch.chunks.push(keepJsonText(JSON.parse(f.c) as ChatCompletionChunk, f.c));
            next++;
            bytes += f.c.length;
            if (bytes >= BATCH_BYTES) {
              yield batch;
              await new Promise((resolve) => setImmediate(resolve));
              batch = { first: next, chunks: [] };
              bytes = 0;
            }
          }
          if (batch.chunks.length > 0) yield batch;
          if (ending === "done") return;
          if (ending) throw ending;
          if (entries.length > 0 || woken) continue;
          if ((await redis.exists(key(id, "lease"))) === 0) {
            // The end is written before the lease goes: one more read tells a finish from a death.
            if ((await readAfter(redis, key(id), next)).length === 0) {
              // Nothing after `next`: a resume past the end of a finished generation, or a lost one.
              await assertNotPastEnd(redis, key(id), id, next);
              throw lost(id);
            }
            continue;
          }
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              resolveWait = null;
              resolve();
            };
            const timer = setTimeout(done, POLL_MS);
            resolveWait = done;
            if (woken || signal.aborted) done();
          });
        }
      } finally {
        signal.removeEventListener("abort", wake);
        unlisten(id, wake);
      }
    },

    cancel(id, owner) {
      redis
        .publish(cancelChannel, JSON.stringify({ id, owner }))
        .catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, "cannot forward a cancel"));
    },

    onCancel(handler) {
      cancelHandler = handler;
    },

    async close() {
      for (const [id, state] of [...produced]) stopSharing(id, state);
    },
  };
}

async function readAfter(redis: Redis, streamKey: string, next: number): Promise<Array<[string, string[]]>> {
  const result = await redis.xread("COUNT", READ_COUNT, "STREAMS", streamKey, `0-${next}`);
  return result?.[0]?.[1] ?? [];
}

/**
 * Refuses a position past the last chunk of a generation that has ended (its last entry says so);
 * one still running may simply not have shared that far yet.
 */
async function assertNotPastEnd(redis: Redis, streamKey: string, id: string, from: number): Promise<void> {
  let last: [string, string[]] | undefined;
  try {
    [last] = await redis.xrevrange(streamKey, "+", "-", "COUNT", 1);
  } catch {
    // Redis away: the follow's own reads report that.
    return;
  }
  if (!last) return;
  const [entryId, fields] = last;
  if (fieldsOf(fields).c !== undefined) return;
  // The end entry is `0-<count + 1>`: positions up to `count` (after the last chunk) are valid.
  const count = Number(entryId.slice(2)) - 1;
  if (from > count) throw invalidLastEventId(String(from - 1), `generation '${id}' made ${count} chunk(s)`);
}

/** What a gap before chunk `next` means: the producer trimmed it away (its window moved), or it lost entries. */
async function gapError(redis: Redis, metaKey: string, id: string, next: number): Promise<Error> {
  try {
    const first = Number(await redis.hget(metaKey, "first"));
    return first > next ? chunksNotBuffered(id, next) : lost(id);
  } catch {
    return lost(id);
  }
}

function fieldsOf(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
}

function endedWith(encoded: string | undefined): LanguruError {
  try {
    const parsed: unknown = JSON.parse(encoded ?? "");
    if (isRecord(parsed) && typeof parsed.status === "number") {
      return errorFromBody(parsed.status, parsed.body, isRecord(parsed.headers) ? (parsed.headers as Record<string, string>) : {});
    }
  } catch {
    // fall through: an unreadable end is a lost generation
  }
  return new UpstreamError("the generation ended with an unreadable error", { code: "generation_lost" });
}

function parseCancel(message: string): { id: string; owner: string | null } | null {
  try {
    const parsed: unknown = JSON.parse(message);
    if (isRecord(parsed) && typeof parsed.id === "string") return { id: parsed.id, owner: typeof parsed.owner === "string" ? parsed.owner : null };
  } catch {
    // not ours
  }
  return null;
}

function lost(id: string): UpstreamError {
  return new UpstreamError(`The replica running generation '${id}' stopped before it ended; start it again.`, { code: "generation_lost" });
}
