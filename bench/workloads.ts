/**
 * The workloads the bench measures: the same chat request sent directly to the fake upstream,
 * through the bare proxy, and through each door of the gateway, whole and streamed.
 */
import type { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import { EventSource } from "eventsource";
import { createLanguruClient, type ChatCompletionRequestInput } from "../client/index.js";
import { http, keepAliveAgent, sseParser, type Task, type TaskResult } from "./load.js";
import { ANSWER } from "./upstream.js";

/** Which hop sits between the load generator and the upstream. */
export type Via = "direct" | "proxy" | "gateway";

/** The base URLs of the running servers. */
export interface Targets {
  upstream: string;
  proxy: string;
  gateway: string;
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
  via: Via;
  /** Diagnostic rows run only when named in BENCH_ONLY or with BENCH_EXTRA=1. */
  extra?: boolean;
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

function expectAnswer(text: string | undefined): void {
  if (text !== ANSWER) throw new Error(`wrong answer: ${JSON.stringify(text)?.slice(0, 120)}`);
}

function expectOk(status: number, body: string): void {
  if (status !== 200) throw new Error(`HTTP ${status}: ${body.slice(0, 200)}`);
}

/** POST an OpenAI-shaped request to `<base>/v1/chat/completions`, whole. */
function restComplete(base: string, requestBody = restBody): Workload["prepare"] {
  return ({ concurrency, timeoutMs }) => {
    const agent = keepAliveAgent(concurrency);
    const url = new URL("/v1/chat/completions", base);
    return {
      task: async () => {
        const { status, body } = await http({ agent, url, method: "POST", body: requestBody, timeoutMs });
        expectOk(status, body);
        expectAnswer(firstChoiceText(JSON.parse(body), "message"));
        return { firstChunkAt: null };
      },
      dispose: () => agent.destroy(),
    };
  };
}

/** POST an OpenAI-shaped streamed request and read the SSE until `[DONE]`. */
function restStream(base: string, requestBody = restStreamBody): Workload["prepare"] {
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
        const { status } = await http({ agent, url, method: "POST", body: requestBody, timeoutMs, onData });
        expectOk(status, text);
        if (!done) throw new Error("stream ended without [DONE]");
        expectAnswer(text);
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

/** `chat.start` then the `chat.stream` subscription over raw HTTP, as the SDK does it, minus the SDK. */
function trpcRawStream(): Workload["prepare"] {
  return ({ targets, concurrency, timeoutMs }) => {
    const agent: Agent = keepAliveAgent(concurrency);
    const startURL = new URL("/trpc/chat.start", targets.gateway);
    return {
      task: async () => {
        const started = await http({ agent, url: startURL, method: "POST", body: trpcStartBody, timeoutMs });
        expectOk(started.status, started.body);
        const ref = trpcData(started.body);
        if (typeof ref !== "object" || ref === null || !("id" in ref) || typeof ref.id !== "string") throw new Error("chat.start returned no id");
        const url = new URL("/trpc/chat.stream", targets.gateway);
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

function sdkClient(targets: Targets) {
  // eventsource's constructor matches the DOM one at runtime; its types differ in small details.
  // The HTTP transport, as these rows measure it (the SDK default is now the WebSocket).
  return createLanguruClient({ url: targets.gateway, transport: "http", EventSource: EventSource as unknown as typeof globalThis.EventSource });
}

/** `client.chat.completions`: the typed SDK over tRPC's httpLink (fetch). */
function sdkComplete(): Workload["prepare"] {
  return ({ targets, timeoutMs }) => {
    const client = sdkClient(targets);
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

/** `client.chat.stream`: the typed SDK's start POST plus SSE subscription (eventsource over fetch). */
function sdkStream(): Workload["prepare"] {
  return ({ targets, timeoutMs }) => {
    const client = sdkClient(targets);
    return {
      task: async (): Promise<TaskResult> => {
        let firstChunkAt: number | null = null;
        let text = "";
        for await (const chunk of client.chat.stream(REQUEST, { signal: AbortSignal.timeout(timeoutMs) })) {
          const piece = chunk.choices[0]?.delta.content ?? "";
          if (piece !== "") firstChunkAt ??= performance.now();
          text += piece;
        }
        expectAnswer(text);
        return { firstChunkAt };
      },
      dispose: () => undefined,
    };
  };
}

/** Every row, in the order the tables print them. */
export const WORKLOADS: Workload[] = [
  { id: "direct", label: "direct → upstream", stream: false, via: "direct", prepare: (c) => restComplete(c.targets.upstream)(c) },
  { id: "proxy", label: "bare node:http proxy", stream: false, via: "proxy", prepare: (c) => restComplete(c.targets.proxy)(c) },
  { id: "rest", label: "Languru REST `/v1/chat/completions`", stream: false, via: "gateway", prepare: (c) => restComplete(c.targets.gateway)(c) },
  { id: "trpc-sdk", label: "Languru tRPC `client.chat.completions`", stream: false, via: "gateway", prepare: sdkComplete() },
  { id: "trpc-raw", label: "Languru tRPC mutation, raw HTTP", stream: false, via: "gateway", prepare: trpcRawComplete() },
  { id: "direct-sse", label: "direct → upstream (SSE)", stream: true, via: "direct", prepare: (c) => restStream(c.targets.upstream)(c) },
  { id: "proxy-sse", label: "bare node:http proxy (SSE)", stream: true, via: "proxy", prepare: (c) => restStream(c.targets.proxy)(c) },
  { id: "rest-sse", label: "Languru REST `stream: true`", stream: true, via: "gateway", prepare: (c) => restStream(c.targets.gateway)(c) },
  { id: "trpc-sdk-sse", label: "Languru tRPC `client.chat.stream`", stream: true, via: "gateway", prepare: sdkStream() },
  { id: "trpc-raw-sse", label: "Languru tRPC start + subscribe, raw HTTP", stream: true, via: "gateway", prepare: trpcRawStream() },
  {
    id: "rest-echo",
    label: "Languru REST, `echo` model (no upstream)",
    stream: false,
    via: "gateway",
    extra: true,
    prepare: (c) => restComplete(c.targets.gateway, echoBody)(c),
  },
  {
    id: "rest-echo-sse",
    label: "Languru REST `stream: true`, `echo` model (no upstream)",
    stream: true,
    via: "gateway",
    extra: true,
    prepare: (c) => restStream(c.targets.gateway, echoStreamBody)(c),
  },
];
