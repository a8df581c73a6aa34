/**
 * `tsx bench/upstream-clients.ts`: what one upstream call costs the caller's CPU with each client
 * the gateway could use (node:http, fetch, the `openai` SDK), against the fake upstream in its own
 * process. It isolates the provider's share of the gateway's cost; rounds repeat to show the noise.
 */
import { performance } from "node:perf_hooks";
import OpenAI from "openai";
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

async function main(): Promise<void> {
  const upstream = await forkServer({ role: "upstream" });
  try {
    const url = new URL("/v1/chat/completions", upstream.url);
    const request = { model: "bench", messages: [{ role: "user" as const, content: "Say twenty short words." }], max_tokens: 32 };
    const body = JSON.stringify(request);
    const streamBody = JSON.stringify({ ...request, stream: true });
    const agent = keepAliveAgent(CONCURRENCY);
    const sdk = new OpenAI({ apiKey: "sk-bench-not-a-key", baseURL: new URL("/v1", upstream.url).toString(), maxRetries: 0 });

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
    const rows = clients.map((c) => {
      const values = results.get(c.name) ?? [];
      const median = [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
      return [c.name, median.toFixed(0), values.map((v) => v.toFixed(0)).join(" / ")];
    });
    console.log(`Client CPU per upstream call, concurrency ${CONCURRENCY}, ${ROUNDS} rounds (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    console.log(table(["client", "µs/call (median)", "per round"], rows));
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
