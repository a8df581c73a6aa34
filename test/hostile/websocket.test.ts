/**
 * Issue 16 items 1, 2 and 5 (the WebSocket door): a pre-auth message costs O(1) work whatever is
 * in it, batches are refused as on HTTP, a socket's calls are bounded (before authentication and in
 * flight), and a client that stops reading cannot make the gateway queue without bound, alone or
 * with other sockets. Every attack goes over a real socket to a real gateway, while a concurrent
 * `GET /v1/models` shows the event loop still answering.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, createKey, startKeyedGateway } from "../helpers/access.js";
import { startFakeUpstream, stream } from "../helpers/fake-upstream.js";
import { sdk, startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { scrape } from "../helpers/prometheus.js";
import { RESPONSIVE_MS, modelsLatency, whileProbing, within } from "./probe.js";
import { callMessage, openSocket, pause, until, type RawSocket } from "./raw-socket.js";

const LIMIT = 100_000;
const MIB = 1024 * 1024;

/** tRPC requests counted by the gateway (each is one access-log line). */
async function trpcRequests(gateway: TestGateway): Promise<number> {
  return (await scrape(gateway.baseURL, { authorization: `Bearer ${MASTER_KEY}` })).value("languru_requests_total", { door: "trpc" });
}

/** Runs `attack` while sampling this process's RSS (the gateway runs in it); returns the peak growth in MiB. */
async function peakRssGrowth(attack: () => Promise<void>): Promise<number> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    await attack();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return (peak - before) / MIB;
}

describe("a pre-auth message (keys on, no key)", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startKeyedGateway({}, { bodyLimitBytes: LIMIT });
  });
  afterAll(() => gateway?.close(100));

  it("an oversized array of 12,000 ids is one answer (or a 1009 close), not one per id", async () => {
    const socket = await openSocket(gateway);
    const ids = Array.from({ length: 12_000 }, (_, id) => ({ id }));
    const message = JSON.stringify(ids);
    expect(message.length).toBeGreaterThan(LIMIT);
    const before = await trpcRequests(gateway);
    const { slowestProbeMs } = await whileProbing(
      gateway.baseURL,
      async () => {
        socket.send(message);
        await Promise.race([until(() => socket.answers.length > 0, 5_000, "an answer"), socket.closed]);
        await pause(300);
      },
      MASTER_KEY,
    );
    expect(socket.answers.length).toBeLessThanOrEqual(1);
    const [answer] = socket.answers;
    if (answer) expect(answer).toMatchObject({ id: null, error: { data: { code: "PAYLOAD_TOO_LARGE", status: 413 } } });
    else expect(await socket.closed).toBe(1009);
    expect(slowestProbeMs).toBeLessThan(RESPONSIVE_MS);
    expect(await trpcRequests(gateway)).toBe(before);
    socket.ws.close();
  });

  it("an oversized single call is its own typed 413 (its id read from the message's start), and the socket stays", async () => {
    const socket = await openSocket(gateway);
    socket.send(callMessage(7, "chat.completions", { model: "echo", prompt: "x".repeat(LIMIT) }));
    await until(() => socket.answers.length > 0, 5_000, "the 413");
    expect(socket.answers).toEqual([expect.objectContaining({ id: 7, error: expect.objectContaining({ data: expect.objectContaining({ status: 413 }) }) })]);
    // A string id too, with whitespace where JSON allows it.
    socket.send(` { "id" : "call-8", "method": "mutation", "params": {"path": "chat.completions", "input": {"json": {"prompt": "${"y".repeat(LIMIT)}"}}}}`);
    await until(() => socket.answers.length > 1, 5_000, "the second 413");
    expect(socket.answers[1]).toMatchObject({ id: "call-8", error: { data: { status: 413 } } });
    socket.ws.close();
  });

  it("a message over 4× the limit is not read to its end: the socket is closed (1009)", async () => {
    const socket = await openSocket(gateway);
    socket.send(JSON.stringify(Array.from({ length: 50_000 }, (_, id) => ({ id }))));
    expect(await within(socket.closed, 5_000, "the close")).toBe(1009);
    expect(socket.answers).toEqual([]);
  });

  it("with a large body limit, a message is read at most 1 MiB past it before the socket is closed (1009)", async () => {
    const roomy = await startKeyedGateway({}, { bodyLimitBytes: 32 * MIB });
    try {
      const socket = await openSocket(roomy);
      const before = process.memoryUsage().rss;
      // 34 MiB: over the limit by more than 1 MiB (4× the limit would have read up to 128 MiB of it).
      socket.send(`{"id":1,"method":"mutation","params":{"path":"chat.completions","input":{"json":{"prompt":"${"z".repeat(34 * MIB)}"}}}}`);
      expect(await within(socket.closed, 10_000, "the close")).toBe(1009);
      expect(socket.answers).toEqual([]);
      expect(process.memoryUsage().rss - before).toBeLessThan(200 * MIB);
    } finally {
      await roomy.close(100);
    }
  });

  it("a batch of 5,000 calls in one message runs none of them: one answer", async () => {
    // The default body limit (4 MiB): the batch is a message the gateway reads.
    const roomy = await startKeyedGateway();
    try {
      const socket = await openSocket(roomy);
      const calls = Array.from({ length: 5_000 }, (_, i) => JSON.parse(callMessage(i + 1, "chat.completions", { model: "echo", prompt: "hi" })) as unknown);
      const before = await trpcRequests(roomy);
      const { slowestProbeMs } = await whileProbing(
        roomy.baseURL,
        async () => {
          socket.send(JSON.stringify(calls));
          await until(() => socket.answers.length > 0, 5_000, "an answer");
          await pause(300);
        },
        MASTER_KEY,
      );
      expect(socket.answers).toEqual([
        expect.objectContaining({ id: null, error: expect.objectContaining({ data: expect.objectContaining({ code: "BAD_REQUEST" }) }) }),
      ]);
      expect(slowestProbeMs).toBeLessThan(RESPONSIVE_MS);
      // No call ran: not one request record (access-log line) for them.
      expect(await trpcRequests(roomy)).toBe(before);
      socket.ws.close();
    } finally {
      await roomy.close(100);
    }
  });

  it("without a valid key a socket makes at most 16 calls, then it is closed (1008)", async () => {
    const socket = await openSocket(gateway, { apiKey: "sk-not-a-key-0000000000000000" });
    const before = await trpcRequests(gateway);
    for (let id = 1; id <= 200; id++) socket.send(callMessage(id, "chat.completions", { model: "echo", prompt: "hi" }));
    expect(await within(socket.closed, 5_000, "the close")).toBe(1008);
    // The first 16 calls got their 401; those past the bound (already read when it was reached) a
    // clear 401 of their own, with no record: at most 16 access-log lines, whatever was sent.
    const codes = socket.answers.map((a) => a.error?.data?.error?.code);
    expect(codes.filter((c) => c === "invalid_api_key")).toHaveLength(16);
    expect(codes.filter((c) => c === "too_many_calls_without_key").length).toBe(codes.length - 16);
    expect(codes.length).toBeGreaterThan(16);
    expect(socket.answers.every((a) => a.error?.data?.status === 401)).toBe(true);
    expect((await trpcRequests(gateway)) - before).toBeLessThanOrEqual(16);
  });

  it("a socket with a valid key is not bound by that count", async () => {
    const { key } = await createKey(gateway, { name: "many-calls" });
    const socket = await openSocket(gateway, { apiKey: key });
    for (let id = 1; id <= 40; id++) socket.send(callMessage(id, "chat.completions", { model: "echo", prompt: `hi ${id}` }));
    await until(() => socket.answers.length === 40, 10_000, "40 answers");
    expect(socket.answers.every((a) => a.result?.type === "data")).toBe(true);
    socket.ws.close();
  });
});

describe("calls in flight on one socket", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    // A short resume grace: the generations of the socket this test drops end soon after it.
    gateway = await startGateway({ resumeGraceMs: 300 });
  });
  afterAll(() => gateway?.close(100));

  // An echo stream of 30 words, one a second: it stays in flight for the whole test.
  const longStream = (id: number) =>
    callMessage(id, "chat.generate", { model: "echo", prompt: "word ".repeat(30), extra_body: { echo_delay_ms: 1_000 } }, "subscription");
  const refusedInFlight = (socket: RawSocket) => socket.answers.filter((a) => a.error?.data?.error?.code === "too_many_calls_in_flight");

  it("at most 1,024 run at once; the others get a 429 at once (no record), and the socket keeps working", { timeout: 30_000 }, async () => {
    const socket = await openSocket(gateway);
    const before = await trpcRequests(gateway);
    for (let id = 1; id <= 1_100; id++) socket.send(longStream(id));
    await until(() => refusedInFlight(socket).length >= 76, 10_000, "76 refusals");
    await until(() => socket.answers.filter((a) => a.result?.type === "started").length === 1_024, 10_000, "1,024 streams started");
    await pause(200);
    const refused = refusedInFlight(socket);
    expect(refused).toHaveLength(76);
    for (const answer of refused) expect(answer.error?.data).toMatchObject({ status: 429 });
    // The refused ids are the last ones sent: the first 1,024 run.
    expect(Math.min(...refused.map((a) => Number(a.id)))).toBe(1_025);
    // A refused call leaves no record: only the 1,024 running ones will be counted (when they end).
    expect(await trpcRequests(gateway)).toBe(before);
    // Full, a mutation is refused too; once one stream stops, it runs.
    socket.send(callMessage(5_000, "chat.completions", { model: "echo", prompt: "now?" }));
    await until(() => socket.answers.some((a) => a.id === 5_000), 5_000, "the mutation's answer");
    expect(socket.answers.find((a) => a.id === 5_000)?.error?.data?.error?.code).toBe("too_many_calls_in_flight");
    socket.send(JSON.stringify({ id: 1, method: "subscription.stop" }));
    await until(() => socket.answers.some((a) => a.id === 1 && a.result?.type === "stopped"), 5_000, "the stop");
    socket.send(callMessage(5_001, "chat.completions", { model: "echo", prompt: "now" }));
    await until(() => socket.answers.some((a) => a.id === 5_001), 5_000, "the second mutation's answer");
    expect(socket.answers.find((a) => a.id === 5_001)?.result?.type).toBe("data");
    socket.ws.close();
    await expect.poll(() => gateway.services.generations.running(), { timeout: 10_000 }).toBe(0);
  });

  it("the SDK sends one call per message: 80 calls at once on one client all answer", async () => {
    const client = sdk(gateway);
    const answers = await Promise.all(Array.from({ length: 80 }, (_, i) => client.chat.completions({ model: "echo", prompt: `call ${i}` })));
    expect(answers.map((a) => a.choices[0]?.message.content)).toEqual(Array.from({ length: 80 }, (_, i) => `call ${i}`));
    await client.close();
  });
});

describe("a client that stops reading", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close(100));

  // A 7 KB prompt, echoed 128 times: an answer of about 0.9 MB (under echo's 1 MiB) for a request of 7 KB.
  const bigAnswer = (id: number) => callMessage(id, "chat.completions", { model: "echo", prompt: "word ".repeat(1_400), n: 128 });

  async function sendPaced(socket: RawSocket, count: number, first = 1): Promise<void> {
    for (let id = first; id < first + count; id++) {
      if (socket.ws.readyState !== socket.ws.OPEN) return;
      socket.send(bigAnswer(id));
      // The client's own sends are not the point: give the gateway a turn now and then.
      if (id % 20 === 0) await pause(5);
    }
  }

  it("mutation answers: past 16 MiB queued the socket is closed, and memory stays bounded", { timeout: 60_000 }, async () => {
    const socket = await openSocket(gateway);
    socket.stopReading();
    let slowest = 0;
    let peakQueued = 0;
    const sampler = setInterval(() => {
      peakQueued = Math.max(peakQueued, socket.server.writableLength);
    }, 5);
    const growth = await peakRssGrowth(async () => {
      const { slowestProbeMs } = await whileProbing(gateway.baseURL, async () => {
        await sendPaced(socket, 300);
        await until(() => socket.server.destroyed, 20_000, "the gateway closing the socket");
      });
      slowest = slowestProbeMs;
    });
    clearInterval(sampler);
    // Unbounded, 300 answers are ~270 MiB held for this one client.
    expect(peakQueued).toBeLessThan(20 * MIB);
    expect(growth).toBeLessThan(150);
    expect(slowest).toBeLessThan(RESPONSIVE_MS);
    await within(modelsLatency(gateway.baseURL), RESPONSIVE_MS, "GET /v1/models after");
    socket.ws.terminate();
  });

  it("many sockets together are held to the total cap (128 MiB), each under its own", { timeout: 60_000 }, async () => {
    // 12 sockets × 14 answers of ~0.9 MB: each stays under 16 MiB, together they are ~155 MiB.
    const sockets = await Promise.all(Array.from({ length: 12 }, () => openSocket(gateway)));
    for (const socket of sockets) socket.stopReading();
    const queued = () => sockets.reduce((sum, s) => sum + (s.server.destroyed ? 0 : s.server.writableLength), 0);
    let peakQueued = 0;
    for (const socket of sockets) {
      await sendPaced(socket, 14);
      await pause(100);
      peakQueued = Math.max(peakQueued, queued());
    }
    await pause(500);
    peakQueued = Math.max(peakQueued, queued());
    // What the gateway holds for them (its sockets' write queues), not counting the kernel's buffers.
    expect(peakQueued).toBeLessThan(130 * MIB);
    // The sockets that added past the total are cut; the first ones, each under its own cap, stay.
    await until(() => sockets.at(-1)?.server.destroyed === true, 5_000, "the last socket cut");
    expect(sockets[0]?.server.destroyed).toBe(false);
    await within(modelsLatency(gateway.baseURL), RESPONSIVE_MS, "GET /v1/models after");
    for (const socket of sockets) socket.ws.terminate();
  });

  it("streams: 100 on a socket that is not read wait near 1 MiB queued, and are woken in turn when it reads again", { timeout: 60_000 }, async () => {
    const upstream = await startFakeUpstream();
    const own = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["big"], { name: "up" })] });
    // 4 chunks of 100 KB per stream, all at once: each is a message of its own (a batch holds ~32 KB).
    const piece = "x".repeat(100_000);
    const base = { id: "chatcmpl-big", object: "chat.completion.chunk", created: 1_700_000_000, model: "big" };
    upstream.otherwise(
      stream(Array.from({ length: 4 }, (_, i) => ({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: i === 3 ? "stop" : null }] }))),
    );
    const socket = await openSocket(own);
    socket.stopReading();
    const input = { model: "big", prompt: "all of it" };
    const STREAMS = 100;
    for (let id = 1; id <= STREAMS; id++) socket.send(callMessage(id, "chat.generate", input, "subscription"));
    let peakWaiting = 0;
    for (let i = 0; i < 40; i++) {
      peakWaiting = Math.max(peakWaiting, socket.server.writableLength);
      await pause(50);
    }
    // Waiting: the queue stays near its mark instead of holding 100 streams' output again.
    expect(peakWaiting).toBeLessThan(4 * MIB);
    // Reading again: the streams that waited are woken in turn, not all at once (10 MB in one go).
    let peakResumed = 0;
    const sampler = setInterval(() => {
      peakResumed = Math.max(peakResumed, socket.server.writableLength);
    }, 1);
    (socket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const stopped = () => socket.answers.filter((a) => a.result?.type === "stopped").length;
    await until(() => stopped() === STREAMS, 30_000, "every stream to its end");
    clearInterval(sampler);
    expect(peakResumed).toBeLessThan(6 * MIB);
    expect(socket.server.destroyed).toBe(false);
    // Every stream whole.
    const received = new Map<string | number | null, number>();
    for (const answer of socket.answers) {
      const batch = (answer.result?.data as { json?: { data?: Array<{ choices: Array<{ delta: { content?: string } }> }> } } | undefined)?.json?.data ?? [];
      for (const chunk of batch) received.set(answer.id, (received.get(answer.id) ?? 0) + (chunk.choices[0]?.delta.content?.length ?? 0));
    }
    expect([...received.values()]).toEqual(Array(STREAMS).fill(4 * piece.length));
    socket.ws.close();
    await own.close(100);
    await upstream.close();
  });
});

describe("a reading client is never cut", () => {
  it("a late `chat.stream` follower of a 20 MB generation gets it whole over one socket", { timeout: 60_000 }, async () => {
    const upstream = await startFakeUpstream();
    // A long resume grace and a resume buffer that keeps it all: the generation waits, done, for its follower.
    const gateway = await startGateway({
      providers: [upstreamProvider(upstream.baseURL, ["big"], { name: "up" })],
      resumeGraceMs: 30_000,
      resumeBufferBytes: 40 * MIB,
    });
    try {
      const piece = "x".repeat(50_000);
      const base = { id: "chatcmpl-big", object: "chat.completion.chunk", created: 1_700_000_000, model: "big" };
      const frames = Array.from({ length: 400 }, (_, i) => ({
        ...base,
        choices: [{ index: 0, delta: { content: piece }, finish_reason: i === 399 ? "stop" : null }],
      }));
      upstream.otherwise(stream(frames));
      const socket = await openSocket(gateway);
      socket.send(callMessage(1, "chat.start", { model: "big", prompt: "all of it" }));
      await until(() => socket.answers.some((a) => a.id === 1), 10_000, "the start");
      const started = socket.answers.find((a) => a.id === 1)?.result?.data as { json: { id: string } };
      await expect.poll(() => gateway.services.generations.running(), { timeout: 10_000 }).toBe(0);
      // 20 MB at once for a follower that reads: it gets all of it, paced, and is never taken for a client that does not read.
      socket.send(callMessage(2, "chat.stream", { id: started.json.id }, "subscription"));
      await until(() => socket.answers.some((a) => a.id === 2 && a.result?.type === "stopped"), 30_000, "the whole stream");
      const chunks = socket.answers.filter((a) => a.id === 2 && a.result?.type === "data");
      expect(chunks).toHaveLength(400);
      expect(socket.server.destroyed).toBe(false);
      socket.ws.close();
    } finally {
      await gateway.close(100);
      await upstream.close();
    }
  });
});
