import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatCompletionChunk } from "../client/index.js";
import { sdk, startGateway, type TestGateway } from "./helpers/gateway.js";

let gateway: TestGateway;
const sockets = new Set<Socket>();
beforeAll(async () => {
  gateway = await startGateway({ resumeGraceMs: 5_000 });
  gateway.server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
});
afterAll(() => gateway.close(100));

const words = Array.from({ length: 30 }, (_, i) => `w${i}`);

describe.each(["websocket", "http"] as const)("tRPC stream over %s: resume, abort, large input", (transport) => {
  it("resumes after a forced disconnect with no duplicated or lost chunk and no second generation", async () => {
    const client = sdk(gateway, { transport });
    const chunks: ChatCompletionChunk[] = [];
    let cut = false;
    const request = { model: "echo", messages: [{ role: "user" as const, content: words.join(" ") }], extra_body: { echo_delay_ms: 20 } };
    const changes: string[] = [];
    for await (const chunk of client.chat.stream(request, { onConnectionChange: (state) => changes.push(state) })) {
      chunks.push(chunk);
      if (chunks.length === 8 && !cut) {
        cut = true;
        // Drop every connection the server holds (the socket, or the SSE one), as a network failure would.
        for (const socket of sockets) socket.destroy();
      }
    }
    expect(cut).toBe(true);
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(content).toBe(words.join(" "));
    // One generation: every chunk carries the same completion id.
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    // role chunk + one per word + finish chunk, each exactly once
    expect(chunks.length).toBe(words.length + 2);
    // The caller heard of the drop and of the way back (a UI shows "reconnecting" meanwhile).
    expect(changes).toEqual(["reconnecting", "connected"]);
  });

  it("stops the generation at once when the consumer aborts", async () => {
    const client = sdk(gateway, { transport });
    const controller = new AbortController();
    const request = { model: "echo", messages: [{ role: "user" as const, content: words.join(" ") }], extra_body: { echo_delay_ms: 50 } };
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of client.chat.stream(request, { signal: controller.signal })) {
          seen.push(chunk.choices[0]?.delta.content ?? "");
          if (seen.length === 3) controller.abort();
        }
      })(),
    ).rejects.toThrow();
    expect(seen.length).toBe(3);
    // The stop (WebSocket) or the cancel mutation (HTTP) reaches the server well before the resume grace (5 s) would.
    await expect.poll(() => gateway.services.generations.running(), { timeout: 1_000, interval: 20 }).toBe(0);
  });

  it("stops the generation when the consumer breaks out of the loop", async () => {
    const client = sdk(gateway, { transport });
    const request = { model: "echo", messages: [{ role: "user" as const, content: words.join(" ") }], extra_body: { echo_delay_ms: 50 } };
    let n = 0;
    for await (const _chunk of client.chat.stream(request)) if (++n === 2) break;
    await expect.poll(() => gateway.services.generations.running(), { timeout: 1_000, interval: 20 }).toBe(0);
  });

  it("streams a 200 KB conversation from Node", async () => {
    const client = sdk(gateway, { transport });
    const filler = "lorem ipsum dolor sit amet ".repeat(40);
    const history = Array.from({ length: 190 }, (_, i) => ({ role: (i % 2 ? "assistant" : "user") as "assistant" | "user", content: filler }));
    const messages = [...history, { role: "user" as const, content: "the final question" }];
    expect(JSON.stringify(messages).length).toBeGreaterThan(200_000);
    let content = "";
    let usage: ChatCompletionChunk["usage"];
    for await (const chunk of client.chat.stream({ model: "echo", messages, stream_options: { include_usage: true } })) {
      content += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(content).toBe("the final question");
    expect(usage?.prompt_tokens).toBe(190 * 200 + 3);
  });
});
