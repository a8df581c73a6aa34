/**
 * `tsx bench/upstream-clients.ts`: what one upstream call costs the caller's CPU with each client
 * the gateway could use (node:http, fetch, undici's `Pool.request`, the `openai` SDK, and the
 * provider as shipped), against the fake upstream in its own process. It isolates the provider's
 * share of the gateway's cost; rounds repeat to show the noise. Then it counts the sockets each
 * transport leaves open after aborted streams.
 */
import { performance } from "node:perf_hooks";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createParser } from "eventsource-parser";
import OpenAI from "openai";
import { Agent, Pool } from "undici";
import { createOpenAICompatibleProvider } from "../server/providers/openai-compatible.js";
import { http, keepAliveAgent, sseParser } from "./load.js";
import { forkServer } from "./servers.js";
import { table } from "./stats.js";

const CONCURRENCY = 16;
const CALLS = 1_500;
const STREAM_CALLS = 400;
const ROUNDS = 3;
const TIMEOUT_MS = 10_000;

/** CPU µs of this process per call, over `calls` calls from CONCURRENCY workers (after a warm-up). */
async function cpuPerCall(calls: number, call: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 100; i++) await call();
  const before = process.cpuUsage();
  let left = calls;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (left-- > 0) await call();
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

const ABORTS = 50;

/** Opens ABORTS streams with each transport, aborts them after the first bytes, and counts what stays open. */
async function abortedSockets(): Promise<string[][]> {
  const used = new WeakSet<Socket>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    used.add(req.socket);
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write("data: {}\n\n");
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const count = async (name: string, open: (signal: AbortSignal) => Promise<AsyncIterable<unknown>>): Promise<string[]> => {
    await Promise.all(
      Array.from({ length: ABORTS }, async () => {
        const controller = new AbortController();
        const body = await open(controller.signal);
        for await (const _ of body) break;
        controller.abort();
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const row = [name, String(sockets.size), String([...sockets].filter((s) => !used.has(s)).length)];
    for (const socket of sockets) socket.destroy();
    return row;
  };
  const pool = new Pool(origin);
  const agent = new Agent();
  const provider = createOpenAICompatibleProvider({
    name: "b",
    kind: "openai-compatible",
    baseURL: `${origin}/v1`,
    apiKey: "k",
    headers: {},
    timeoutMs: TIMEOUT_MS,
    models: [],
    discovery: false,
  });
  const request = { model: "b", messages: [{ role: "user" as const, content: "hi" }] };
  const rows = [
    await count("undici `Pool.request`", async (signal) => (await pool.request({ method: "POST", path: "/", body: "{}", signal })).body),
    await count("undici `fetch` + `Agent`", async (signal) => {
      const res = await fetch(origin, { method: "POST", body: "{}", signal, dispatcher: agent } as RequestInit);
      return res.body as unknown as AsyncIterable<unknown>;
    }),
    await count("Languru provider (node:http)", (signal) => provider.stream(request, signal)),
  ];
  await Promise.all([pool.close(), agent.close(), provider.close?.()]);
  server.close();
  return rows;
}

async function main(): Promise<void> {
  const upstream = await forkServer({ role: "upstream" });
  try {
    const url = new URL("/v1/chat/completions", upstream.url);
    const request = { model: "bench", messages: [{ role: "user" as const, content: "Say twenty short words." }], max_tokens: 32 };
    const body = JSON.stringify(request);
    const streamBody = JSON.stringify({ ...request, stream: true });
    const agent = keepAliveAgent(CONCURRENCY);
    const sdk = new OpenAI({ apiKey: "sk-bench-not-a-key", baseURL: new URL("/v1", upstream.url).toString(), maxRetries: 0 });
    const pool = new Pool(new URL(upstream.url).origin, { connections: CONCURRENCY });
    const provider = createOpenAICompatibleProvider({
      name: "bench",
      kind: "openai-compatible",
      baseURL: new URL("/v1", upstream.url).toString(),
      apiKey: "sk-bench-not-a-key",
      headers: {},
      timeoutMs: TIMEOUT_MS,
      models: [],
      discovery: false,
    });
    const undiciRequest = (payload: string) =>
      pool.request({
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "content-type": "application/json" },
        body: payload,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });

    const clients: Array<{ name: string; calls: number; call: () => Promise<void> }> = [
      {
        name: "node:http, keep-alive agent",
        calls: CALLS,
        call: async () => void JSON.parse((await http({ agent, url, method: "POST", body, timeoutMs: TIMEOUT_MS })).body),
      },
      {
        name: "fetch (Node's bundled undici)",
        calls: CALLS,
        call: async () =>
          void (await (
            await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" }, signal: AbortSignal.timeout(TIMEOUT_MS) })
          ).json()),
      },
      {
        name: "openai SDK `chat.completions.create`",
        calls: CALLS,
        call: async () => void (await sdk.chat.completions.create(request, { signal: AbortSignal.timeout(TIMEOUT_MS) })),
      },
      {
        name: "undici `Pool.request`",
        calls: CALLS,
        call: async () => void JSON.parse(await (await undiciRequest(body)).body.text()),
      },
      {
        name: "Languru provider (node:http transport), as shipped",
        calls: CALLS,
        call: async () => void (await provider.complete(request, AbortSignal.timeout(TIMEOUT_MS))),
      },
      {
        name: "undici `Pool.request` + eventsource-parser, streamed",
        calls: STREAM_CALLS,
        call: async () => {
          const res = await undiciRequest(streamBody);
          const decoder = new TextDecoder();
          const parser = createParser({ onEvent: ({ data }) => void (data === "[DONE]" || JSON.parse(data)) });
          for await (const bytes of res.body) parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
        },
      },
      {
        name: "Languru provider (node:http + eventsource-parser), streamed, as shipped",
        calls: STREAM_CALLS,
        call: async () => {
          for await (const chunk of await provider.stream(request, AbortSignal.timeout(TIMEOUT_MS))) void chunk;
        },
      },
      {
        name: "node:http + SSE parse, streamed",
        calls: STREAM_CALLS,
        call: async () => {
          const onData = sseParser(({ data }) => void (data === "[DONE]" || JSON.parse(data)));
          await http({ agent, url, method: "POST", body: streamBody, timeoutMs: TIMEOUT_MS, onData });
        },
      },
      {
        name: "openai SDK, streamed",
        calls: STREAM_CALLS,
        call: async () => {
          for await (const chunk of await sdk.chat.completions.create({ ...request, stream: true }, { signal: AbortSignal.timeout(TIMEOUT_MS) })) void chunk;
        },
      },
    ];
    const results = new Map<string, number[]>(clients.map((c) => [c.name, []]));
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      for (const client of clients) results.get(client.name)?.push(await cpuPerCall(client.calls, client.call));
    }
    agent.destroy();
    await pool.close();
    await provider.close?.();
    const rows = clients.map((c) => {
      const values = results.get(c.name) ?? [];
      const median = [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
      return [c.name, median.toFixed(0), values.map((v) => v.toFixed(0)).join(" / ")];
    });
    console.log(`Client CPU per upstream call, concurrency ${CONCURRENCY}, ${ROUNDS} rounds (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    console.log(table(["client", "µs/call (median)", "per round"], rows));
    console.log(`\nSockets left open 300 ms after aborting ${ABORTS} streams (each read its first chunk)\n`);
    console.log(table(["transport", "open", "of them never used"], await abortedSockets()));
  } finally {
    await upstream.close();
  }
  // fetch's keep-alive pool would otherwise hold the process open for a few seconds.
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
