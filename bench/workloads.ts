/**
 * The workloads the bench measures: the same chat request sent directly to the fake upstream,
 * through the bare proxy, and through each door of the gateway, whole and streamed.
 */
import type { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import { EventSource } from "eventsource";
import { WebSocket } from "ws";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { createLanguruClient, type ChatCompletionRequestInput } from "../client/index.js";
import type { AppRouter } from "../server/doors/trpc/routers/_app.js";
import { http, keepAliveAgent, sseParser, type Task, type TaskResult } from "./load.js";
import { ANSWER, BURST_MODEL, LONG_ANSWER, LONG_STREAM_CHUNKS } from "./upstream.js";
import type { WrkRequest } from "./wrk.js";

/** Which hop sits between the load generator and the upstream. */
export type Via = "direct" | "proxy" | "gateway" | "gateway-keys" | "gateway-redis" | "peer";

/**
 * What is asked: a whole completion, a 20-chunk stream, a 64-chunk stream whose frames arrive one
 * per event-loop turn, or the same 64 frames in one upstream write (a burst).
 */
export type Kind = "whole" | "sse" | "sse64" | "burst64";

/** The base URLs of the running servers (and the bench's API key for the keys-on gateway). */
export interface Targets {
  upstream: string;
  proxy: string;
  gateway: string;
  gatewayKeys: string;
  apiKey: string;
  /** The peer gateway (Portkey), when BENCH_PEERS=1. */
  peer: string | null;
  /** Two gateways sharing generations through Redis, when REDIS_URL is set. */
  replicas: [string, string] | null;
}

/** What a workload needs to build its task. */
export interface WorkloadContext {
  targets: Targets;
  concurrency: number;
  timeoutMs: number;
}

/** A prepared workload: its task, and a function that frees its connections. */
export interface Prepared {
  task: Task;
  dispose(): void;
}

/** One row of the bench. */
export interface Workload {
  id: string;
  label: string;
  stream: boolean;
  kind: Kind;
  via: Via;
  /** Diagnostic rows run only when named in BENCH_ONLY or with BENCH_EXTRA=1. */
  extra?: boolean;
  /** Peer rows run only with BENCH_PEERS=1. */
  peer?: boolean;
  /** Rows on the Redis replicas run only with REDIS_URL set. */
  redis?: boolean;
  /** The request as wrk sends it: rows that are one plain HTTP request run under wrk; the others (tRPC over WebSocket, two-step streams) under the Node generator. */
  wrk?: (targets: Targets) => WrkRequest;
  prepare(context: WorkloadContext): Prepared;
}

/** The request every workload sends: small, so the hops' fixed costs dominate. */
export const REQUEST: ChatCompletionRequestInput = {
  model: "bench",
  messages: [{ role: "user", content: "Say twenty short words." }],
  max_tokens: 32,
};

/** The same request to the built-in `echo` model, which answers the same words without any upstream. */
const ECHO_REQUEST: ChatCompletionRequestInput = { ...REQUEST, model: "echo", messages: [{ role: "user", content: ANSWER }] };

const restBody = JSON.stringify(REQUEST);
const restStreamBody = JSON.stringify({ ...REQUEST, stream: true });
const restLongStreamBody = JSON.stringify({ ...REQUEST, max_tokens: LONG_STREAM_CHUNKS, stream: true });
// Model `bench-burst`: the fake upstream writes all 64 frames at once.
const BURST_REQUEST: ChatCompletionRequestInput = { ...REQUEST, model: BURST_MODEL, max_tokens: LONG_STREAM_CHUNKS };
const LONG_REQUEST: ChatCompletionRequestInput = { ...REQUEST, max_tokens: LONG_STREAM_CHUNKS };
const restBurstBody = JSON.stringify({ ...BURST_REQUEST, stream: true });
const echoBody = JSON.stringify(ECHO_REQUEST);
const echoStreamBody = JSON.stringify({ ...ECHO_REQUEST, stream: true });
// superjson's wire form of a plain JSON object is `{"json": value}`.
const trpcBody = JSON.stringify({ json: REQUEST });
const trpcStartBody = JSON.stringify({ json: { ...REQUEST, stream: true } });

/** Reads the first choice's text from a chunk or completion; `undefined` when absent. */
function firstChoiceText(value: unknown, key: "delta" | "message"): string | undefined {
  if (typeof value !== "object" || value === null || !("choices" in value) || !Array.isArray(value.choices)) return undefined;
  const choice: unknown = value.choices[0];
  if (typeof choice !== "object" || choice === null || !(key in choice)) return undefined;
  const inner: unknown = (choice as Record<string, unknown>)[key];
  if (typeof inner !== "object" || inner === null) return undefined;
  // A final chunk's delta is `{}`: no text, but a chunk all the same.
  if (!("content" in inner) || inner.content == null) return key === "delta" ? "" : undefined;
  return typeof inner.content === "string" ? inner.content : undefined;
}

/** Unwraps `{"result":{"data":{"json": value}}}`, tRPC's success envelope with superjson. */
function trpcData(body: string): unknown {
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== "object" || parsed === null || !("result" in parsed)) throw new Error(`not a tRPC result: ${body.slice(0, 200)}`);
  const result: unknown = parsed.result;
  if (typeof result !== "object" || result === null || !("data" in result)) throw new Error("tRPC result without data");
  const data: unknown = result.data;
  if (typeof data !== "object" || data === null || !("json" in data)) throw new Error("tRPC data without json");
  return data.json;
}

function expectAnswer(text: string | undefined, answer = ANSWER): void {
  if (text !== answer) throw new Error(`wrong answer: ${JSON.stringify(text)?.slice(0, 120)}`);
}

function expectOk(status: number, body: string): void {
  if (status !== 200) throw new Error(`HTTP ${status}: ${body.slice(0, 200)}`);
}

/** How a REST row talks to its hop. */
interface RestOptions {
  base: string;
  body?: string;
  /** Extra request headers: a key, or a peer's routing headers. */
  headers?: Record<string, string>;
  answer?: string;
}

/** POST an OpenAI-shaped request to `<base>/v1/chat/completions`, whole. */
function restComplete({ base, body: requestBody = restBody, headers }: RestOptions): Workload["prepare"] {
  return ({ concurrency, timeoutMs }) => {
    const agent = keepAliveAgent(concurrency);
    const url = new URL("/v1/chat/completions", base);
    return {
      task: async () => {
        const { status, body } = await http({ agent, url, method: "POST", body: requestBody, headers, timeoutMs });
        expectOk(status, body);
        expectAnswer(firstChoiceText(JSON.parse(body), "message"));
        return { firstChunkAt: null };
      },
      dispose: () => agent.destroy(),
    };
  };
}

/** POST an OpenAI-shaped streamed request and read the SSE until `[DONE]`. */
function restStream({ base, body: requestBody = restStreamBody, headers, answer = ANSWER }: RestOptions): Workload["prepare"] {
  return ({ concurrency, timeoutMs }) => {
    const agent = keepAliveAgent(concurrency);
    const url = new URL("/v1/chat/completions", base);
    return {
      task: async () => {
        let firstChunkAt: number | null = null;
        let text = "";
        let done = false;
        const onData = sseParser(({ data }) => {
          if (data === "[DONE]") {
            done = true;
            return;
          }
          const piece = firstChoiceText(JSON.parse(data), "delta");
          if (piece === undefined) throw new Error(`not a chunk: ${data.slice(0, 200)}`);
          if (piece !== "") firstChunkAt ??= performance.now();
          text += piece;
        });
        const { status } = await http({ agent, url, method: "POST", body: requestBody, headers, timeoutMs, onData });
        expectOk(status, text);
        if (!done) throw new Error("stream ended without [DONE]");
        expectAnswer(text, answer);
        return { firstChunkAt };
      },
      dispose: () => agent.destroy(),
    };
  };
}

/** The tRPC mutation over raw HTTP: the gateway's cost without the tRPC client's. */
function trpcRawComplete(): Workload["prepare"] {
  return ({ targets, concurrency, timeoutMs }) => {
    const agent = keepAliveAgent(concurrency);
    const url = new URL("/trpc/chat.completions", targets.gateway);
    return {
      task: async () => {
        const { status, body } = await http({ agent, url, method: "POST", body: trpcBody, timeoutMs });
        expectOk(status, body);
        expectAnswer(firstChoiceText(trpcData(body), "message"));
        return { firstChunkAt: null };
      },
      dispose: () => agent.destroy(),
    };
  };
}

/**
 * The mutation over the SDK's default transport minus the SDK: one raw `ws` socket (as the SDK
 * shares one), tRPC's JSON-RPC messages written by hand, replies matched by id.
 */
function trpcSocketComplete(): Workload["prepare"] {
  return ({ targets, timeoutMs }) => {
    const socket = new WebSocket(`${targets.gateway.replace(/^http/, "ws")}/trpc`);
    const opened = new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const pending = new Map<number, (reply: string) => void>();
    socket.on("message", (data: Buffer) => {
      const text = data.toString();
      // tRPC's keep-alive: the gateway pings idle sockets every 30 s.
      if (text === "PING") return void socket.send("PONG");
      const id = (JSON.parse(text) as { id?: number }).id;
      if (typeof id === "number") pending.get(id)?.(text);
    });
    let nextId = 0;
    return {
      task: async (): Promise<TaskResult> => {
        await opened;
        const id = ++nextId;
        const reply = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => {
            pending.delete(id);
            reject(new Error(`no reply within ${timeoutMs} ms`));
          }, timeoutMs);
          pending.set(id, (text) => {
            clearTimeout(timer);
            pending.delete(id);
            resolve(text);
          });
          socket.send(`{"id":${id},"method":"mutation","params":{"path":"chat.completions","input":${trpcBody}}}`);
        });
        expectAnswer(firstChoiceText(trpcData(reply), "message"));
        return { firstChunkAt: null };
      },
      dispose: () => socket.close(),
    };
  };
}

/**
 * `chat.start` then the `chat.stream` subscription over raw HTTP, as the SDK does it, minus the SDK;
 * `bases` picks the gateway that starts and the one that follows (two Redis replicas for the cross row).
 */
function trpcRawStream(bases: (targets: Targets) => { start: string; follow: string } = (t) => ({ start: t.gateway, follow: t.gateway })): Workload["prepare"] {
  return ({ targets, concurrency, timeoutMs }) => {
    const agent: Agent = keepAliveAgent(concurrency);
    const { start, follow } = bases(targets);
    const startURL = new URL("/trpc/chat.start", start);
    return {
      task: async () => {
        const started = await http({ agent, url: startURL, method: "POST", body: trpcStartBody, timeoutMs });
        expectOk(started.status, started.body);
        const ref = trpcData(started.body);
        if (typeof ref !== "object" || ref === null || !("id" in ref) || typeof ref.id !== "string") throw new Error("chat.start returned no id");
        const url = new URL("/trpc/chat.stream", follow);
        url.searchParams.set("input", JSON.stringify({ json: { id: ref.id } }));
        let firstChunkAt: number | null = null;
        let text = "";
        let done = false;
        const onData = sseParser(({ event, data }) => {
          if (event === "return") {
            done = true;
            return;
          }
          if (event === "serialized-error") throw new Error(`stream error: ${data.slice(0, 200)}`);
          if (event !== "message") return;
          const wire: unknown = JSON.parse(data);
          const chunk = typeof wire === "object" && wire !== null && "json" in wire ? wire.json : undefined;
          const piece = firstChoiceText(chunk, "delta");
          if (piece === undefined) throw new Error(`not a chunk: ${data.slice(0, 200)}`);
          if (piece !== "") firstChunkAt ??= performance.now();
          text += piece;
        });
        const { status } = await http({ agent, url, method: "GET", headers: { accept: "text/event-stream" }, timeoutMs, onData });
        expectOk(status, text);
        if (!done) throw new Error("subscription ended without a return event");
        expectAnswer(text);
        return { firstChunkAt };
      },
      dispose: () => agent.destroy(),
    };
  };
}

function sdkClient(targets: Targets, keys: boolean) {
  // eventsource's constructor matches the DOM one at runtime; its types differ in small details.
  // The SDK's default transport (a WebSocket; Node 20 passes `ws`'s class), as these rows measure it.
  const EventSourceClass = EventSource as unknown as typeof globalThis.EventSource;
  return keys
    ? createLanguruClient({ url: targets.gatewayKeys, apiKey: targets.apiKey, WebSocket, EventSource: EventSourceClass })
    : createLanguruClient({ url: targets.gateway, WebSocket, EventSource: EventSourceClass });
}

/** `client.chat.completions`: the typed SDK over its default transport, whatever that is. */
function sdkComplete(keys = false): Workload["prepare"] {
  return ({ targets, timeoutMs }) => {
    const client = sdkClient(targets, keys);
    return {
      task: async (): Promise<TaskResult> => {
        const completion = await client.chat.completions(REQUEST, { signal: AbortSignal.timeout(timeoutMs) });
        expectAnswer(completion.choices[0]?.message.content ?? undefined);
        return { firstChunkAt: null };
      },
      dispose: () => undefined,
    };
  };
}

/** `client.chat.stream`: the typed SDK's stream over its default transport, whatever that is. */
function sdkStream(keys = false, request: ChatCompletionRequestInput = REQUEST, answer = ANSWER): Workload["prepare"] {
  return ({ targets, timeoutMs }) => {
    const client = sdkClient(targets, keys);
    return {
      task: async (): Promise<TaskResult> => {
        let firstChunkAt: number | null = null;
        let text = "";
        for await (const chunk of client.chat.stream(request, { signal: AbortSignal.timeout(timeoutMs) })) {
          const piece = chunk.choices[0]?.delta.content ?? "";
          if (piece !== "") firstChunkAt ??= performance.now();
          text += piece;
        }
        expectAnswer(text, answer);
        return { firstChunkAt };
      },
      dispose: () => undefined,
    };
  };
}

/** The mutation through tRPC's own `httpLink` (fetch), as an app using tRPC directly over HTTP would call it. */
function trpcHttpLinkComplete(): Workload["prepare"] {
  return ({ targets, timeoutMs }) => {
    const client = createTRPCClient<AppRouter>({ links: [httpLink({ url: new URL("/trpc", targets.gateway).toString(), transformer: superjson })] });
    return {
      task: async (): Promise<TaskResult> => {
        const completion = await client.chat.completions.mutate(REQUEST, { signal: AbortSignal.timeout(timeoutMs) });
        expectAnswer(completion.choices[0]?.message.content ?? undefined);
        return { firstChunkAt: null };
      },
      dispose: () => undefined,
    };
  };
}

// Portkey's routing headers: the provider kind and our fake upstream as its custom host.
const peerHeaders = (targets: Targets) => ({
  "x-portkey-provider": "openai",
  "x-portkey-custom-host": new URL("/v1", targets.upstream).toString(),
  authorization: "Bearer sk-bench-not-a-key",
});
const keyHeaders = (targets: Targets) => ({ authorization: `Bearer ${targets.apiKey}` });
const replicasOf = (targets: Targets): [string, string] => {
  if (!targets.replicas) throw new Error("the Redis rows need REDIS_URL");
  return targets.replicas;
};
const peerBase = (targets: Targets) => {
  if (!targets.peer) throw new Error("the peer rows need BENCH_PEERS=1");
  return targets.peer;
};

/** wrk's request: a POST of `body` to `<base>/v1/chat/completions` (or `path`). */
const wrkPost =
  (base: (t: Targets) => string, body: string, authorization?: (t: Targets) => string, path = "/v1/chat/completions") =>
  (t: Targets): WrkRequest => ({ url: new URL(path, base(t)).toString(), body, authorization: authorization?.(t) });
const upstreamOf = (t: Targets) => t.upstream;
const proxyOf = (t: Targets) => t.proxy;
const gatewayOf = (t: Targets) => t.gateway;
const gatewayKeysOf = (t: Targets) => t.gatewayKeys;
const bearer = (t: Targets) => `Bearer ${t.apiKey}`;

/** Every row, in the order the tables print them. */
export const WORKLOADS: Workload[] = [
  {
    id: "direct",
    label: "direct → upstream",
    stream: false,
    kind: "whole",
    via: "direct",
    wrk: wrkPost(upstreamOf, restBody),
    prepare: (c) => restComplete({ base: c.targets.upstream })(c),
  },
  {
    id: "proxy",
    label: "bare node:http proxy",
    stream: false,
    kind: "whole",
    via: "proxy",
    wrk: wrkPost(proxyOf, restBody),
    prepare: (c) => restComplete({ base: c.targets.proxy })(c),
  },
  {
    id: "rest",
    label: "Languru REST `/v1/chat/completions`",
    stream: false,
    kind: "whole",
    via: "gateway",
    wrk: wrkPost(gatewayOf, restBody),
    prepare: (c) => restComplete({ base: c.targets.gateway })(c),
  },
  {
    id: "rest-keys",
    label: "Languru REST, keys on",
    stream: false,
    kind: "whole",
    via: "gateway-keys",
    wrk: wrkPost(gatewayKeysOf, restBody, bearer),
    prepare: (c) => restComplete({ base: c.targets.gatewayKeys, headers: keyHeaders(c.targets) })(c),
  },
  // The same three rows under the Node load generator, side by side with wrk's.
  {
    id: "direct-node",
    label: "direct → upstream (Node load generator)",
    stream: false,
    kind: "whole",
    via: "direct",
    prepare: (c) => restComplete({ base: c.targets.upstream })(c),
  },
  {
    id: "proxy-node",
    label: "bare node:http proxy (Node load generator)",
    stream: false,
    kind: "whole",
    via: "proxy",
    prepare: (c) => restComplete({ base: c.targets.proxy })(c),
  },
  {
    id: "rest-node",
    label: "Languru REST (Node load generator)",
    stream: false,
    kind: "whole",
    via: "gateway",
    prepare: (c) => restComplete({ base: c.targets.gateway })(c),
  },
  {
    id: "trpc-sdk",
    label: "Languru tRPC `client.chat.completions` (SDK default transport)",
    stream: false,
    kind: "whole",
    via: "gateway",
    prepare: sdkComplete(),
  },
  {
    id: "trpc-sdk-keys",
    label: "Languru tRPC `client.chat.completions`, keys on",
    stream: false,
    kind: "whole",
    via: "gateway-keys",
    prepare: sdkComplete(true),
  },
  { id: "trpc-raw-ws", label: "Languru tRPC mutation, raw WebSocket", stream: false, kind: "whole", via: "gateway", prepare: trpcSocketComplete() },
  {
    id: "trpc-raw",
    label: "Languru tRPC mutation, raw HTTP",
    stream: false,
    kind: "whole",
    via: "gateway",
    wrk: wrkPost(gatewayOf, trpcBody, undefined, "/trpc/chat.completions"),
    prepare: trpcRawComplete(),
  },
  { id: "trpc-httplink", label: "Languru tRPC mutation, tRPC `httpLink`", stream: false, kind: "whole", via: "gateway", prepare: trpcHttpLinkComplete() },
  {
    id: "peer",
    label: "Portkey gateway (peer)",
    stream: false,
    kind: "whole",
    via: "peer",
    peer: true,
    prepare: (c) => restComplete({ base: peerBase(c.targets), headers: peerHeaders(c.targets) })(c),
  },
  {
    id: "direct-sse",
    label: "direct → upstream (SSE)",
    stream: true,
    kind: "sse",
    via: "direct",
    wrk: wrkPost(upstreamOf, restStreamBody),
    prepare: (c) => restStream({ base: c.targets.upstream })(c),
  },
  {
    id: "proxy-sse",
    label: "bare node:http proxy (SSE)",
    stream: true,
    kind: "sse",
    via: "proxy",
    wrk: wrkPost(proxyOf, restStreamBody),
    prepare: (c) => restStream({ base: c.targets.proxy })(c),
  },
  {
    id: "rest-sse",
    label: "Languru REST `stream: true`",
    stream: true,
    kind: "sse",
    via: "gateway",
    wrk: wrkPost(gatewayOf, restStreamBody),
    prepare: (c) => restStream({ base: c.targets.gateway })(c),
  },
  {
    id: "rest-sse-keys",
    label: "Languru REST `stream: true`, keys on",
    stream: true,
    kind: "sse",
    via: "gateway-keys",
    wrk: wrkPost(gatewayKeysOf, restStreamBody, bearer),
    prepare: (c) => restStream({ base: c.targets.gatewayKeys, headers: keyHeaders(c.targets) })(c),
  },
  { id: "trpc-sdk-sse", label: "Languru tRPC `client.chat.stream` (SDK default transport)", stream: true, kind: "sse", via: "gateway", prepare: sdkStream() },
  { id: "trpc-sdk-sse-keys", label: "Languru tRPC `client.chat.stream`, keys on", stream: true, kind: "sse", via: "gateway-keys", prepare: sdkStream(true) },
  { id: "trpc-raw-sse", label: "Languru tRPC start + subscribe, raw HTTP", stream: true, kind: "sse", via: "gateway", prepare: trpcRawStream() },
  {
    id: "trpc-redis-sse",
    label: "Languru tRPC start + subscribe, generations shared through Redis (one replica)",
    stream: true,
    kind: "sse",
    via: "gateway-redis",
    redis: true,
    prepare: trpcRawStream((t) => ({ start: replicasOf(t)[0], follow: replicasOf(t)[0] })),
  },
  {
    id: "trpc-redis-cross-sse",
    label: "Languru tRPC start on replica A, follow on replica B through Redis",
    stream: true,
    kind: "sse",
    via: "gateway-redis",
    redis: true,
    prepare: trpcRawStream((t) => ({ start: replicasOf(t)[0], follow: replicasOf(t)[1] })),
  },
  {
    id: "peer-sse",
    label: "Portkey gateway (peer, SSE)",
    stream: true,
    kind: "sse",
    via: "peer",
    peer: true,
    prepare: (c) => restStream({ base: peerBase(c.targets), headers: peerHeaders(c.targets) })(c),
  },
  {
    id: "direct-sse64",
    label: "direct → upstream (SSE, 64 chunks, one per turn)",
    stream: true,
    kind: "sse64",
    via: "direct",
    wrk: wrkPost(upstreamOf, restLongStreamBody),
    prepare: (c) => restStream({ base: c.targets.upstream, body: restLongStreamBody, answer: LONG_ANSWER })(c),
  },
  {
    id: "proxy-sse64",
    label: "bare node:http proxy (SSE, 64 chunks, one per turn)",
    stream: true,
    kind: "sse64",
    via: "proxy",
    wrk: wrkPost(proxyOf, restLongStreamBody),
    prepare: (c) => restStream({ base: c.targets.proxy, body: restLongStreamBody, answer: LONG_ANSWER })(c),
  },
  {
    id: "rest-sse64",
    label: "Languru REST `stream: true`, 64 chunks, one per turn",
    stream: true,
    kind: "sse64",
    via: "gateway",
    wrk: wrkPost(gatewayOf, restLongStreamBody),
    prepare: (c) => restStream({ base: c.targets.gateway, body: restLongStreamBody, answer: LONG_ANSWER })(c),
  },
  {
    id: "rest-sse64-keys",
    label: "Languru REST `stream: true`, 64 chunks, one per turn, keys on",
    stream: true,
    kind: "sse64",
    via: "gateway-keys",
    wrk: wrkPost(gatewayKeysOf, restLongStreamBody, bearer),
    prepare: (c) => restStream({ base: c.targets.gatewayKeys, body: restLongStreamBody, headers: keyHeaders(c.targets), answer: LONG_ANSWER })(c),
  },
  {
    id: "trpc-sdk-sse64",
    label: "Languru tRPC `client.chat.stream`, 64 chunks, one per turn",
    stream: true,
    kind: "sse64",
    via: "gateway",
    prepare: sdkStream(false, LONG_REQUEST, LONG_ANSWER),
  },
  {
    id: "direct-burst64",
    label: "direct → upstream (SSE, 64 chunks in one write)",
    stream: true,
    kind: "burst64",
    via: "direct",
    wrk: wrkPost(upstreamOf, restBurstBody),
    prepare: (c) => restStream({ base: c.targets.upstream, body: restBurstBody, answer: LONG_ANSWER })(c),
  },
  {
    id: "proxy-burst64",
    label: "bare node:http proxy (SSE, 64 chunks in one write)",
    stream: true,
    kind: "burst64",
    via: "proxy",
    wrk: wrkPost(proxyOf, restBurstBody),
    prepare: (c) => restStream({ base: c.targets.proxy, body: restBurstBody, answer: LONG_ANSWER })(c),
  },
  {
    id: "rest-burst64",
    label: "Languru REST `stream: true`, 64 chunks in one write",
    stream: true,
    kind: "burst64",
    via: "gateway",
    wrk: wrkPost(gatewayOf, restBurstBody),
    prepare: (c) => restStream({ base: c.targets.gateway, body: restBurstBody, answer: LONG_ANSWER })(c),
  },
  {
    id: "rest-burst64-keys",
    label: "Languru REST `stream: true`, 64 chunks in one write, keys on",
    stream: true,
    kind: "burst64",
    via: "gateway-keys",
    wrk: wrkPost(gatewayKeysOf, restBurstBody, bearer),
    prepare: (c) => restStream({ base: c.targets.gatewayKeys, body: restBurstBody, headers: keyHeaders(c.targets), answer: LONG_ANSWER })(c),
  },
  {
    id: "trpc-sdk-burst64",
    label: "Languru tRPC `client.chat.stream`, 64 chunks in one write",
    stream: true,
    kind: "burst64",
    via: "gateway",
    prepare: sdkStream(false, BURST_REQUEST, LONG_ANSWER),
  },
  {
    id: "rest-echo",
    label: "Languru REST, `echo` model (no upstream)",
    stream: false,
    kind: "whole",
    via: "gateway",
    extra: true,
    wrk: wrkPost(gatewayOf, echoBody),
    prepare: (c) => restComplete({ base: c.targets.gateway, body: echoBody })(c),
  },
  {
    id: "rest-echo-sse",
    label: "Languru REST `stream: true`, `echo` model (no upstream)",
    stream: true,
    kind: "sse",
    via: "gateway",
    extra: true,
    wrk: wrkPost(gatewayOf, echoStreamBody),
    prepare: (c) => restStream({ base: c.targets.gateway, body: echoStreamBody })(c),
  },
];
