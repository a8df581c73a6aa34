/**
 * The bytes of an upstream's event stream, however the reads cut them: a character split across two
 * reads arrives whole, a leading byte-order mark is not part of the first event, and bytes that are
 * not UTF-8 become U+FFFD instead of failing the stream. Over real sockets: a fake upstream writes
 * the pieces with pauses between them (so the gateway reads them apart), the REST door relays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { startFakeUpstream, type Behaviour, type FakeUpstream } from "../helpers/fake-upstream.js";

let upstream: FakeUpstream;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, ["m1"])] });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m1", choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

/** Writes the stream's bytes in the given pieces, 15 ms apart. */
function pieces(parts: Buffer[]): Behaviour {
  return async ({ res, sleep }) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const part of parts) {
      res.write(part);
      await sleep(15);
    }
    res.end();
  };
}

/** The content the REST door relayed, joined. */
async function streamedText(): Promise<string> {
  const res = await fetch(`${gateway.url()}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m1", stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: {"))
    .map((frame) => (JSON.parse(frame.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? "")
    .join("");
}

describe("upstream stream bytes", () => {
  it("keeps a character split across two reads whole, in every position of its bytes", async () => {
    const text = "naïve 日本 🎉";
    const bytes = Buffer.from(chunk(text) + chunk("", "stop") + "data: [DONE]\n\n");
    const start = bytes.indexOf(Buffer.from("🎉"));
    for (const cut of [start + 1, start + 2, start + 3, bytes.indexOf(Buffer.from("日")) + 1]) {
      upstream.script(pieces([bytes.subarray(0, cut), bytes.subarray(cut)]));
      expect(await streamedText()).toBe(text);
    }
  });

  it("drops a leading byte-order mark, also when it arrives alone", async () => {
    const body = Buffer.from(chunk("first") + chunk("", "stop") + "data: [DONE]\n\n");
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    upstream.script(pieces([Buffer.concat([bom, body])]));
    expect(await streamedText()).toBe("first");
    upstream.script(pieces([bom.subarray(0, 2), Buffer.concat([bom.subarray(2), body])]));
    expect(await streamedText()).toBe("first");
  });

  it("replaces bytes that are not UTF-8 with U+FFFD", async () => {
    const [before, after] = chunk("a\u0000b").split("\\u0000") as [string, string];
    const body = Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after), Buffer.from(chunk("", "stop") + "data: [DONE]\n\n")]);
    upstream.script(pieces([body]));
    expect(await streamedText()).toBe("a\ufffd\ufffdb");
  });
});
