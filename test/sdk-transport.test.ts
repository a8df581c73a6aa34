/**
 * The SDK's transports over a real gateway: WebSocket by default (a stream is one subscription, an
 * explicit stop cancels at once, a dropped socket keeps the resume grace), HTTP as the fallback
 * (the SSE follow is authorised by the token `chat.start` returned), no key in any URL, and typed
 * inputs that refuse typos while `extra_body` carries provider fields to the upstream.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import path from "node:path";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventSource } from "eventsource";
import { WebSocket } from "ws";
import { AuthenticationError, createLanguruClient, InvalidRequestError, type ChatCompletionChunk, type ChatCompletionParams } from "../client/index.js";
import { createKey, MASTER_KEY, startKeyedGateway, tempDir } from "./helpers/access.js";
import { completion, startFakeUpstream, stream, type FakeUpstream } from "./helpers/fake-upstream.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";
import { startTcpProxy } from "./helpers/tcp-proxy.js";

const slow = (words: number, delayMs = 50): ChatCompletionParams => ({
  model: "echo",
  prompt: Array.from({ length: words }, (_, i) => `w${i}`).join(" "),
  extra_body: { echo_delay_ms: delayMs },
});

/** Subscribes to `chat.generate` with a raw tRPC client and resolves once `n` chunks (in batches) arrived. */
function firstChunks(trpc: ReturnType<typeof sdk>["trpc"], request: ChatCompletionParams, n: number) {
  const chunks: ChatCompletionChunk[] = [];
  return new Promise<{ chunks: ChatCompletionChunk[]; lastEventId: string; events: number; unsubscribe: () => void }>((resolve, reject) => {
    let lastEventId = "";
    let events = 0;
    const sub = trpc.chat.generate.subscribe(request, {
      onData: (event) => {
        if (chunks.length >= n) return;
        expect(event.data.length).toBeGreaterThan(0);
        chunks.push(...event.data);
        events++;
        lastEventId = event.id;
        if (chunks.length >= n) resolve({ chunks, lastEventId, events, unsubscribe: () => sub.unsubscribe() });
      },
      onError: reject,
    });
  });
}

describe("WebSocket transport (the default)", () => {
  let gateway: TestGateway;
  const upgrades: string[] = [];
  beforeAll(async () => {
    gateway = await startGateway({ resumeGraceMs: 10_000 });
    gateway.server.on("upgrade", (req: IncomingMessage) => upgrades.push(req.url ?? ""));
  });
  afterAll(() => gateway.close(100));

  it("streams as one subscription whose events are batches tracked as <generation>:<index of their last chunk>", async () => {
    const { chunks, lastEventId, unsubscribe } = await firstChunks(sdk(gateway).trpc, slow(3, 0), 5);
    unsubscribe();
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("w0 w1 w2");
    expect(lastEventId).toMatch(new RegExp(`^gen-[0-9a-f-]{36}:${chunks.length - 1}$`));
  });

  it("a burst of chunks (one event-loop turn) is one message, and paced chunks are one message each", async () => {
    // echo without delay emits its chunks back to back: after the first (sent at once), they share messages.
    const burst = await firstChunks(sdk(gateway).trpc, slow(200, 0), 202);
    burst.unsubscribe();
    expect(burst.chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(Array.from({ length: 200 }, (_, i) => `w${i}`).join(" "));
    expect(burst.events).toBeLessThan(20);
    const paced = await firstChunks(sdk(gateway).trpc, slow(4, 40), 5);
    paced.unsubscribe();
    expect(paced.events).toBe(5);
  });

  it("a raw subscriber that unsubscribes (a component unmount) cancels the generation at once, without chat.cancel", async () => {
    // 200 words 50 ms apart run ~10 s: only the cancel can end it within the poll.
    const { unsubscribe } = await firstChunks(sdk(gateway).trpc, slow(200), 2);
    expect(gateway.services.generations.running()).toBe(1);
    unsubscribe();
    // The resume grace is 10 s; the stop message ends it now.
    await expect.poll(() => gateway.services.generations.running(), { timeout: 2_000, interval: 20 }).toBe(0);
  });

  it("a dropped socket keeps the generation for the resume grace, and a resubscribe with lastEventId follows the same one", async () => {
    const client = sdk(gateway);
    const { chunks, lastEventId } = await firstChunks(client.trpc, slow(20, 30), 3);
    await client.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(gateway.services.generations.running()).toBe(1);

    const rest: ChatCompletionChunk[] = [];
    await new Promise<void>((resolve, reject) => {
      sdk(gateway).trpc.chat.generate.subscribe(
        { ...slow(20, 30), lastEventId },
        { onData: (e) => rest.push(...e.data), onComplete: resolve, onError: reject },
      );
    });
    const text = [...chunks, ...rest].map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(Array.from({ length: 20 }, (_, i) => `w${i}`).join(" "));
    expect(new Set([...chunks, ...rest].map((c) => c.id)).size).toBe(1);
  });

  it("without a WebSocket (Node 20 with no `ws` passed) the client falls back to HTTP, streams included", async () => {
    expect(globalThis.WebSocket).toBeUndefined();
    const client = createLanguruClient({ url: gateway.baseURL, EventSource: EventSource as unknown as typeof globalThis.EventSource });
    expect((await client.chat.completions({ model: "echo", prompt: "plain node" })).choices[0]?.message.content).toBe("plain node");
    let text = "";
    for await (const chunk of client.chat.stream({ model: "echo", prompt: "over sse" })) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("over sse");
    await client.close();
  });

  it("on an open socket a call and a stream go out within the same task's microtasks, not after a timer", async () => {
    // tRPC's own client waits setTimeout(0) (≥ 1 ms) before each send; the SDK must not.
    const sent: string[] = [];
    class RecordingSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        const send = this.send.bind(this);
        this.send = ((data: string) => {
          sent.push(String(data));
          send(data);
        }) as typeof this.send;
      }
    }
    const client = createLanguruClient({ url: gateway.baseURL, WebSocket: RecordingSocket });
    await client.models.list();
    const microtasks = async () => {
      for (let i = 0; i < 20; i++) await null;
    };
    for (const [name, start] of [
      ["chat.completions", () => void client.chat.completions({ model: "echo", prompt: "now" }).catch(() => undefined)],
      ["chat.generate", () => void client.chat.stream({ model: "echo", prompt: "now" }).next()],
      ["models.list", () => void client.models.list()],
    ] as const) {
      sent.length = 0;
      start();
      await microtasks();
      expect(sent.some((message) => message.includes(`"${name}"`))).toBe(true);
    }
    await client.close();
  });

  it("a 200 KB request travels whole over the socket, not in a URL", async () => {
    const content = "x ".repeat(100_000);
    let promptTokens = 0;
    const request = { model: "echo", messages: [{ role: "user" as const, content }], max_tokens: 2, stream_options: { include_usage: true } };
    for await (const chunk of sdk(gateway).chat.stream(request)) promptTokens = chunk.usage?.prompt_tokens ?? promptTokens;
    // Every one of the 100,000 words reached the model.
    expect(promptTokens).toBeGreaterThanOrEqual(100_000);
    expect(upgrades.length).toBeGreaterThan(0);
    for (const url of upgrades) expect(url.length).toBeLessThan(100);
  });
});

describe("no key in a URL", () => {
  const tmp = tempDir();
  let gateway: TestGateway;
  const urls: string[] = [];
  beforeAll(async () => {
    gateway = await startKeyedGateway({ sqlitePath: path.join(tmp.dir, "languru.db") });
    gateway.server.on("request", (req: IncomingMessage) => urls.push(req.url ?? ""));
    gateway.server.on("upgrade", (req: IncomingMessage) => urls.push(req.url ?? ""));
  });
  afterAll(async () => {
    await gateway.close(100);
    tmp.cleanup();
  });

  it("HTTP ignores connectionParams: the master key in a URL is refused", async () => {
    const params = encodeURIComponent(JSON.stringify({ apiKey: MASTER_KEY }));
    const res = await fetch(`${gateway.baseURL}/trpc/keys.list?connectionParams=${params}`);
    expect(res.status).toBe(401);
    expect((await fetch(`${gateway.baseURL}/trpc/models.list?connectionParams=${params}`)).status).toBe(401);
  });

  it("the SDK never puts the key in a URL, over WebSocket or HTTP", async () => {
    const { key } = await createKey(gateway);
    for (const transport of ["websocket", "http"] as const) {
      const client = sdk(gateway, { apiKey: key, transport });
      let text = "";
      for await (const chunk of client.chat.stream({ model: "echo", prompt: "one two" })) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toBe("one two");
      expect((await client.chat.completions({ model: "echo", prompt: "three" })).choices[0]?.message.content).toBe("three");
      await client.close();
    }
    expect(urls.some((u) => u.startsWith("/trpc/chat.stream"))).toBe(true);
    expect(urls.some((u) => u.startsWith("/trpc?connectionParams=1"))).toBe(true);
    for (const url of urls) {
      expect(url).not.toContain(key);
      expect(decodeURIComponent(url)).not.toContain(key);
    }
  });

  it("an SSE follow needs the token chat.start returned (or the owner's key in a header)", async () => {
    const { key } = await createKey(gateway);
    const started = await sdk(gateway, { apiKey: key, transport: "http" }).trpc.chat.start.mutate({ ...slow(3, 10), stream: true });
    // `<key id>.<HMAC of the generation id and key id>`: any replica can check it, no key in it.
    expect(started.token).toMatch(/^[0-9a-f]{12}\.[\w-]{43}$/);
    const follow = (input: Record<string, unknown>, headers: Record<string, string> = {}) =>
      fetch(`${gateway.baseURL}/trpc/chat.stream?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`, { headers });
    // An SSE answer is a 200 whose error, if any, is a frame of the stream.
    const text = async (res: Response) => (await res.text()).replaceAll("\\", "");

    expect(await text(await follow({ id: started.id }))).toMatch(/invalid_api_key/);
    expect(await text(await follow({ id: started.id, token: "A".repeat(32) }))).toMatch(/generation_not_found/);
    const withToken = await text(await follow({ id: started.id, token: started.token }));
    expect(withToken).toContain("w2");
    const withHeader = await text(await follow({ id: started.id }, { authorization: `Bearer ${key}` }));
    expect(withHeader).toContain("w2");
  });

  it("a WebSocket without a key is refused with a typed 401", async () => {
    const client = sdk(gateway);
    await expect(client.chat.completions({ model: "echo", prompt: "hi" })).rejects.toBeInstanceOf(AuthenticationError);
    await client.close();
  });
});

describe("typed inputs", () => {
  let upstream: FakeUpstream;
  let gateway: TestGateway;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["real-model"])] });
  });
  afterAll(async () => {
    await gateway.close(100);
    await upstream.close();
  });

  it("a misspelled field is a compile error and a 400", async () => {
    const client = sdk(gateway);
    // @ts-expect-error `temprature` is not a field
    const typo = client.chat.completions({ model: "real-model", prompt: "hi", temprature: 0.5 });
    await expect(typo).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(typo).rejects.toThrow(/temprature/);
    expect(upstream.calls).toHaveLength(0);
  });

  it("extra_body fields reach the upstream at the top level; known fields stay where they are", async () => {
    upstream.script(completion());
    await sdk(gateway).chat.completions({ model: "real-model", prompt: "hi", temperature: 0.5, extra_body: { top_k: 40, repetition_penalty: 1.1 } });
    const { body } = await upstream.call(0);
    expect(body).toMatchObject({ temperature: 0.5, top_k: 40, repetition_penalty: 1.1 });
    expect(body).not.toHaveProperty("extra_body");
  });

  it("extra_body may not override a validated field", async () => {
    const client = sdk(gateway);
    await expect(client.chat.completions({ model: "real-model", prompt: "hi", extra_body: { n: 1000 } })).rejects.toMatchObject({
      status: 400,
      param: "extra_body.n",
    });
  });

  it("the REST door keeps forwarding unknown fields", async () => {
    upstream.reset();
    upstream.script(completion());
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "real-model", messages: [{ role: "user", content: "hi" }], top_k: 40 }),
    });
    expect(res.status).toBe(200);
    expect((await upstream.call(0)).body).toMatchObject({ top_k: 40 });
  });
});

describe("Node 20 without a WebSocket", () => {
  it("asked for the WebSocket transport, says what to pass", () => {
    const saved = globalThis.WebSocket;
    Object.defineProperty(globalThis, "WebSocket", { value: undefined, configurable: true, writable: true });
    try {
      expect(() => sdk({ baseURL: "http://127.0.0.1:1" } as TestGateway, { WebSocket: undefined, transport: "websocket" })).toThrow(/WebSocket/);
    } finally {
      Object.defineProperty(globalThis, "WebSocket", { value: saved, configurable: true, writable: true });
    }
  });
});

describe("shutdown with WebSocket clients", () => {
  it("closes idle sockets at once and lets an open stream finish within the grace", async () => {
    const gateway = await startGateway();
    const idle = sdk(gateway);
    await idle.models.list();
    const streaming = sdk(gateway);
    let text = "";
    const done = (async () => {
      for await (const chunk of streaming.chat.stream(slow(10, 40))) text += chunk.choices[0]?.delta.content ?? "";
    })();
    await expect.poll(() => gateway.services.generations.running()).toBe(1);
    const started = Date.now();
    await gateway.close(10_000);
    await done;
    expect(text).toBe(Array.from({ length: 10 }, (_, i) => `w${i}`).join(" "));
    // Not the 10 s grace: the idle socket was closed at once, the busy one when its stream ended.
    expect(Date.now() - started).toBeLessThan(5_000);
    await Promise.all([idle.close(), streaming.close()]);
  });
});

describe("WebSocket limits and failures", () => {
  it("an input the gateway refuses (a BigInt, too deep) is that call's typed 400 at once, not a call left waiting", async () => {
    const gateway = await startGateway();
    const client = sdk(gateway);
    const signal = () => AbortSignal.timeout(5_000);
    const bigint = { model: "echo", prompt: "hi", extra_body: { x: 1n } } as unknown as ChatCompletionParams;
    await expect(client.chat.completions(bigint, { signal: signal() })).rejects.toMatchObject({ name: "InvalidRequestError", status: 400 });
    let deep: unknown = "leaf";
    for (let i = 0; i < 100; i++) deep = [deep];
    const tooDeep = { model: "echo", prompt: "hi", extra_body: { deep } } as unknown as ChatCompletionParams;
    await expect(
      (async () => {
        for await (const _chunk of client.chat.stream(tooDeep, { signal: signal() }));
      })(),
    ).rejects.toMatchObject({ name: "InvalidRequestError", status: 400 });
    expect((await client.chat.completions({ model: "echo", prompt: "still here" })).choices[0]?.message.content).toBe("still here");
    await client.close();
    await gateway.close(100);
  });

  it("a message over the body limit is a typed 413 for each call in it, and the socket keeps working", async () => {
    const gateway = await startGateway({ bodyLimitBytes: 100_000 });
    const client = sdk(gateway);
    const big = { model: "echo", prompt: "x ".repeat(60_000) };
    await expect(client.chat.completions(big)).rejects.toMatchObject({ name: "PayloadTooLargeError", status: 413 });
    await expect(
      (async () => {
        for await (const _chunk of client.chat.stream(big));
      })(),
    ).rejects.toMatchObject({ name: "PayloadTooLargeError", status: 413 });
    expect((await client.chat.completions({ model: "echo", prompt: "still here" })).choices[0]?.message.content).toBe("still here");
    await client.close();
    await gateway.close(100);
  });

  it("a client that stops reading its socket does not make the gateway queue the streams' output for it", { timeout: 30_000 }, async () => {
    const upstream = await startFakeUpstream();
    const gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["big"], { name: "up" })] });
    const piece = "x".repeat(20_000);
    const base = { id: "chatcmpl-big", object: "chat.completion.chunk", created: 1_700_000_000, model: "big" };
    const frames = Array.from({ length: 60 }, (_, i) => ({
      ...base,
      choices: [{ index: 0, delta: { content: piece }, finish_reason: i === 59 ? "stop" : null, logprobs: null }],
    }));
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    upstream.otherwise(stream(frames));
    const serverSockets: Duplex[] = [];
    gateway.server.on("upgrade", (_req: IncomingMessage, socket: Duplex) => serverSockets.push(socket));
    const ws = new WebSocket(`${gateway.baseURL.replace("http", "ws")}/trpc`);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const received = new Map<number, number>();
    const stopped = new Set<number>();
    ws.on("message", (data: Buffer) => {
      // A tracked event: { id: "<generation>:<index>", data: chunks }, in the superjson envelope.
      const message = JSON.parse(data.toString()) as { id: number; result?: { type: string; data?: { json: { data: ChatCompletionChunk[] } } } };
      if (message.result?.type === "stopped") stopped.add(message.id);
      for (const chunk of message.result?.data?.json.data ?? []) {
        received.set(message.id, (received.get(message.id) ?? 0) + (chunk.choices[0]?.delta.content?.length ?? 0));
      }
    });
    // The client stops reading: once the kernel's buffers are full, what the gateway sends waits in its process.
    (ws as unknown as { _socket: Duplex })._socket.pause();
    // More streams than an emitter's listener limit: they wait on the socket together.
    const streams = 24;
    for (let id = 1; id <= streams; id++) {
      const input = { model: "big", messages: [{ role: "user", content: `hi ${id}` }] };
      ws.send(JSON.stringify({ id, method: "subscription", params: { path: "chat.generate", input: superjson.serialize(input) } }));
    }
    // Every generation ran to its end upstream (29 MB in all, buffered once by the gateway) ...
    await expect.poll(() => upstream.calls.length, { timeout: 10_000 }).toBe(streams);
    await expect.poll(() => gateway.services.generations.running(), { timeout: 10_000 }).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // ... while the socket's queue stayed near its 1 MiB mark instead of holding every stream's output again.
    expect(serverSockets).toHaveLength(1);
    expect(serverSockets[0]?.writableLength).toBeLessThan(4 * 1024 * 1024);
    // However many streams wait, the socket carries one wait for its drain.
    expect(serverSockets[0]?.listenerCount("drain")).toBeLessThanOrEqual(2);
    // Reading again, the client gets every stream whole.
    (ws as unknown as { _socket: Duplex })._socket.resume();
    await expect.poll(() => stopped.size, { timeout: 20_000 }).toBe(streams);
    expect([...received.values()]).toEqual(Array(streams).fill(60 * piece.length));
    process.off("warning", onWarning);
    expect(warnings).not.toContain("MaxListenersExceededWarning");
    ws.close();
    await gateway.close(100);
    await upstream.close();
  });

  it("a gateway that goes away mid-stream ends the stream with a ConnectionError after reconnectTimeoutMs", async () => {
    const gateway = await startGateway();
    // The network path to the gateway disappears: every connection dropped, new ones refused.
    const { port } = new URL(gateway.baseURL);
    const path = await startTcpProxy({ host: "127.0.0.1", port: Number(port) });
    const client = sdk(gateway, { url: `http://127.0.0.1:${path.port}`, reconnectTimeoutMs: 1_000 });
    let n = 0;
    const failure = (async () => {
      for await (const _chunk of client.chat.stream(slow(20, 100))) if (++n === 2) path.cut();
    })();
    await expect(failure).rejects.toMatchObject({ name: "ConnectionError" });
    expect(n).toBe(2);
    await client.close();
    await path.close();
    await gateway.close(100);
  });

  it("a gateway shutting down past its grace ends the stream with a clear 503, not a wait", async () => {
    const gateway = await startGateway();
    const client = sdk(gateway, { reconnectTimeoutMs: 30_000 });
    let n = 0;
    const startedAt = Date.now();
    const failure = (async () => {
      for await (const _chunk of client.chat.stream(slow(20, 100))) if (++n === 2) void gateway.close(0);
    })();
    await expect(failure).rejects.toMatchObject({ name: "ServiceUnavailableError", status: 503 });
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    await client.close();
  });
});

describe("WebSocket origin", () => {
  /** Opens a raw socket to /trpc; resolves with the HTTP status of a refused upgrade, or 101. */
  function upgrade(url: string, origin?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url.replace("http", "ws")}/trpc`, origin ? { origin } : {});
      ws.on("open", () => {
        ws.close();
        resolve(101);
      });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("error", reject);
    });
  }

  it("honours LANGURU_CORS_ORIGIN like CORS does for HTTP: other browser origins are refused", async () => {
    const gateway = await startGateway({ corsOrigin: "https://app.example" });
    expect(await upgrade(gateway.baseURL, "https://evil.example")).toBe(403);
    expect(await upgrade(gateway.baseURL, "https://app.example")).toBe(101);
    expect(await upgrade(gateway.baseURL)).toBe(101); // not a browser
    await gateway.close(100);
  });

  it("refuses upgrades outside /trpc", async () => {
    const gateway = await startGateway();
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${gateway.baseURL.replace("http", "ws")}/v1/chat/completions`);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => reject(new Error("opened")));
      ws.on("error", reject);
    });
    expect(status).toBe(404);
    await gateway.close(100);
  });
});
