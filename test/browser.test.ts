/**
 * The client SDK in a real browser: esbuild bundles test/browser/entry.ts (which imports
 * client/index.ts) for the browser, a page served from another origin runs it in headless Chromium,
 * and it talks to a real gateway with the browser's own WebSocket (the default), or fetch and
 * EventSource (the HTTP fallback, so CORS is exercised).
 */
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Messages } from "./browser/entry.js";
import { serveBundledPage } from "./helpers/bundle-page.js";
import { hasChromium, launchChromium, warnIfNoChromium } from "./helpers/chromium.js";
import { startGateway, type TestGateway } from "./helpers/gateway.js";

warnIfNoChromium("browser.test");

const words = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** About 200 KB of history (alternating turns) and a last user message of 50 words. */
function bigConversation(): { messages: Messages; lastWords: string[] } {
  const messages: Messages = [{ role: "system", content: "You are a test." }];
  const filler = words(100, "history").join(" "); // ~1 KB per turn
  for (let i = 0; i < 200; i++) messages.push({ role: i % 2 === 0 ? "user" : "assistant", content: `${i} ${filler}` });
  const lastWords = words(50, "w");
  // Irregular whitespace: the echo model splits on any run of it and rejoins with single spaces.
  messages.push({ role: "user", content: `  ${lastWords.join(" \n\t ")}  ` });
  return { messages, lastWords };
}

function countWords(messages: Messages): number {
  const text = (content: unknown) => (typeof content === "string" ? content : "");
  return messages.reduce(
    (sum, m) =>
      sum +
      text(m.content)
        .split(/\s+/)
        .filter((w) => w !== "").length,
    0,
  );
}

describe.skipIf(!hasChromium)("client SDK in headless Chromium", () => {
  let gateway: TestGateway;
  let pageServer: Server;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const requests: Request[] = [];
  const sockets: string[] = [];

  beforeAll(async () => {
    const [gw, served, br] = await Promise.all([
      startGateway(),
      serveBundledPage(fileURLToPath(new URL("./browser/entry.ts", import.meta.url))),
      launchChromium(),
    ]);
    [gateway, pageServer, browser] = [gw, served.server, br];
    page = await browser.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("request", (req) => requests.push(req));
    page.on("websocket", (ws) => sockets.push(ws.url()));
    await page.goto(served.url);
    await page.waitForFunction(() => "languru" in window);
    expect(new URL(served.url).origin).not.toBe(new URL(gateway.baseURL).origin);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (pageServer ? pageServer.close(() => resolve()) : resolve()));
    await gateway?.close(100);
    expect(pageErrors).toEqual([]);
  });

  it("streams a 200 KB conversation over the WebSocket: one subscription, no HTTP request", async () => {
    const { messages, lastWords } = bigConversation();
    const first = requests.length;
    const result = await page.evaluate(([url, msgs]) => window.languru.stream(url, msgs, "websocket"), [gateway.baseURL, messages] as const);
    expect(result.content).toBe(lastWords.join(" "));
    expect(result.contentChunks).toBe(lastWords.length);
    const prompt = countWords(messages);
    expect(result.usage).toEqual({ prompt_tokens: prompt, completion_tokens: 50, total_tokens: prompt + 50 });
    expect(requests.slice(first).filter((r) => r.url().startsWith(gateway.baseURL))).toEqual([]);
    expect(sockets.at(-1)).toBe(`${gateway.baseURL.replace("http", "ws")}/trpc`);
  });

  it("streams a 200 KB conversation over HTTP: POSTs it, then follows over a short SSE URL", async () => {
    const { messages, lastWords } = bigConversation();
    const size = JSON.stringify(messages).length;
    expect(size).toBeGreaterThan(200_000);
    const first = requests.length;

    const result = await page.evaluate(([url, msgs]) => window.languru.stream(url, msgs, "http"), [gateway.baseURL, messages] as const);

    expect(result.content).toBe(lastWords.join(" "));
    expect(result.contentChunks).toBe(lastWords.length);
    expect(result.finishReason).toBe("stop");
    const prompt = countWords(messages);
    expect(result.usage).toEqual({ prompt_tokens: prompt, completion_tokens: 50, total_tokens: prompt + 50 });

    // The conversation went in a POST body; the EventSource GET stayed far below Node's 16 KiB head limit.
    const sent = requests.slice(first).filter((r) => r.url().startsWith(gateway.baseURL));
    const start = sent.find((r) => r.url().includes("/trpc/chat.start"));
    const follows = sent.filter((r) => r.url().includes("/trpc/chat.stream"));
    const follow = follows[0];
    expect(follows).toHaveLength(1); // one connection: no reconnect, no second generation
    expect(start?.method()).toBe("POST");
    expect(start?.postData()?.length ?? 0).toBeGreaterThan(200_000);
    expect(follow?.method()).toBe("GET");
    expect(follow?.resourceType()).toBe("eventsource");
    expect(follow?.url().length ?? Infinity).toBeLessThan(1_000);
  });

  it("returns a whole completion and the model list", async () => {
    const result = await page.evaluate((url) => window.languru.complete(url, "one  two\nthree", "websocket"), gateway.baseURL);
    expect(result.content).toBe("one two three");
    expect(result.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
    expect(result.models).toContain("echo");
  });

  it.each(["websocket", "http"] as const)("aborting over %s ends the loop with an AbortError and stops the generation", async (transport) => {
    const text = words(100, "slow").join(" ");
    const first = requests.length;

    const result = await page.evaluate(([url, t, via]) => window.languru.abort(url, t, 3, via), [gateway.baseURL, text, transport] as const);

    expect(result.errorName).toBe("AbortError");
    expect(result.chunksBeforeAbort).toBe(3);
    expect(result.chunksAfterAbort).toBe(0);
    expect(result.elapsedMs).toBeLessThan(2_000); // the whole reply would take 100 × 50 ms
    // The client told the gateway at once (a stop message on the socket, or chat.cancel over HTTP), and the upstream generation stopped.
    if (transport === "http") {
      await expect.poll(() => requests.slice(first).some((r) => r.url().includes("/trpc/chat.cancel") && r.method() === "POST")).toBe(true);
    }
    await expect.poll(() => gateway.services.generations.running(), { timeout: 2_000 }).toBe(0);
  });
});
