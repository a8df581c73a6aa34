/**
 * Issue 7 items 5, 6 and 12 (shutdown): 1,000 tRPC streams aborted at once leave the process up
 * and every upstream call ended; `chat.start` stops the upstream (and its retries) when its client
 * leaves; past the shutdown grace, streams end with an error instead of hanging.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { EventSource } from "eventsource";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLanguruClient } from "../../client/index.js";
import { loadConfig } from "../../server/config.js";
import { tempDir } from "../helpers/access.js";
import { fail, hang, startFakeUpstream, stream, type FakeUpstream } from "../helpers/fake-upstream.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { killProcesses, startProcess } from "../helpers/process.js";
import { modelsLatency, within } from "./probe.js";

const STREAMS = Number(process.env.HOSTILE_STREAMS ?? 1_000);
const { routing } = loadConfig({});

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterEach(() => {
  upstream.reset();
  killProcesses();
});
afterAll(() => upstream?.close());

async function drain(iterator: AsyncIterator<unknown>): Promise<void> {
  try {
    while (!(await iterator.next()).done);
  } catch {
    // The abort, as expected.
  }
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("1,000 tRPC streams aborted at once", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("the server process stays up and every upstream call ends", { timeout: 180_000 }, async () => {
    const configPath = path.join(tmp.dir, "languru.json");
    writeFileSync(configPath, JSON.stringify({ providers: [{ name: "fake", kind: "openai-compatible", baseURL: upstream.baseURL, models: ["slow"] }] }));
    // A long resume grace: on a loaded box some of 1,000 subscriptions connect many seconds after their start.
    const server = await startProcess({ LANGURU_CONFIG: configPath, LANGURU_RESUME_GRACE_MS: "120000" });
    upstream.otherwise(stream(undefined, { hangAfter: 2 }));
    // The HTTP transport: start + SSE follow + cancel per stream, the path that crashed the process.
    const client = createLanguruClient({ url: server.url, transport: "http", EventSource: EventSource as unknown as typeof globalThis.EventSource });
    const controllers = Array.from({ length: STREAMS }, () => new AbortController());
    const iterators = controllers.map((c) => client.chat.stream({ model: "slow", prompt: "hold on" }, { signal: c.signal })[Symbol.asyncIterator]());
    // Held: every stream got its first chunk, every upstream call is open.
    await Promise.all(iterators.map((it) => it.next()));
    expect(upstream.inFlight()).toBe(STREAMS);

    for (const c of controllers) c.abort();
    // Each consumer pulls on until its stream throws the abort (chunks already queued come first).
    await Promise.all(iterators.map((it) => drain(it)));

    // 1,000 cancels and upstream closes take seconds on a loaded 2-core box; the bound is generous, not timed.
    await waitFor(() => upstream.inFlight() === 0, 90_000, "every upstream call ended");
    await new Promise((r) => setTimeout(r, 500));
    expect(server.child.exitCode).toBeNull();
    // Up and answering (the storm's own work may still be settling on a loaded box, hence the wide bound).
    await within(modelsLatency(server.url), 10_000, "GET /v1/models after the storm");
    expect(server.lines.filter((l) => l.msg === "unhandled rejection (kept running)")).toEqual([]);
  });
});

describe("chat.start and the client leaving", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({
      providers: [upstreamProvider(upstream.baseURL, ["m"])],
      routing: { ...routing, cooldown: { failures: 100, cooldownMs: 1_000 } },
    });
  });
  afterAll(() => gateway?.close(100));

  it("aborting during start stops the upstream at once", async () => {
    // Headers sent, first token slow: the case where the upstream ran on for first-token + 10 s.
    upstream.otherwise(stream([], { hangAfter: 0 }));
    const controller = new AbortController();
    const iterator = sdk(gateway).chat.stream({ model: "m", prompt: "hi" }, { signal: controller.signal })[Symbol.asyncIterator]();
    const next = iterator.next().catch((e: unknown) => e);
    const call = await upstream.call(0);
    controller.abort();
    await next;
    expect(await within(call.ended, 2_000, "the upstream call")).toBe("aborted");
  });

  it("aborting during a retry backoff sends no further attempt", async () => {
    upstream.otherwise(fail(500, "boom", { headers: { "retry-after-ms": "4000" } }));
    const controller = new AbortController();
    const next = sdk(gateway)
      .chat.stream({ model: "m", prompt: "hi" }, { signal: controller.signal })
      [Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    await upstream.call(0);
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await next;
    await new Promise((r) => setTimeout(r, 5_000));
    expect(upstream.calls).toHaveLength(1);
  });
});

describe("past the shutdown grace", () => {
  it("a start in progress does not hold shutdown past the grace", async () => {
    const gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["m"])] });
    upstream.otherwise(hang());
    const pending = sdk(gateway)
      .chat.stream({ model: "m", prompt: "hi" })
      [Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    const call = await upstream.call(0);
    const started = Date.now();
    await within(gateway.close(500), 5_000, "shutdown");
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await within(call.ended, 2_000, "the upstream call")).toBe("aborted");
    await within(pending, 5_000, "the client");
  });

  it("a REST stream gets an error frame, then [DONE]", async () => {
    const gateway = await startGateway({ echoDelayMs: 200 });
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "echo", prompt: "a b c d e f g h i j k l m n o p q r s t u v w x y z", stream: true }),
    });
    const reading = res.text();
    await new Promise((r) => setTimeout(r, 300));
    await within(gateway.close(300), 5_000, "shutdown");
    const text = await within(reading, 5_000, "the stream");
    expect(text).toContain('"code":"shutting_down"');
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("a tRPC stream ends with an error within seconds, not 30 s", async () => {
    const gateway = await startGateway({ echoDelayMs: 200 });
    const iterator = sdk(gateway).chat.stream({ model: "echo", prompt: "a b c d e f g h i j k l m n o p q r s t u v w x y z" })[Symbol.asyncIterator]();
    await iterator.next();
    const drained = (async () => {
      try {
        while (!(await iterator.next()).done);
        return null;
      } catch (err) {
        return err;
      }
    })();
    const started = Date.now();
    await within(gateway.close(300), 5_000, "shutdown");
    const error = await within(drained, 5_000, "the tRPC stream");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ status: 503 });
  });
});
