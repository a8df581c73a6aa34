/**
 * What the WebSocket door refuses is measured: each refusal and each socket it cuts moves
 * `languru_ws_refusals_total` by one, under a reason from a fixed set, and no other reason moves.
 * Every case goes over a real `ws` socket to a real gateway, and is read back from a real scrape of
 * `/metrics`. The queue caps are lowered (settings) so that a client that does not read is cut
 * after a few MiB instead of 16 or 128.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WEBSOCKET_LIMITS } from "../server/doors/trpc/ws/limits.js";
import { MASTER_KEY, startKeyedGateway } from "./helpers/access.js";
import { startGateway, type TestGateway } from "./helpers/gateway.js";
import { scrape } from "./helpers/prometheus.js";
import { callMessage, openSocket, pause, until, type RawSocket } from "./hostile/raw-socket.js";

const METRIC = "languru_ws_refusals_total";
// The documented reasons: the label takes these values and no others.
const REASONS = ["message_too_large", "batch", "too_many_calls_without_key", "too_many_calls_in_flight", "socket_queue_full", "total_queue_full"] as const;
type Reason = (typeof REASONS)[number];
type Counts = Record<Reason, number>;

const MIB = 1024 * 1024;
const NONE: Counts = Object.fromEntries(REASONS.map((reason) => [reason, 0])) as Counts;

/** The counter's value for every reason (each series exists from the start: a missing one throws). */
async function refusals(gateway: TestGateway, key?: string): Promise<Counts> {
  const metrics = await scrape(gateway.baseURL, key ? { authorization: `Bearer ${key}` } : {});
  const series = metrics.family(METRIC)?.metrics ?? [];
  // No label value beyond the fixed set.
  for (const sample of series) expect(REASONS).toContain(sample.labels?.reason);
  return Object.fromEntries(
    REASONS.map((reason) => {
      const sample = series.find((s) => s.labels?.reason === reason);
      if (!sample) throw new Error(`no ${METRIC} series for reason '${reason}'`);
      return [reason, Number(sample.value)];
    }),
  ) as Counts;
}

/** How far each reason moved between two readings. */
function moved(before: Counts, after: Counts): Counts {
  return Object.fromEntries(REASONS.map((reason) => [reason, after[reason] - before[reason]])) as Counts;
}

describe("a message the gate refuses (keys off)", () => {
  const LIMIT = 10_000;
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({ bodyLimitBytes: LIMIT });
  });
  afterAll(() => gateway?.close(100));

  it("every series is exposed at 0 before any refusal", async () => {
    expect(await refusals(gateway)).toEqual(NONE);
  });

  it("counts each 413 for an oversized message, and a socket closed (1009) for one too large to read", async () => {
    const before = await refusals(gateway);
    const socket = await openSocket(gateway);
    for (const id of [1, 2]) socket.send(callMessage(id, "chat.completions", { model: "echo", prompt: "x".repeat(LIMIT) }));
    await until(() => socket.answers.length === 2, 5_000, "two 413s");
    expect(socket.answers.map((a) => a.error?.data?.status)).toEqual([413, 413]);
    expect(moved(before, await refusals(gateway))).toEqual({ ...NONE, message_too_large: 2 });
    // Over the limit plus 3× it: `ws` stops reading it and closes the socket.
    socket.send(callMessage(3, "chat.completions", { model: "echo", prompt: "y".repeat(5 * LIMIT) }));
    expect(await socket.closed).toBe(1009);
    expect(socket.answers).toHaveLength(2);
    expect(moved(before, await refusals(gateway))).toEqual({ ...NONE, message_too_large: 3 });
  });

  it("counts each batch, once per message whatever it holds", async () => {
    const before = await refusals(gateway);
    const socket = await openSocket(gateway);
    const call = (id: number) => JSON.parse(callMessage(id, "chat.completions", { model: "echo", prompt: "hi" })) as unknown;
    socket.send(JSON.stringify([call(1), call(2), call(3)]));
    socket.send(JSON.stringify([call(4)]));
    await until(() => socket.answers.length === 2, 5_000, "two 400s");
    expect(socket.answers.map((a) => a.error?.data?.code)).toEqual(["BAD_REQUEST", "BAD_REQUEST"]);
    // A call on its own is not a refusal.
    socket.send(callMessage(5, "chat.completions", { model: "echo", prompt: "hi" }));
    await until(() => socket.answers.length === 3, 5_000, "the call's answer");
    expect(socket.answers[2]?.result?.type).toBe("data");
    expect(moved(before, await refusals(gateway))).toEqual({ ...NONE, batch: 2 });
    socket.ws.close();
  });
});

describe("calls a socket may not make", () => {
  it("counts a socket closed for its calls without a valid key once, however many it had sent", async () => {
    const gateway = await startKeyedGateway({}, { webSocket: { ...DEFAULT_WEBSOCKET_LIMITS, callsWithoutKey: 3 } });
    try {
      const before = await refusals(gateway, MASTER_KEY);
      const sockets = await Promise.all([1, 2].map(() => openSocket(gateway, { apiKey: "sk-not-a-key-0000000000000000" })));
      for (const socket of sockets) for (let id = 1; id <= 20; id++) socket.send(callMessage(id, "chat.completions", { model: "echo", prompt: "hi" }));
      for (const socket of sockets) expect(await socket.closed).toBe(1008);
      for (const socket of sockets) {
        const codes = socket.answers.map((a) => a.error?.data?.error?.code);
        expect(codes.filter((c) => c === "invalid_api_key")).toHaveLength(3);
        expect(codes.filter((c) => c === "too_many_calls_without_key").length).toBeGreaterThanOrEqual(1);
      }
      expect(moved(before, await refusals(gateway, MASTER_KEY))).toEqual({ ...NONE, too_many_calls_without_key: 2 });
    } finally {
      await gateway.close(100);
    }
  });

  it("counts each call refused for too many in flight", async () => {
    // A short resume grace: the generations of the dropped socket end soon after it.
    const gateway = await startGateway({ resumeGraceMs: 300, webSocket: { ...DEFAULT_WEBSOCKET_LIMITS, callsInFlight: 2 } });
    try {
      const before = await refusals(gateway);
      const socket = await openSocket(gateway);
      // Echo streams of 30 words, one a second: the first two stay in flight for the whole test.
      const longStream = (id: number) =>
        callMessage(id, "chat.generate", { model: "echo", prompt: "word ".repeat(30), extra_body: { echo_delay_ms: 1_000 } }, "subscription");
      for (let id = 1; id <= 5; id++) socket.send(longStream(id));
      socket.send(callMessage(6, "chat.completions", { model: "echo", prompt: "now?" }));
      const refused = () => socket.answers.filter((a) => a.error?.data?.error?.code === "too_many_calls_in_flight");
      await until(() => refused().length === 4, 5_000, "four refusals");
      await pause(200);
      expect(
        refused()
          .map((a) => Number(a.id))
          .sort((a, b) => a - b),
      ).toEqual([3, 4, 5, 6]);
      expect(moved(before, await refusals(gateway))).toEqual({ ...NONE, too_many_calls_in_flight: 4 });
      socket.ws.close();
      await expect.poll(() => gateway.services.generations.running(), { timeout: 10_000 }).toBe(0);
    } finally {
      await gateway.close(100);
    }
  });
});

describe("a client that stops reading", () => {
  // A 7 KB prompt, echoed 128 times: an answer of about 0.9 MB for a request of 7 KB.
  const bigAnswer = (id: number) => callMessage(id, "chat.completions", { model: "echo", prompt: "word ".repeat(1_400), n: 128 });

  /** Sends big answers' requests, a few at a time, until the gateway cuts the socket (or `count` were sent). */
  async function sendUntilCut(socket: RawSocket, count: number): Promise<void> {
    for (let id = 1; id <= count && !socket.server.destroyed; id++) {
      if (socket.ws.readyState !== socket.ws.OPEN) break;
      socket.send(bigAnswer(id));
      if (id % 5 === 0) await pause(20);
    }
    await until(() => socket.server.destroyed, 10_000, "the gateway cutting the socket");
  }

  // The total's case keeps the socket's own cap at 16 MiB: it is the total (3 MiB) this one socket goes past.
  it.each([
    { cap: "its own queue cap", limits: { socketQueueBytes: 2 * MIB }, reason: "socket_queue_full" },
    { cap: "the total queue cap, as the total's", limits: { totalQueueBytes: 3 * MIB }, reason: "total_queue_full" },
  ] as const)("counts a socket cut past $cap once", { timeout: 30_000 }, async ({ limits, reason }) => {
    const gateway = await startGateway({ webSocket: { ...DEFAULT_WEBSOCKET_LIMITS, ...limits } });
    try {
      const before = await refusals(gateway);
      const socket = await openSocket(gateway);
      socket.stopReading();
      await sendUntilCut(socket, 200);
      socket.ws.terminate();
      expect(moved(before, await refusals(gateway))).toEqual({ ...NONE, [reason]: 1 });
    } finally {
      await gateway.close(100);
    }
  });
});
