/**
 * The life of an Anthropic door stream over real sockets: `ping` events while the model is silent
 * (the door on its own server with a short ping period, in front of a chat service that pauses),
 * and a client that leaves mid-stream stopping the upstream request (the real gateway in front of
 * a fake upstream that hangs).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import type { ChatCompletionChunk } from "../shared/index.js";
import type { ChatService } from "../server/chat/service.js";
import { createAnthropicHandler } from "../server/doors/anthropic/index.js";
import { loadConfig } from "../server/config.js";
import { postJson, readSse } from "./helpers/anthropic-door.js";
import { startFakeUpstream, stream } from "./helpers/fake-upstream.js";
import { startGateway, upstreamProvider } from "./helpers/gateway.js";
import { within } from "./hostile/probe.js";

const chunk = (content: string): ChatCompletionChunk => ({
  id: "c1",
  object: "chat.completion.chunk",
  created: 1,
  model: "slow",
  choices: [{ index: 0, delta: { content }, finish_reason: null, logprobs: null }],
});

// Only `stream` is called by the door for a streamed request.
function pausingChat(pauseMs: number): ChatService {
  async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
    yield chunk("before");
    await sleep(pauseMs);
    yield chunk(" after");
  }
  const service: Pick<ChatService, "stream"> = {
    stream: async () => ({ value: chunks(), route: { model: "slow", deployment: "test/slow", attempts: 1 } }),
  };
  return service as ChatService;
}

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
});

describe("Anthropic door streams", () => {
  it("send ping events while the model is silent", async () => {
    const door = createAnthropicHandler({ chat: pausingChat(400), access: null, bodyLimitBytes: 1 << 20, pingMs: 100 });
    const server = createServer((req, res) => void door(req, res));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await postJson({ baseURL }, "/v1/messages", {
      model: "slow",
      max_tokens: 10,
      stream: true,
      messages: [{ role: "user", content: "x" }],
    });
    const types = (await readSse(res)).map((e) => e.event);
    const first = types.indexOf("content_block_delta");
    const second = types.lastIndexOf("content_block_delta");
    const pingsBetween = types.slice(first, second).filter((t) => t === "ping").length;
    // 400 ms of silence at a 100 ms period: about 3 (a loaded box may fire fewer or later).
    expect(pingsBetween).toBeGreaterThanOrEqual(1);
    expect(pingsBetween).toBeLessThanOrEqual(5);
    expect(types.slice(-2)).toEqual(["message_delta", "message_stop"]);
  });

  it("a client that leaves mid-stream stops the upstream request", async () => {
    const upstream = await startFakeUpstream({ models: ["m"] });
    const { routing } = loadConfig({});
    const gateway = await startGateway({
      routing: { ...routing, retry: { ...routing.retry, attempts: 1 } },
      providers: [upstreamProvider(upstream.baseURL, ["m"])],
    });
    try {
      const frame = {
        id: "c",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [{ index: 0, delta: { content: "hi" }, finish_reason: null }],
      };
      upstream.script(stream([frame, frame], { hangAfter: 2 }));
      const controller = new AbortController();
      const res = await fetch(`${gateway.baseURL}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", max_tokens: 10, stream: true, messages: [{ role: "user", content: "x" }] }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      expect(await within((await upstream.call(0)).ended, 5_000, "the upstream request's end")).toBe("aborted");
    } finally {
      await gateway.close(100);
      await upstream.close();
    }
  });
});
