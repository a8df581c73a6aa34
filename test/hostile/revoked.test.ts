/**
 * Issue 16 item 11: what a revoked key keeps. New calls were already refused at once; now its
 * running streams end too (REST, a WebSocket `chat.generate`, an SSE follower of `chat.start`),
 * each with a 401 saying the key was revoked, and the upstream request is closed; its follow
 * tokens are refused. On another replica the same holds within the key cache time. Other keys'
 * streams, and the master key's, are untouched. All over real sockets, against a real upstream.
 */
import { createTRPCClient, httpSubscriptionLink } from "@trpc/client";
import { EventSource } from "eventsource";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatCompletionChunk } from "../../client/index.js";
import type { AppRouter } from "../../server/doors/trpc/routers/_app.js";
import { adminClient, createKey, MASTER_KEY, startKeyedGateway, tempDir } from "../helpers/access.js";
import { type FakeUpstream, type Json, startFakeUpstream, stream } from "../helpers/fake-upstream.js";
import { sdk, type TestGateway, upstreamProvider } from "../helpers/gateway.js";
import { within } from "./probe.js";

const WORDS = 200;
// Revocation is noticed at the stream's next chunks: generous for a loaded 2-core box.
const ENDS_WITHIN_MS = 2_000;

/** 200 words, one frame each, 30 ms apart: a six-second stream the test cuts short. */
function slowFrames(request: Json): Json[] {
  const base = { id: "chatcmpl-slow", object: "chat.completion.chunk", created: 1_700_000_000, model: String(request.model) };
  const chunk = (delta: Json, finish: string | null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  return [...Array.from({ length: WORDS }, (_, i) => chunk({ content: ` w${i}` }, null)), chunk({}, "stop")];
}

/** A REST stream read event by event: `events` grows as they arrive, `ended` settles when the body does. */
function restStream(gateway: TestGateway, key: string, body: Json) {
  const events: Json[] = [];
  const ended = (async () => {
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ stream: true, ...body }),
    });
    expect(res.status).toBe(200);
    const decoder = new TextDecoder();
    let pending = "";
    for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(bytes, { stream: true });
      const frames = pending.split("\n\n");
      pending = frames.pop() ?? "";
      for (const frame of frames) {
        const data = frame.replace(/^data: /, "");
        if (data && data !== "[DONE]") events.push(JSON.parse(data) as Json);
      }
    }
    return Date.now();
  })();
  return { events, ended };
}

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A keyless tRPC client following over SSE, as a browser's EventSource with a follow token does. */
function keylessFollower(gateway: TestGateway) {
  return createTRPCClient<AppRouter>({
    links: [
      httpSubscriptionLink({
        url: `${gateway.baseURL}/trpc`,
        transformer: superjson,
        EventSource: EventSource as unknown as typeof globalThis.EventSource,
      }),
    ],
  });
}

/** Follows with a token: the chunks it got, and the error that ended it (null when it completed). */
function followWithToken(gateway: TestGateway, input: { id: string; token: string }, onChunk?: (count: number) => void) {
  const chunks: ChatCompletionChunk[] = [];
  const ended = new Promise<{ chunks: ChatCompletionChunk[]; error: unknown; at: number }>((resolve) => {
    const sub = keylessFollower(gateway).chat.stream.subscribe(input, {
      onData: (event) => {
        chunks.push(event.data);
        onChunk?.(chunks.length);
      },
      onError: (error) => {
        resolve({ chunks, error, at: Date.now() });
        sub.unsubscribe();
      },
      onComplete: () => resolve({ chunks, error: null, at: Date.now() }),
      onConnectionStateChange: (state) => {
        if (state.state === "connecting" && state.error) {
          resolve({ chunks, error: state.error, at: Date.now() });
          sub.unsubscribe();
        }
      },
    });
  });
  return { chunks, ended };
}

const errorOf = (event: Json | undefined) => (event as { error?: { message?: string; type?: string } } | undefined)?.error;

describe("a revoked key", () => {
  const tmp = tempDir();
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  let replica: TestGateway;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    upstream.otherwise(stream(slowFrames, { delayMs: 30 }));
    const providers = [upstreamProvider(upstream.baseURL, ["slow"])];
    const sqlitePath = `${tmp.dir}/keys.db`;
    gateway = await startKeyedGateway({ sqlitePath }, { providers });
    // Another replica on the same store, trusting a key it read for 300 ms.
    replica = await startKeyedGateway({ sqlitePath, keyCacheMs: 300 }, { providers });
  });
  afterAll(async () => {
    await gateway?.close(100);
    await replica?.close(100);
    await upstream?.close();
    tmp.cleanup();
  });

  it("ends its running REST stream with a 401 and closes the upstream request; other streams go on", async () => {
    upstream.reset();
    upstream.otherwise(stream(slowFrames, { delayMs: 30 }));
    const doomed = await createKey(gateway);
    const bystander = await createKey(gateway);
    const cut = restStream(gateway, doomed.key, { model: "slow", messages: [{ role: "user", content: "go" }] });
    const other = restStream(gateway, bystander.key, { model: "echo", prompt: "one two three four five six", echo_delay_ms: 100 });
    const master = restStream(gateway, MASTER_KEY, { model: "echo", prompt: "one two three four five six", echo_delay_ms: 100 });
    await until(() => cut.events.length >= 3, "the doomed stream's first chunks");

    const revokedAt = Date.now();
    await adminClient(gateway).keys.revoke.mutate({ id: doomed.id });
    const endedAt = await within(cut.ended, 10_000, "the revoked key's stream");
    expect(endedAt - revokedAt).toBeLessThan(ENDS_WITHIN_MS);
    expect(cut.events.length).toBeLessThan(WORDS / 2);
    const last = errorOf(cut.events.at(-1));
    expect(last?.message).toMatch(/revoked/);
    expect(last?.type).toBe("invalid_request_error");
    // The upstream request is closed, not left generating for nobody.
    const call = await upstream.call(0);
    expect(await within(call.ended, ENDS_WITHIN_MS, "the upstream request's end")).toBe("aborted");

    await Promise.all([other.ended, master.ended]);
    for (const untouched of [other, master]) {
      expect(untouched.events.some((e) => errorOf(e))).toBe(false);
      expect(untouched.events.map((e) => (e as unknown as ChatCompletionChunk).choices[0]?.delta.content ?? "").join("")).toBe("one two three four five six");
    }
  });

  it("ends its running WebSocket `chat.generate` with a 401", async () => {
    const doomed = await createKey(gateway);
    const client = sdk(gateway, { apiKey: doomed.key });
    let received = 0;
    let revokedAt = 0;
    const ended = (async () => {
      try {
        for await (const _chunk of client.chat.stream({ model: "slow", prompt: "go" })) {
          received++;
          if (received === 3) {
            revokedAt = Date.now();
            await adminClient(gateway).keys.revoke.mutate({ id: doomed.id });
          }
        }
        return { error: null as unknown, at: Date.now() };
      } catch (error) {
        return { error, at: Date.now() };
      }
    })();
    const { error, at } = await within(ended, 10_000, "the WebSocket stream");
    expect(String((error as Error | null)?.message)).toMatch(/revoked/);
    expect(at - revokedAt).toBeLessThan(ENDS_WITHIN_MS);
    expect(received).toBeLessThan(WORDS / 2);
  });

  it("refuses its follow token, and ends the follower it had", async () => {
    const owner = await createKey(gateway);
    const http = sdk(gateway, { apiKey: owner.key, transport: "http" }).trpc;
    const followed = await http.chat.start.mutate({ model: "slow", prompt: "go" });
    const unfollowed = await http.chat.start.mutate({ model: "slow", prompt: "go" });
    let revokedAt = 0;
    const follower = followWithToken(gateway, followed, (count) => {
      if (count === 3) {
        revokedAt = Date.now();
        void adminClient(gateway).keys.revoke.mutate({ id: owner.id });
      }
    });
    const cut = await within(follower.ended, 10_000, "the token follower");
    expect(cut.error).toMatchObject({ data: { status: 401 } });
    expect(cut.at - revokedAt).toBeLessThan(ENDS_WITHIN_MS);
    expect(cut.chunks.length).toBeLessThan(WORDS / 2);

    // A token of the revoked key follows nothing: not the generation it was issued for, not a replay of the other.
    for (const token of [followed, unfollowed]) {
      const refused = await within(followWithToken(gateway, token).ended, 10_000, "a follow with a revoked key's token");
      expect(refused.error).toMatchObject({ data: { status: 401 } });
      expect(refused.chunks).toHaveLength(0);
    }
  });

  it("ends its stream on another replica within that replica's key cache time", async () => {
    const doomed = await createKey(gateway);
    const cut = restStream(replica, doomed.key, { model: "slow", messages: [{ role: "user", content: "go" }] });
    await until(() => cut.events.length >= 3, "the stream's first chunks on the other replica");
    const revokedAt = Date.now();
    await adminClient(gateway).keys.revoke.mutate({ id: doomed.id });
    const endedAt = await within(cut.ended, 10_000, "the stream on the other replica");
    expect(endedAt - revokedAt).toBeLessThan(300 + ENDS_WITHIN_MS);
    expect(errorOf(cut.events.at(-1))?.message).toMatch(/revoked/);
  });
});
