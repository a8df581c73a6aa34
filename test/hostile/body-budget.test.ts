/**
 * The bytes of request bodies being read at once are bounded for the whole gateway
 * (`LANGURU_BODY_BYTES_IN_FLIGHT`), so a large per-body limit is not a memory attack: many
 * connections each uploading a body near the limit get a 503 `server_busy` with `retry-after`
 * at once, before their bodies are read, while bodiless requests and the admitted uploads go on.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { RESPONSIVE_MS, modelsLatency, rawConnection, within, type RawConnection } from "./probe.js";

const BODY_LIMIT = 1024 * 1024;
const IN_FLIGHT = 4 * BODY_LIMIT;

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway({ bodyLimitBytes: BODY_LIMIT, bodyBytesInFlight: IN_FLIGHT, body: { timeoutMs: 15_000, minBytesPerSecond: 0 } });
});
afterAll(() => gateway?.close(100));

/** A raw upload of a `length`-byte body that sends only `sent` bytes of it, then waits for `finish()`. */
async function heldUpload(length: number, sent = 100): Promise<RawConnection & { finish(): void }> {
  const connection = await rawConnection(gateway.baseURL);
  const whole = body(length);
  const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: ${whole.length}\r\n\r\n`;
  connection.socket.write(head + whole.slice(0, sent));
  return Object.assign(connection, { finish: () => void connection.socket.write(whole.slice(sent)) });
}

async function status(connection: RawConnection, waitMs = 5_000): Promise<number> {
  await within(
    (async () => {
      while (!/^HTTP\/1\.1 \d{3}/.test(connection.received())) await new Promise((r) => setTimeout(r, 10));
    })(),
    waitMs,
    "an answer",
  );
  return Number(connection.received().slice(9, 12));
}

// A request of exactly `bytes` bytes: JSON whitespace pads it, so the echo reply stays short.
function body(bytes: number): string {
  const text = JSON.stringify({ model: "echo", messages: [{ role: "user", content: "hi" }] });
  return `${text.slice(0, -1)}${" ".repeat(bytes - text.length)}}`;
}

describe("bodies in flight share one budget", () => {
  it("past the budget a body is refused with a 503 at once; bodiless requests and the admitted bodies go on", async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => heldUpload(BODY_LIMIT)));
    await new Promise((r) => setTimeout(r, 100));

    const refused = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body(1_000),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    expect((await refused.json()).error).toMatchObject({ code: "server_busy", type: expect.any(String) });

    // A chunked body reserves the whole limit: refused too.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${gateway.baseURL}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write(body(1_000));
      req.end();
    });
    expect(chunked).toBe(503);
    // The tRPC door shares the budget.
    const trpc = await fetch(`${gateway.baseURL}/trpc/chat.completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { model: "echo", prompt: "hi" } }),
    });
    expect(trpc.status).toBe(503);

    expect(await modelsLatency(gateway.baseURL)).toBeLessThan(RESPONSIVE_MS);

    // The held uploads were admitted: finishing one is served, and frees its share.
    const first = held[0]!;
    first.finish();
    expect(await status(first)).toBe(200);
    for (const connection of held) connection.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const after = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body(900_000),
    });
    expect(after.status).toBe(200);
  });

  it("many near-limit uploads at once: all but the budget's worth are refused before their bodies are read", async () => {
    const uploads = await Promise.all(Array.from({ length: 32 }, () => heldUpload(BODY_LIMIT, BODY_LIMIT - 10_000)));
    const answered = await Promise.all(uploads.map((u) => status(u, 1_500).catch(() => 0)));
    const busy = answered.filter((s) => s === 503).length;
    // At most four bodies of 1 MiB fit in 4 MiB; without the budget none would be answered before their last byte.
    expect(busy).toBeGreaterThanOrEqual(28);
    expect(answered.filter((s) => s !== 503 && s !== 0)).toEqual([]);
    expect(await modelsLatency(gateway.baseURL)).toBeLessThan(RESPONSIVE_MS);
    for (const upload of uploads) upload.socket.destroy();
  });
});
