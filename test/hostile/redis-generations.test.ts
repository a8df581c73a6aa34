/**
 * Issue 16 items 5, 6 and 11 across replicas: two gateways share one Redis (a prefix of their own).
 * The Redis stream of a generation holds what its producer's window holds, so a long generation
 * costs Redis about the cap; a follower on the other replica that asks for chunks no longer kept
 * gets `chunks_not_buffered`; a `lastEventId` that is not a chunk index is a 400 there too; and
 * followers of one generation are bounded on each replica. Skipped (loudly) without REDIS_URL.
 */
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { startFakeUpstream, stream, type FakeUpstream } from "../helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { hugeStream } from "../helpers/hostile-upstream.js";
import { followAll, followFirst, stalledFollower, startGeneration, until } from "./follow.js";

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn("REDIS_URL is not set: the Redis generation-window suite is SKIPPED");

const KiB = 1024;
const MiB = 1024 * KiB;
const CAP = 256 * KiB;

describe.skipIf(!REDIS_URL)("generations shared through Redis", () => {
  const prefix = `languru-test-${randomBytes(6).toString("hex")}`;
  let upstream: FakeUpstream;
  let a: TestGateway;
  let b: TestGateway;
  let redis: Redis;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const { access } = loadConfig({});
    const replica = () =>
      startGateway({
        providers: [upstreamProvider(upstream.baseURL, ["m"])],
        resumeGraceMs: 10_000,
        resumeBufferBytes: CAP,
        access: { ...access, redisUrl: REDIS_URL, redisPrefix: prefix },
      });
    [a, b] = await Promise.all([replica(), replica()]);
    await Promise.all([a.ready(), b.ready()]);
    redis = new Redis(REDIS_URL!);
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await Promise.all([a?.close(100), b?.close(100)]);
    if (redis) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
    await upstream?.close();
  });

  /** Waits until the generation's Redis stream has its end entry (the producer's writes are in). */
  const ended = (id: string) =>
    until(
      async () => {
        const [last] = await redis.xrevrange(`${prefix}:gen:${id}`, "+", "-", "COUNT", 1);
        return last !== undefined && last[1][0] === "end";
      },
      20_000,
      "the generation's end reached Redis",
    );

  it("a 16 MiB generation costs Redis about the cap; a follower on B from the start gets chunks_not_buffered, one near the end is served", {
    timeout: 60_000,
  }, async () => {
    upstream.otherwise(hugeStream({ bytes: 16 * MiB, chunkBytes: 4 * KiB }));
    const started = await startGeneration(a.baseURL, { model: "m", prompt: "go" });
    await ended(started.id);
    // Unfixed, every chunk stayed in Redis until the grace expired: 16 MiB for one generation.
    expect(await redis.memory("USAGE", `${prefix}:gen:${started.id}`)).toBeLessThan(2 * CAP);
    expect(await redis.xlen(`${prefix}:gen:${started.id}`)).toBeLessThan((2 * CAP) / (4 * KiB));

    const late = await followAll(b.baseURL, started);
    expect(late.error).toMatchObject({ status: 404, code: "chunks_not_buffered", param: "lastEventId" });
    const last = (16 * MiB) / (4 * KiB); // the content chunks' indexes are 0..last-1, the finish chunk is `last`
    const near = await followAll(b.baseURL, { ...started, lastEventId: String(last - 2) });
    expect(near.error).toBeNull();
    expect(near.ids).toEqual([String(last - 1), String(last)]);
  });

  it("a lastEventId that is not a chunk index of A's generation is a 400 on B, not a 500 or 502", { timeout: 30_000 }, async () => {
    upstream.otherwise(stream());
    const started = await startGeneration(a.baseURL, { model: "m", prompt: "go" });
    await ended(started.id);
    // 5 chunks: indexes 0..4.
    for (const lastEventId of ["1e300", "1e21", "18446744073709551615", "9007199254740993", "-1", "1.5", "5", "99", "123456789012345"]) {
      const result = await followFirst(b.baseURL, { ...started, lastEventId }, 1, 5_000);
      expect({ lastEventId, error: result.error }).toMatchObject({ lastEventId, error: { status: 400, code: "invalid_last_event_id" } });
    }
    const resumed = await followFirst(b.baseURL, { ...started, lastEventId: "2" }, 2);
    expect(resumed).toMatchObject({ error: null, ids: ["3", "4"] });
    // After the last chunk: nothing more, and no error.
    expect(await followAll(b.baseURL, { ...started, lastEventId: "4" })).toMatchObject({ error: null, ids: [] });
  });

  it("followers of A's generation on B are bounded too: the 17th gets too_many_followers", { timeout: 30_000 }, async () => {
    upstream.otherwise(stream(undefined, { hangAfter: 2 }));
    const started = await startGeneration(a.baseURL, { model: "m", prompt: "go" });
    const followers: Socket[] = await Promise.all(Array.from({ length: 16 }, () => stalledFollower(b.baseURL, started)));
    try {
      await new Promise((r) => setTimeout(r, 500));
      const refused = await followFirst(b.baseURL, started, 1);
      expect(refused.error).toMatchObject({ status: 429, code: "too_many_followers" });
    } finally {
      for (const socket of followers) socket.destroy();
    }
  });
});
