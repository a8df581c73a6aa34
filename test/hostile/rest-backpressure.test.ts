/**
 * A REST stream to a client that reads slowly waits for `drain` many times; each wait must leave
 * nothing behind (no listener per wait on the response: no MaxListenersExceededWarning, no memory
 * growing with the number of waits), and the stream still arrives whole.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import type { FakeUpstream } from "../helpers/fake-upstream.js";
import { hugeStream, startHostileUpstream } from "../helpers/hostile-upstream.js";
import { rawConnection, within } from "./probe.js";

let upstream: FakeUpstream;
let gateway: TestGateway;
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);

beforeAll(async () => {
  upstream = await startHostileUpstream();
  gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["m"])] });
  process.on("warning", onWarning);
});
afterAll(async () => {
  process.off("warning", onWarning);
  await gateway.close(100);
  await upstream.close();
});

describe("a slow REST reader", () => {
  it("gets the whole stream through many drain waits, with no listener left behind per wait", { timeout: 60_000 }, async () => {
    const bytes = 24 * 1024 * 1024;
    upstream.otherwise(hugeStream({ bytes }));
    const connection = await rawConnection(gateway.baseURL);
    const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
    connection.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
    // Read in small sips: the gateway's writes fill the socket and wait for drain, again and again.
    connection.socket.pause();
    const sipper = setInterval(() => {
      connection.socket.resume();
      setTimeout(() => connection.socket.pause(), 5).unref();
    }, 20);
    try {
      await within(connection.closed, 50_000, "the whole slow stream");
    } finally {
      clearInterval(sipper);
    }
    const received = connection.received();
    expect(received.length).toBeGreaterThan(bytes);
    expect(received).toContain("data: [DONE]");
    expect(received).not.toContain('"error"');
    expect(warnings.filter((w) => w.includes("MaxListenersExceeded"))).toEqual([]);
  });
});
