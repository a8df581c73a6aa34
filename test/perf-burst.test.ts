/**
 * Bursts as cheap as turns (issue 21, item 2), as behaviour over real sockets: when an upstream's
 * frames arrive together (one write of 64 frames, as a fast or cached upstream sends them), the
 * REST door writes them on together, in one HTTP chunk, byte for byte what the upstream sent; a
 * frame that arrives alone still leaves at once (a burst is not made by waiting).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeUpstream, type Behaviour, type FakeUpstream } from "./helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";
import { rawConnection, within, type RawConnection } from "./hostile/probe.js";

const FRAMES = 64;

/** The frames of a 64-word answer (role first, a finish chunk last) in OpenAI's framing, then `[DONE]`. */
function framesOf(words: number): string[] {
  const chunk = (delta: Record<string, string>, finish: string | null) =>
    `data: ${JSON.stringify({ id: "chatcmpl-burst", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return [
    ...Array.from({ length: words }, (_, i) => chunk(i === 0 ? { role: "assistant", content: `w${i}` } : { content: ` w${i}` }, null)),
    chunk({}, "stop"),
    "data: [DONE]\n\n",
  ];
}

const frames = framesOf(FRAMES);

/** Every frame in one write. */
const burst: Behaviour = ({ res }) => {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.end(frames.join(""));
};

/** The HTTP/1.1 chunks of a raw chunked response: their payloads, in order. */
function httpChunks(raw: string): { head: string; chunks: string[] } {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split);
  const chunks: string[] = [];
  let at = split + 4;
  while (at < raw.length) {
    const eol = raw.indexOf("\r\n", at);
    const size = Number.parseInt(raw.slice(at, eol), 16);
    if (!Number.isFinite(size) || size === 0) break;
    chunks.push(raw.slice(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return { head, chunks };
}

const REQUEST = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
const RAW_REQUEST = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${REQUEST.length}\r\n\r\n${REQUEST}`;

/** Resolves once the chunked response's last chunk (`0\r\n\r\n`) arrived; the connection stays open (keep-alive). */
function responseEnd(connection: RawConnection): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!connection.received().endsWith("\r\n0\r\n\r\n")) return;
      connection.socket.off("data", check);
      resolve();
    };
    connection.socket.on("data", check);
  });
}

/** A streamed request over a raw socket; resolves with the raw response once it ended. */
async function rawStream(gateway: TestGateway): Promise<string> {
  const connection = await rawConnection(gateway.baseURL);
  const ended = responseEnd(connection);
  connection.socket.write(RAW_REQUEST);
  await within(ended, 10_000, "the stream");
  connection.socket.destroy();
  return connection.received();
}

let upstream: FakeUpstream;
let gateway: TestGateway;
beforeAll(async () => {
  upstream = await startFakeUpstream({ models: ["m"] });
  gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["m"])] });
});
beforeEach(() => upstream.reset());
afterAll(async () => {
  await gateway.close(100);
  await upstream.close();
});

describe("a burst of frames in one upstream read", () => {
  it("reaches the client in one write (one HTTP chunk, not one per frame), byte for byte what the upstream sent", async () => {
    upstream.otherwise(burst);
    const { head, chunks } = httpChunks(await rawStream(gateway));
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head.toLowerCase()).toContain("transfer-encoding: chunked");
    expect(chunks.join("")).toBe(frames.join(""));
    // Before: 66 chunks, one per frame. A read may split the burst; a handful of chunks is one write per read.
    expect(chunks.length).toBeLessThanOrEqual(3);
  });

  it("keeps the upstream's bytes when its frames arrive one at a time, and sends each at once", async () => {
    // The upstream sends one frame, then waits until the client has it before sending the rest:
    // a door that held frames back to make bursts would never get the rest.
    let clientHasFirst: () => void = () => undefined;
    const firstSeen = new Promise<void>((resolve) => {
      clientHasFirst = resolve;
    });
    upstream.otherwise(async (exchange) => {
      exchange.res.writeHead(200, { "content-type": "text/event-stream" });
      await exchange.write(frames[0] ?? "");
      await within(firstSeen, 5_000, "the first frame reaching the client");
      for (const frame of frames.slice(1)) await exchange.write(frame);
      exchange.res.end();
    });
    const connection = await rawConnection(gateway.baseURL);
    const ended = responseEnd(connection);
    connection.socket.on("data", () => {
      if (connection.received().includes('"w0"')) clientHasFirst();
    });
    connection.socket.write(RAW_REQUEST);
    await within(ended, 10_000, "the stream");
    connection.socket.destroy();
    expect(httpChunks(connection.received()).chunks.join("")).toBe(frames.join(""));
  });
});
