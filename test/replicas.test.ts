/**
 * Several replicas through Redis: two real gateway processes share one Redis (a prefix of their
 * own), and a round-robin TCP balancer in front of them has no sticky sessions. A stream started
 * on one replica is followed, resumed and cancelled on the other; a replica that dies leaves its
 * followers a clear error; Redis cut mid-stream leaves local streams running; deployment cooldown
 * is shared. Skipped (loudly) without REDIS_URL.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import { EventSource } from "eventsource";
import superjson from "superjson";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type ChatCompletionChunk, createLanguruClient } from "../client/index.js";
import type { AppRouter } from "../server/doors/trpc/routers/_app.js";
import { MASTER_KEY, tempDir } from "./helpers/access.js";
import { startBalancer } from "./helpers/balancer.js";
import { type FakeUpstream, fail, type Json, ok, startFakeUpstream, stream } from "./helpers/fake-upstream.js";
import { killProcesses, type ServerProcess, startProcess } from "./helpers/process.js";
import { startTcpProxy } from "./helpers/tcp-proxy.js";

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn("REDIS_URL is not set: the multi-replica (Redis) suite is SKIPPED");

const WORDS = Array.from({ length: 20 }, (_, i) => `w${i}`);

/** Frames of a 20-word reply, so a test can act mid-stream. */
function wordFrames(request: Json): Json[] {
  const base = { id: "chatcmpl-replica", object: "chat.completion.chunk", created: 1_700_000_000, model: String(request.model) };
  const chunk = (delta: Json, finish: string | null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  return [chunk({ role: "assistant", content: "" }, null), ...WORDS.map((w, i) => chunk({ content: i === 0 ? w : ` ${w}` }, null)), chunk({}, "stop")];
}

/** A raw tRPC client on the HTTP links (start is a POST, the stream an SSE GET): each may land on another replica. */
function trpcClient(url: string): TRPCClient<AppRouter> {
  const trpcUrl = `${url}/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url: trpcUrl, transformer: superjson, EventSource: EventSource as unknown as typeof globalThis.EventSource }),
        false: httpLink({ url: trpcUrl, transformer: superjson }),
      }),
    ],
  });
}

/** Follows a generation: resolves with its chunks, or rejects with what ended it. `stopAfter` unsubscribes early. */
function follow(
  client: TRPCClient<AppRouter>,
  input: { id: string; token?: string; lastEventId?: string },
  stopAfter?: number,
): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  return new Promise((resolve, reject) => {
    const sub = client.chat.stream.subscribe(input, {
      onData: (event) => {
        chunks.push(event.data);
        if (chunks.length === stopAfter) {
          sub.unsubscribe();
          resolve(chunks);
        }
      },
      onError: (err) => {
        reject(err);
        sub.unsubscribe();
      },
      onComplete: () => resolve(chunks),
      onConnectionStateChange: (state) => {
        // A 5xx makes the SSE link reconnect forever; the test wants the error. (Settle before
        // unsubscribing: unsubscribe completes the observer, which would resolve.)
        if (state.state === "connecting" && state.error) {
          reject(state.error);
          sub.unsubscribe();
        }
      },
    });
  });
}

const text = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");

describe.skipIf(!REDIS_URL)("replicas sharing Redis", () => {
  const tmp = tempDir();
  let upstream: FakeUpstream;
  let a: ServerProcess;
  let b: ServerProcess;
  const prefix = `languru-test-${randomBytes(6).toString("hex")}`;
  const configPath = path.join(tmp.dir, "languru.json");

  const startReplica = (env: Record<string, string> = {}) =>
    startProcess({ LANGURU_CONFIG: configPath, REDIS_URL: REDIS_URL!, LANGURU_REDIS_PREFIX: prefix, LANGURU_RESUME_GRACE_MS: "3000", ...env });
  /** One more replica, its Redis connection through a TCP proxy the test can slow down. */
  const replicaOnRedisLink = async (options: { delayMs?: number } = {}) => {
    const redisUrl = new URL(REDIS_URL!);
    const link = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) }, options);
    redisUrl.port = String(link.port);
    const replica = await startReplica({ REDIS_URL: redisUrl.toString() });
    const stop = async () => {
      replica.child.kill("SIGKILL");
      await link.close();
    };
    return { replica, link, stop };
  };

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    writeFileSync(
      configPath,
      JSON.stringify({
        providers: [{ name: "fake", kind: "openai-compatible", baseURL: upstream.baseURL, models: ["slow"] }],
        defaults: { retry: { attempts: 1 }, cooldown: { failures: 3, cooldownMs: 30_000 } },
      }),
    );
    [a, b] = await Promise.all([startReplica(), startReplica()]);
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    killProcesses();
    await upstream.close();
    tmp.cleanup();
  });

  it("starts on A, follows on B: every chunk once, one upstream call", async () => {
    upstream.otherwise(stream(wordFrames, { delayMs: 20 }));
    const { id } = await trpcClient(a.url).chat.start.mutate({ model: "slow", prompt: "go" });
    const chunks = await follow(trpcClient(b.url), { id });
    expect(text(chunks)).toBe(WORDS.join(" "));
    expect(chunks.length).toBe(WORDS.length + 2);
    expect(upstream.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(1);
  });

  it("a follow on B right after chat.start on A finds the generation, even when A's Redis link is slow", async () => {
    // A third replica whose Redis commands take 150 ms each way: registering a generation is slow.
    const { replica: slow, stop } = await replicaOnRedisLink({ delayMs: 150 });
    try {
      upstream.otherwise(stream(wordFrames, { delayMs: 20 }));
      const { id } = await trpcClient(slow.url).chat.start.mutate({ model: "slow", prompt: "go" });
      // No pause: the id goes straight to another replica, as a balancer without sticky sessions would send it.
      const chunks = await follow(trpcClient(b.url), { id });
      expect(text(chunks)).toBe(WORDS.join(" "));
    } finally {
      await stop();
    }
  });

  it("a replica whose Redis stalls: chat.start waits a bounded second, a WebSocket stream does not wait at all", async () => {
    const { replica, link, stop } = await replicaOnRedisLink();
    // Connected, then every Redis command of this replica takes 5 s each way: a stall, not an outage.
    link.delay(5_000);
    try {
      upstream.otherwise(stream(wordFrames));
      let started = Date.now();
      const { id } = await trpcClient(replica.url).chat.start.mutate({ model: "slow", prompt: "go" });
      expect(id).toMatch(/^gen-/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(Date.now() - started).toBeLessThan(4_000);
      // The subscription follows on this replica: nothing to wait for.
      const client = createLanguruClient({ url: replica.url, WebSocket });
      try {
        started = Date.now();
        let words = "";
        for await (const chunk of client.chat.stream({ model: "slow", prompt: "go" })) words += chunk.choices[0]?.delta.content ?? "";
        expect(words).toBe(WORDS.join(" "));
        expect(Date.now() - started).toBeLessThan(800);
      } finally {
        await client.close();
      }
    } finally {
      await stop();
    }
  });

  it("resumes on the other replica after lastEventId, with nothing lost or repeated", async () => {
    upstream.otherwise(stream(wordFrames, { delayMs: 30 }));
    const { id } = await trpcClient(a.url).chat.start.mutate({ model: "slow", prompt: "go" });
    const first = await follow(trpcClient(a.url), { id }, 6);
    const rest = await follow(trpcClient(b.url), { id, lastEventId: "5" });
    expect(text([...first, ...rest])).toBe(WORDS.join(" "));
    expect(first.length + rest.length).toBe(WORDS.length + 2);
    expect(upstream.calls.filter((c) => c.path === "/v1/chat/completions")).toHaveLength(1);
  });

  it("a follower on B keeps A's generation alive past A's resume grace", async () => {
    // 22 frames × 200 ms ≈ 4.4 s, longer than the 3 s grace during which A has no local follower.
    upstream.otherwise(stream(wordFrames, { delayMs: 200 }));
    const { id } = await trpcClient(a.url).chat.start.mutate({ model: "slow", prompt: "go" });
    const chunks = await follow(trpcClient(b.url), { id });
    expect(text(chunks)).toBe(WORDS.join(" "));
    expect(await (await upstream.call(0)).ended).toBe("finished");
  });

  it("cancel on B stops A's upstream request at once", async () => {
    upstream.otherwise(stream(wordFrames, { hangAfter: 3 }));
    const { id } = await trpcClient(a.url).chat.start.mutate({ model: "slow", prompt: "go" });
    const call = await upstream.call(0);
    const cancelledAt = Date.now();
    await trpcClient(b.url).chat.cancel.mutate({ id });
    expect(await call.ended).toBe("aborted");
    // The issue asks for 100 ms; a loaded CI box gets a margin.
    expect(Date.now() - cancelledAt).toBeLessThan(1_000);
  });

  it("an unknown generation is generation_not_found on every replica", async () => {
    await expect(follow(trpcClient(b.url), { id: "gen-00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({
      data: { error: { code: "generation_not_found" } },
    });
  });

  // A chat call to one replica, and the shared deployment's state as one replica shows it.
  const post = (url: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "slow", messages: [{ role: "user", content: "hi" }] }),
    });
  const state = async (url: string) => {
    const res = (await (await fetch(`${url}/languru/deployments`)).json()) as { data: Array<{ id: string; state: string }> };
    return res.data.find((d) => d.id === "fake/slow")?.state;
  };

  it("shares how long an upstream asked to be left alone: a 429's retry-after cools the deployment for that long on both", async () => {
    upstream.otherwise(fail(429, "slow down", { headers: { "retry-after": "1" } }));
    for (const url of [a.url, b.url, a.url]) expect((await post(url)).status).toBe(429);
    await expect.poll(() => state(b.url), { timeout: 900 }).toBe("cooling");
    const cooling = await post(b.url);
    expect(cooling.status).toBe(503);
    expect(cooling.headers.get("retry-after")).toBe("1");
    upstream.otherwise(ok());
    await new Promise((r) => setTimeout(r, 1_100));
    // Not the 30 s cooldown of the config: B probes after the second the upstream asked for.
    expect((await post(b.url)).status).toBe(200);
  });

  it("shares cooldown: failures on A and B together cool the deployment on both", async () => {
    upstream.otherwise(fail(500, "upstream broke"));
    // Three failures in all (the threshold), split over the replicas: neither reached it alone.
    for (const url of [a.url, b.url, a.url]) expect((await post(url)).status).toBe(502);
    await expect.poll(() => state(b.url), { timeout: 2_000 }).toBe("cooling");
    await expect.poll(() => state(a.url), { timeout: 2_000 }).toBe("cooling");
    expect((await post(b.url)).status).toBe(503);
  });
});

describe.skipIf(!REDIS_URL)("replicas with keys on", () => {
  const tmp = tempDir();
  afterAll(() => {
    killProcesses();
    tmp.cleanup();
  });

  it("a follow token from A is good on B, and only for its own generation", async () => {
    const env = {
      REDIS_URL: REDIS_URL!,
      LANGURU_REDIS_PREFIX: `languru-test-${randomBytes(6).toString("hex")}`,
      LANGURU_MASTER_KEY: MASTER_KEY,
      LANGURU_DB: path.join(tmp.dir, "keys.db"),
    };
    const [a, b] = await Promise.all([startProcess(env), startProcess(env)]);
    const admin = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${a.url}/trpc`, transformer: superjson, headers: { authorization: `Bearer ${MASTER_KEY}` } })],
    });
    const { key } = await admin.keys.create.mutate({ name: "replicas" });
    const keyed = (url: string) =>
      createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url}/trpc`, transformer: superjson, headers: { authorization: `Bearer ${key}` } })] });
    const first = await keyed(a.url).chat.start.mutate({ model: "echo", prompt: "one two three", extra_body: { echo_delay_ms: 20 } });
    const second = await keyed(a.url).chat.start.mutate({ model: "echo", prompt: "four five", extra_body: { echo_delay_ms: 20 } });
    // The SSE follower on B carries no key: the token alone admits it.
    expect(text(await follow(trpcClient(b.url), { id: first.id, token: first.token }))).toBe("one two three");
    await expect(follow(trpcClient(b.url), { id: second.id, token: first.token })).rejects.toMatchObject({ data: { error: { code: "generation_not_found" } } });
    await expect(follow(trpcClient(b.url), { id: second.id })).rejects.toMatchObject({ data: { error: { code: "invalid_api_key" } } });
  });
});

describe.skipIf(!REDIS_URL)("replicas behind a round-robin balancer", () => {
  const prefix = `languru-test-${randomBytes(6).toString("hex")}`;
  afterAll(() => killProcesses());

  it("streams through any replica: start and follow land on different ones", async () => {
    const env = { REDIS_URL: REDIS_URL!, LANGURU_REDIS_PREFIX: prefix };
    const [a, b] = await Promise.all([startProcess(env), startProcess(env)]);
    const balancer = await startBalancer([a.url, b.url]);
    try {
      for (let i = 0; i < 4; i++) {
        // A fresh client per stream: its POST and its SSE GET are separate connections, so separate replicas.
        const client = trpcClient(balancer.url);
        const { id, token } = await client.chat.start.mutate({ model: "echo", prompt: `one two three ${i}`, extra_body: { echo_delay_ms: 5 } });
        expect(text(await follow(client, { id, token }))).toBe(`one two three ${i}`);
      }
      expect(balancer.counts[0]).toBeGreaterThan(0);
      expect(balancer.counts[1]).toBeGreaterThan(0);
    } finally {
      await balancer.close();
    }
  });

  it("the SDK over WebSocket resumes on the other replica after its connection drops", async () => {
    const env = { REDIS_URL: REDIS_URL!, LANGURU_REDIS_PREFIX: prefix };
    const [a, b] = await Promise.all([startProcess(env), startProcess(env)]);
    const balancer = await startBalancer([a.url, b.url]);
    const client = createLanguruClient({ url: balancer.url, WebSocket });
    try {
      const words = Array.from({ length: 30 }, (_, i) => `v${i}`).join(" ");
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of client.chat.stream({ model: "echo", prompt: words, extra_body: { echo_delay_ms: 30 } })) {
        chunks.push(chunk);
        if (chunks.length === 6) balancer.dropAll();
      }
      expect(text(chunks)).toBe(words);
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
      // The socket after the drop went to the other replica.
      expect(balancer.counts[0]).toBeGreaterThan(0);
      expect(balancer.counts[1]).toBeGreaterThan(0);
    } finally {
      await client.close();
      await balancer.close();
    }
  });
});

describe.skipIf(!REDIS_URL)("replica and Redis failures", () => {
  const tmp = tempDir();
  let upstream: FakeUpstream;
  const configPath = path.join(tmp.dir, "languru.json");
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    writeFileSync(configPath, JSON.stringify({ providers: [{ name: "fake", kind: "openai-compatible", baseURL: upstream.baseURL, models: ["slow"] }] }));
  });
  afterEach(() => killProcesses());
  afterAll(async () => {
    await upstream.close();
    tmp.cleanup();
  });

  it("a replica killed mid-generation leaves its followers elsewhere a generation_lost error, not a hang", async () => {
    const env = { LANGURU_CONFIG: configPath, REDIS_URL: REDIS_URL!, LANGURU_REDIS_PREFIX: `languru-test-${randomBytes(6).toString("hex")}` };
    const [a, b] = await Promise.all([startProcess(env), startProcess(env)]);
    upstream.otherwise(stream(wordFrames, { hangAfter: 4 }));
    const { id } = await trpcClient(a.url).chat.start.mutate({ model: "slow", prompt: "go" });
    const followed = follow(trpcClient(b.url), { id });
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = Date.now();
    a.child.kill("SIGKILL");
    await expect(followed).rejects.toMatchObject({ data: { error: { code: "generation_lost" } } });
    // The producer's lease is 3 s; the follower notices within about that.
    expect(Date.now() - killedAt).toBeLessThan(8_000);
  }, 20_000);

  it("Redis cut mid-stream: the stream keeps streaming to its local follower, and new ones run locally", async () => {
    const redis = new URL(REDIS_URL!);
    const proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    try {
      const a = await startProcess({
        LANGURU_CONFIG: configPath,
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        LANGURU_REDIS_PREFIX: `languru-test-${randomBytes(6).toString("hex")}`,
      });
      upstream.otherwise(stream(wordFrames, { delayMs: 40 }));
      const client = trpcClient(a.url);
      const { id } = await client.chat.start.mutate({ model: "slow", prompt: "go" });
      const followed = follow(client, { id });
      await new Promise((r) => setTimeout(r, 200));
      proxy.cut();
      expect(text(await followed)).toBe(WORDS.join(" "));
      // A new stream while Redis is still away.
      const next = await client.chat.start.mutate({ model: "slow", prompt: "again" });
      expect(text(await follow(client, { id: next.id }))).toBe(WORDS.join(" "));
      expect(a.lines.some((l) => String(l.msg).includes("redis unreachable"))).toBe(true);
    } finally {
      await proxy.close();
    }
  }, 20_000);
});
