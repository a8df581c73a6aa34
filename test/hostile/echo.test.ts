/**
 * Issue 16 item 7: echo's output bound counts the bytes on the wire, not the reply's text. A
 * streamed reply repeats the chunk envelope per word and every choice per chunk, so an 8 KB
 * request could make 13.9 MB of SSE; the bound now covers the serialized stream (all choices,
 * logprobs included) and a request over it is refused before anything is generated.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ECHO_MAX_OUTPUT_BYTES } from "../../server/providers/echo.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway({ resumeGraceMs: 1_000 });
});
afterAll(() => gateway?.close(100));

const post = (body: Record<string, unknown>) =>
  fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "echo", ...body }),
  });

/** The bytes of a REST answer (SSE or JSON), or the refusal's code. */
async function wireBytes(body: Record<string, unknown>): Promise<number | string> {
  const res = await post(body);
  const text = await res.text();
  if (res.status === 200) return Buffer.byteLength(text);
  expect(res.status).toBe(400);
  return (JSON.parse(text) as { error: { code: string } }).error.code;
}

/** The largest word count whose request is served, by bisection: refusals are cheap, acceptances bounded. */
async function largestAccepted(body: (words: number) => Record<string, unknown>): Promise<number> {
  let low = 1;
  let high = 150_000;
  expect(await wireBytes(body(low))).toBeTypeOf("number");
  expect(await wireBytes(body(high))).toBe("echo_output_too_large");
  while (high - low > Math.max(1, low / 100)) {
    const mid = Math.floor((low + high) / 2);
    if (typeof (await wireBytes(body(mid))) === "number") low = mid;
    else high = mid;
  }
  return low;
}

describe("echo's output bound", () => {
  it("an 8 KB request asking for a stream of many short words over 128 choices is a 400, and so is its chat.start", async () => {
    const attack = { prompt: "a ".repeat(4_000), n: 128, stream: true };
    expect(Buffer.byteLength(JSON.stringify(attack))).toBeLessThan(9_000);
    const started = Date.now();
    const res = await post(attack);
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ error: { param: "n", code: "echo_output_too_large" } });
    expect(Date.now() - started).toBeLessThan(1_000);

    const start = await fetch(`${gateway.baseURL}/trpc/chat.start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { model: "echo", ...attack } }),
    });
    expect(start.status).toBe(400);
    expect(await start.text()).toContain("echo_output_too_large");
    expect(gateway.services.generations.running()).toBe(0);
  });

  // Shapes that grow the wire far faster than the text: one-letter words, many choices, logprobs
  // (each token's bytes listed as numbers, twice), escapes (a control character is 6 bytes in JSON),
  // CJK (3 UTF-8 bytes per character), the usage chunk.
  const shapes: Array<{ name: string; word: string; extra: Record<string, unknown>; streamOnly?: boolean }> = [
    { name: "one-letter words, n=16", word: "a", extra: { n: 16 } },
    { name: "one-letter words with top_logprobs, n=4", word: "b", extra: { n: 4, logprobs: true, top_logprobs: 20 } },
    { name: "control characters, n=8", word: "\u0001\u0002\u0003", extra: { n: 8 } },
    { name: "CJK words with logprobs", word: "漢字かな", extra: { logprobs: true, top_logprobs: 1 } },
    { name: "usage chunk, n=2", word: "xy", extra: { n: 2, stream_options: { include_usage: true } }, streamOnly: true },
  ];

  for (const { name, word, extra, streamOnly } of shapes) {
    for (const stream of streamOnly ? [true] : [true, false]) {
      it(`${name}, ${stream ? "streamed" : "whole"}: what is served stays under the bound, and the bound is not far below what is served`, {
        timeout: 30_000,
      }, async () => {
        const body = (words: number) => ({ prompt: Array.from({ length: words }, () => word).join(" "), stream, ...extra });
        const low = await largestAccepted(body);
        const served = (await wireBytes(body(low))) as number;
        expect(served).toBeLessThanOrEqual(ECHO_MAX_OUTPUT_BYTES);
        // An estimate, but an honest one: at least half the bound is usable.
        expect(served).toBeGreaterThan(ECHO_MAX_OUTPUT_BYTES / 2);
      });
    }
  }

  it("the largest stream served over REST is within the bound over tRPC's SSE follow and over a WebSocket too", { timeout: 60_000 }, async () => {
    const body = (words: number) => ({ prompt: Array.from({ length: words }, () => "a").join(" "), n: 2, stream: true });
    const words = await largestAccepted(body);
    const start = await fetch(`${gateway.baseURL}/trpc/chat.start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { model: "echo", ...body(words) } }),
    });
    expect(start.status).toBe(200);
    const { id, token } = ((await start.json()) as { result: { data: { json: { id: string; token: string } } } }).result.data.json;
    const input = encodeURIComponent(JSON.stringify({ json: { id, token } }));
    const follow = await fetch(`${gateway.baseURL}/trpc/chat.stream?input=${input}`, { headers: { accept: "text/event-stream" } });
    const text = await follow.text();
    expect(text).toContain("event: return");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(ECHO_MAX_OUTPUT_BYTES);

    // Paced (1 ms a word), every chunk is a WebSocket message of its own: the costliest framing.
    const ws = new WebSocket(`${gateway.baseURL.replace(/^http/, "ws")}/trpc`);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    let bytes = 0;
    let messages = 0;
    const stopped = new Promise<void>((resolve) =>
      ws.on("message", (data: Buffer) => {
        bytes += data.length;
        messages++;
        if (data.includes('"type":"stopped"') || data.includes('"error"')) resolve();
      }),
    );
    const input2 = { model: "echo", ...body(words), extra_body: { echo_delay_ms: 1 } };
    ws.send(JSON.stringify({ id: 1, method: "subscription", params: { path: "chat.generate", input: { json: input2 } } }));
    await stopped;
    ws.close();
    expect(messages).toBeGreaterThan(words / 2);
    expect(bytes).toBeLessThanOrEqual(ECHO_MAX_OUTPUT_BYTES);
  });
});
