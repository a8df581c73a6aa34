/**
 * Issue 7 items 10 and 12: slow bodies time out on both doors, a refusal closes the connection,
 * a 50 MiB body through the official SDK gets its 413 (not a connection error), a client cutting
 * its own upload is no error in the log, and CORS exposes what browser code needs.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startKeyedGateway, tempDir } from "../helpers/access.js";
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { killProcesses, startProcess } from "../helpers/process.js";
import { RESPONSIVE_MS, modelsLatency, rawConnection, within } from "./probe.js";

const body = { timeoutMs: 3_000, minBytesPerSecond: 1_024 };

let gateway: TestGateway;
let keyed: TestGateway;
beforeAll(async () => {
  [gateway, keyed] = await Promise.all([startGateway({ body, bodyLimitBytes: 1024 * 1024 }), startKeyedGateway({}, { body })]);
});
afterAll(() => Promise.all([gateway?.close(100), keyed?.close(100)]));
afterEach(() => killProcesses());

/** Opens a raw POST with a declared length and trickles one byte every `everyMs`. */
async function trickle(target: TestGateway, url: string, headers: Record<string, string> = {}, everyMs = 500) {
  const conn = await rawConnection(target.baseURL);
  const head = Object.entries({ host: "x", "content-type": "application/json", "content-length": "100000", ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  conn.socket.write(`POST ${url} HTTP/1.1\r\n${head}\r\n{`);
  const timer = setInterval(() => conn.socket.writable && conn.socket.write(" "), everyMs);
  conn.closed.finally(() => clearInterval(timer));
  return conn;
}

describe("slow bodies", () => {
  it.each(["/v1/chat/completions", "/trpc/chat.completions"])("%s: a body at 2 bytes/s gets a 408 and the connection is closed", async (url) => {
    const conn = await trickle(gateway, url);
    const closedAfter = await within(conn.closed, 10_000, "the connection close");
    expect(closedAfter).toBeLessThan(8_000);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(await modelsLatency(gateway.baseURL)).toBeLessThan(RESPONSIVE_MS);
  });

  it("a fast enough body is not cut by the rate check", async () => {
    const conn = await rawConnection(gateway.baseURL);
    const payload = JSON.stringify({ model: "echo", prompt: "x ".repeat(4_000) });
    conn.socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${payload.length}\r\n\r\n`);
    // 8 KB in 4 pieces over ~2.5 s: well above 1 KiB/s.
    for (let i = 0; i < 4; i++) {
      conn.socket.write(payload.slice((i * payload.length) / 4, ((i + 1) * payload.length) / 4));
      await new Promise((r) => setTimeout(r, 800));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(conn.received()).toMatch(/^HTTP\/1\.1 200/);
    conn.socket.destroy();
  });

  it("after a 401 the trickling client is disconnected", async () => {
    const conn = await trickle(keyed, "/v1/chat/completions");
    const closedAfter = await within(conn.closed, 10_000, "the connection close");
    expect(closedAfter).toBeLessThan(8_000);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 401/);
    expect(conn.received().toLowerCase()).toContain("connection: close");
  });
});

describe("large bodies", () => {
  it("a 50 MiB body through the official openai SDK gets the 413", { timeout: 60_000 }, async () => {
    const openai = new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
    const error = await openai.chat.completions
      .create({ model: "echo", messages: [{ role: "user", content: "x".repeat(50 * 1024 * 1024) }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
  });
});

describe("CORS", () => {
  it("exposes the limit and route headers and allows only the methods used", async () => {
    const preflight = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    const methods = (preflight.headers.get("access-control-allow-methods") ?? "").split(",").map((m) => m.trim());
    // DELETE: a stored response (`DELETE /v1/responses/{id}`).
    expect(methods.sort()).toEqual(["DELETE", "GET", "HEAD", "OPTIONS", "POST"]);
    const res = await fetch(`${gateway.baseURL}/v1/models`, { headers: { origin: "https://app.example" } });
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").split(",").map((h) => h.trim());
    for (const name of [
      "retry-after",
      "x-ratelimit-limit-requests",
      "x-ratelimit-remaining-tokens",
      "x-ratelimit-reset-requests",
      "x-languru-model",
      "x-languru-model-deployment",
      "x-languru-attempts",
    ]) {
      expect(exposed).toContain(name);
    }
  });
});

describe("logs", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("a client cutting its own upload is not an error in the log", async () => {
    const configPath = path.join(tmp.dir, "empty.json");
    writeFileSync(configPath, "{}");
    const server = await startProcess({ LANGURU_CONFIG: configPath });
    for (const url of ["/v1/chat/completions", "/trpc/chat.completions"]) {
      const conn = await rawConnection(server.url);
      conn.socket.write(`POST ${url} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":"echo",`);
      await new Promise((r) => setTimeout(r, 200));
      conn.socket.destroy();
      await conn.closed;
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(await modelsLatency(server.url)).toBeLessThan(RESPONSIVE_MS);
    expect(server.lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});
