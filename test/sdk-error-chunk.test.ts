/**
 * The SDK never yields an error as a chunk: a server (another gateway version, a proxy) that sends
 * `{"error": {...}}` in place of a chunk makes the stream throw a typed error, after the chunks
 * before it, so app code reading `chunk.choices[0]` never meets an object without `choices`. The
 * server here speaks tRPC's WebSocket protocol on a real socket, as the gateway does.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLanguruClient } from "../client/index.js";

const chunk = (content: string) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "m",
  choices: [{ index: 0, delta: { content }, finish_reason: null, logprobs: null }],
});

let server: Server;
let url = "";
// What the next subscription's one data event carries.
let batch: unknown[] = [];
beforeAll(async () => {
  server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws) => {
    ws.on("message", (raw) => {
      for (const line of String(raw).split("\n").filter(Boolean)) {
        const call = JSON.parse(line) as { id?: number; method?: string };
        if (call.method !== "subscription") continue;
        ws.send(JSON.stringify({ id: call.id, result: { type: "started" } }));
        ws.send(JSON.stringify({ id: call.id, result: { type: "data", id: "g:0", data: { json: { id: "g:0", data: batch } } } }));
        ws.send(JSON.stringify({ id: call.id, result: { type: "stopped" } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function read(items: unknown[]): Promise<{ texts: string[]; error: unknown }> {
  batch = items;
  const client = createLanguruClient({ url, WebSocket });
  const texts: string[] = [];
  try {
    for await (const c of client.chat.stream({ model: "m", prompt: "hi" })) texts.push(c.choices[0]?.delta.content ?? "");
    return { texts, error: null };
  } catch (error) {
    return { texts, error };
  } finally {
    await client.close();
  }
}

describe("an error in place of a chunk", () => {
  it("is thrown as a typed error after the chunks before it, never yielded", async () => {
    const { texts, error } = await read([chunk("a"), { error: { message: "upstream overloaded", type: "server_error", code: 503 } }, chunk("never")]);
    expect(texts).toEqual(["a"]);
    expect(error).toMatchObject({ name: "ServiceUnavailableError", status: 503, message: "upstream overloaded" });
  });

  it("without a status it is a 502; a string error keeps its text", async () => {
    const { texts, error } = await read([{ error: "boom" }]);
    expect(texts).toEqual([]);
    expect(error).toMatchObject({ name: "UpstreamError", status: 502, message: "boom" });
  });

  it("a chunk that has choices and an error field is still a chunk", async () => {
    const { texts, error } = await read([
      { ...chunk("b"), error: null },
      { ...chunk("c"), error: { note: "vendor" } },
    ]);
    expect(error).toBeNull();
    expect(texts).toEqual(["b", "c"]);
  });
});
