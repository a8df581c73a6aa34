/**
 * The WebSocket door's caps are settings: `LANGURU_WS_CALLS_IN_FLIGHT`, `LANGURU_WS_CALLS_WITHOUT_KEY`,
 * `LANGURU_WS_SOCKET_QUEUE_BYTES` and `LANGURU_WS_TOTAL_QUEUE_BYTES`, read with the other settings,
 * with the old constants as defaults. A gateway started from lowered values enforces them over a real
 * `ws` socket; an invalid value stops startup with a message naming the variable.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compiledEntry } from "../scripts/build-server.js";
import { ConfigError, loadConfig } from "../server/config.js";
import { startKeyedGateway } from "./helpers/access.js";
import { startGateway } from "./helpers/gateway.js";
import { callMessage, openSocket, pause, until, type RawSocket } from "./hostile/raw-socket.js";

const MIB = 1024 * 1024;

describe("reading the settings", () => {
  it("defaults to the caps the door had: 1,024 in flight, 16 calls without a key, 16 MiB a socket, 128 MiB in all", () => {
    expect(loadConfig({}).webSocket).toEqual({ callsInFlight: 1_024, callsWithoutKey: 16, socketQueueBytes: 16 * MIB, totalQueueBytes: 128 * MIB });
  });

  it("reads each variable", () => {
    const config = loadConfig({
      LANGURU_WS_CALLS_IN_FLIGHT: "2",
      LANGURU_WS_CALLS_WITHOUT_KEY: "3",
      LANGURU_WS_SOCKET_QUEUE_BYTES: String(2 * MIB),
      LANGURU_WS_TOTAL_QUEUE_BYTES: String(3 * MIB),
    });
    expect(config.webSocket).toEqual({ callsInFlight: 2, callsWithoutKey: 3, socketQueueBytes: 2 * MIB, totalQueueBytes: 3 * MIB });
  });

  it.each([
    ["LANGURU_WS_CALLS_IN_FLIGHT", "0"],
    ["LANGURU_WS_CALLS_IN_FLIGHT", "many"],
    ["LANGURU_WS_CALLS_IN_FLIGHT", "1.5"],
    ["LANGURU_WS_CALLS_WITHOUT_KEY", "0"],
    ["LANGURU_WS_CALLS_WITHOUT_KEY", "-16"],
    ["LANGURU_WS_SOCKET_QUEUE_BYTES", "65536"],
    ["LANGURU_WS_SOCKET_QUEUE_BYTES", "16MiB"],
    ["LANGURU_WS_TOTAL_QUEUE_BYTES", "1000"],
    ["LANGURU_WS_TOTAL_QUEUE_BYTES", "0"],
  ])("refuses %s=%s, naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`environment variable ${name}: `));
  });

  it("the server process refuses to start on an invalid cap, naming it", async () => {
    const entry = await compiledEntry("main");
    if (!entry) throw new Error("the server cannot be compiled here: esbuild is not installed");
    const child = spawn(process.execPath, [fileURLToPath(entry)], {
      env: { ...process.env, PORT: "0", LOG_LEVEL: "info", LANGURU_WS_CALLS_IN_FLIGHT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    try {
      // A server that takes the value starts and keeps running: that is the failure, not a hang.
      const exited = once(child, "exit") as Promise<[number]>;
      const [code] = await Promise.race([exited, pause(10_000).then(() => [null] as const)]);
      expect(code).toBe(1);
      expect(out).toContain("LANGURU_WS_CALLS_IN_FLIGHT");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

describe("a gateway started with lowered caps enforces them", () => {
  it("LANGURU_WS_CALLS_IN_FLIGHT=2: a third call is refused (429) while two run, and runs once one ended", async () => {
    const { webSocket } = loadConfig({ LANGURU_WS_CALLS_IN_FLIGHT: "2" });
    const gateway = await startGateway({ resumeGraceMs: 300, webSocket });
    try {
      const socket = await openSocket(gateway);
      // Echo streams of 30 words, one a second: they stay in flight for the whole test.
      const longStream = (id: number) =>
        callMessage(id, "chat.generate", { model: "echo", prompt: "word ".repeat(30), extra_body: { echo_delay_ms: 1_000 } }, "subscription");
      socket.send(longStream(1));
      socket.send(longStream(2));
      await until(() => socket.answers.filter((a) => a.result?.type === "started").length === 2, 5_000, "two streams started");
      socket.send(callMessage(3, "chat.completions", { model: "echo", prompt: "a third" }));
      await until(() => socket.answers.some((a) => a.id === 3), 5_000, "the third call's answer");
      const third = socket.answers.find((a) => a.id === 3);
      expect(third?.error?.data).toMatchObject({ status: 429, error: { code: "too_many_calls_in_flight" } });
      expect(third?.error?.message).toContain("2 calls in flight");
      socket.send(JSON.stringify({ id: 1, method: "subscription.stop" }));
      await until(() => socket.answers.some((a) => a.id === 1 && a.result?.type === "stopped"), 5_000, "the stop");
      socket.send(callMessage(4, "chat.completions", { model: "echo", prompt: "now" }));
      await until(() => socket.answers.some((a) => a.id === 4), 5_000, "the fourth call's answer");
      expect(socket.answers.find((a) => a.id === 4)?.result?.type).toBe("data");
      socket.ws.close();
      await expect.poll(() => gateway.services.generations.running(), { timeout: 10_000 }).toBe(0);
    } finally {
      await gateway.close(100);
    }
  });

  it("LANGURU_WS_CALLS_WITHOUT_KEY=3: three calls get their 401, then the socket is closed (1008)", async () => {
    const { webSocket } = loadConfig({ LANGURU_WS_CALLS_WITHOUT_KEY: "3" });
    const gateway = await startKeyedGateway({}, { webSocket });
    try {
      const socket = await openSocket(gateway, { apiKey: "sk-not-a-key-0000000000000000" });
      for (let id = 1; id <= 10; id++) socket.send(callMessage(id, "chat.completions", { model: "echo", prompt: "hi" }));
      expect(await socket.closed).toBe(1008);
      const codes = socket.answers.map((a) => a.error?.data?.error?.code);
      // Answered in any order (a refusal needs no key lookup): three 401s as usual, the rest refused.
      expect(codes.filter((c) => c === "invalid_api_key")).toHaveLength(3);
      expect(codes.length).toBeGreaterThan(3);
      expect(codes.filter((c) => c === "too_many_calls_without_key")).toHaveLength(codes.length - 3);
      expect(socket.answers.find((a) => a.error?.data?.error?.code === "too_many_calls_without_key")?.error?.message).toContain("made 3 calls");
    } finally {
      await gateway.close(100);
    }
  });

  describe("queue caps", () => {
    // A 7 KB prompt, echoed 128 times: an answer of about 0.9 MB for a request of 7 KB.
    const bigAnswer = (id: number) => callMessage(id, "chat.completions", { model: "echo", prompt: "word ".repeat(1_400), n: 128 });

    /** Sends requests for big answers to a socket that does not read until the gateway cuts it; returns the most it queued. */
    async function peakQueuedUntilCut(socket: RawSocket): Promise<number> {
      let peak = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, socket.server.writableLength);
      }, 5);
      try {
        // 60 answers are ~54 MB: far past either lowered cap, and past the 16 MiB default too.
        for (let id = 1; id <= 60 && !socket.server.destroyed && socket.ws.readyState === socket.ws.OPEN; id++) {
          socket.send(bigAnswer(id));
          if (id % 5 === 0) await pause(20);
        }
        await until(() => socket.server.destroyed, 10_000, "the gateway cutting the socket");
      } finally {
        clearInterval(sampler);
      }
      return peak;
    }

    for (const [name, value] of [
      ["LANGURU_WS_SOCKET_QUEUE_BYTES", 2 * MIB],
      ["LANGURU_WS_TOTAL_QUEUE_BYTES", 3 * MIB],
    ] as const) {
      it(`${name}=${value}: a socket that does not read is cut after a few MiB queued, not 16`, { timeout: 30_000 }, async () => {
        const { webSocket } = loadConfig({ [name]: String(value) });
        const gateway = await startGateway({ webSocket });
        try {
          const socket = await openSocket(gateway);
          socket.stopReading();
          const peak = await peakQueuedUntilCut(socket);
          // Cut once over the 1 MiB mark by more than the cap: a message (~0.9 MB) of slack.
          expect(peak).toBeLessThan(value + 3 * MIB);
          socket.ws.terminate();
        } finally {
          await gateway.close(100);
        }
      });
    }
  });
});
