/**
 * The playground at `/` in headless Chromium against a real gateway: it is built with Vite the way
 * `npm start` builds it, served by the gateway itself, and driven like a person would drive it.
 * Screenshots go to test/.artifacts/ (ignored by git).
 */
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildPlayground } from "./helpers/playground.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../server/config.js";
import { createKey, startKeyedGateway } from "./helpers/access.js";
import { launchChromium, hasChromium, warnIfNoChromium } from "./helpers/chromium.js";
import { fail, startFakeUpstream, stream, type FakeUpstream } from "./helpers/fake-upstream.js";
import { startTcpProxy } from "./helpers/tcp-proxy.js";
import { startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";

warnIfNoChromium("playground.test");
const artifacts = fileURLToPath(new URL("./.artifacts/", import.meta.url));
const words = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}`).join(" ");

/** A base URL where nothing listens: an upstream that is down. */
async function closedPortURL(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

const lastReply = (page: Page) => page.getByTestId("reply").last();
// The gateway's models; the select also always offers "Type a model id…" (issue 20).
const listedModel = 'option:not([value="__custom__"])';

async function sendMessage(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message").fill(text);
  await page.getByLabel("Message").press("Enter");
}

async function pickModel(page: Page, model: string): Promise<void> {
  await page.getByTestId("model").selectOption(model);
}

describe.skipIf(!hasChromium)("playground at / in headless Chromium", () => {
  let gateway: TestGateway;
  let gatewayOverrides: Pick<Config, "echoDelayMs" | "providers" | "routing">;
  let upstream: FakeUpstream;
  let thinker: FakeUpstream;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    await buildPlayground();
    upstream = await startFakeUpstream();
    thinker = await startFakeUpstream();
    upstream.otherwise(
      fail(429, "Rate limit reached for requests", { type: "rate_limit_error", code: "rate_limit_exceeded", headers: { "retry-after": "20" } }),
    );
    const base = loadConfig({});
    gatewayOverrides = {
      // Slow enough to watch the reply grow and to press Stop half-way.
      echoDelayMs: 80,
      providers: [
        upstreamProvider(await closedPortURL(), ["down-model"], { name: "down" }),
        upstreamProvider(upstream.baseURL, ["limited-model"], { name: "limited" }),
        upstreamProvider(thinker.baseURL, ["thinker"], { name: "thinking" }),
      ],
      routing: { ...base.routing, retry: { ...base.routing.retry, attempts: 1 } },
    };
    [gateway, browser] = await Promise.all([startGateway(gatewayOverrides), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (msg) => {
      if (msg.type() === "error" && !/Failed to load resource/.test(msg.text())) pageErrors.push(msg.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close(100);
    await upstream?.close();
    await thinker?.close();
    expect(pageErrors).toEqual([]);
  });

  it("lists the gateway's models and streams a reply token by token; Stop ends the generation on the server", async () => {
    const script = page.waitForResponse((r) => /\/assets\/.+\.js$/.test(r.url()));
    const response = await page.goto(`${gateway.baseURL}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-type"]).toMatch(/^text\/html/);
    expect((await script).headers()).toMatchObject({
      "content-type": "text/javascript; charset=utf-8",
      "content-encoding": "gzip",
      "cache-control": "public, max-age=31536000, immutable",
    });
    await expect
      .poll(() => page.getByTestId("model").locator(listedModel).allTextContents())
      .toEqual(expect.arrayContaining(["echo", "down-model", "limited-model"]));
    await pickModel(page, "echo");

    const text = words(150, "word");
    await sendMessage(page, text); // 150 words × 80 ms: 12 s if nobody stops it, so only Stop ends it within the 5 s below
    const content = lastReply(page).getByTestId("content");
    const seen: number[] = [];
    await expect
      .poll(
        async () => {
          const length = (await content.textContent())?.length ?? 0;
          if (length > 0 && length !== seen.at(-1)) seen.push(length);
          return seen.length;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBeGreaterThanOrEqual(3);
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // it only grows
    expect(await lastReply(page).getAttribute("data-state")).toBe("streaming");
    await page.screenshot({ path: `${artifacts}playground-streaming.png` });

    // In flight on the server: the tRPC generation and the upstream attempt of the echo deployment.
    const upstreamInFlight = () => gateway.services.chat.deployments().reduce((sum, d) => sum + d.inFlight, 0);
    expect(gateway.services.generations.running()).toBe(1);
    expect(upstreamInFlight()).toBe(1);
    await page.getByRole("button", { name: "Stop" }).click();
    await expect.poll(() => lastReply(page).getAttribute("data-state")).toBe("stopped");
    await expect.poll(() => gateway.services.generations.running(), { timeout: 5_000 }).toBe(0);
    await expect.poll(upstreamInFlight, { timeout: 5_000 }).toBe(0);
    const stoppedAt = (await content.textContent()) ?? "";
    expect(text.startsWith(stoppedAt)).toBe(true);
    expect(stoppedAt.length).toBeLessThan(text.length);
    await page.getByRole("button", { name: "Send" }).waitFor();
  });

  it("keeps the conversation across turns and shows each reply's usage, time to first token and tokens/s", async () => {
    await page.getByLabel("System prompt").fill("You are a test.");
    await sendMessage(page, "second turn here");
    await expect.poll(() => lastReply(page).getAttribute("data-state"), { timeout: 10_000 }).toBe("done");
    expect(await lastReply(page).getByTestId("content").textContent()).toBe("second turn here");
    const stats = (await lastReply(page).getByTestId("stats").textContent()) ?? "";
    expect(stats).toMatch(/3 tokens/);
    expect(stats).toMatch(/first token \d+ ms/);
    expect(stats).toMatch(/[\d.]+ tokens\/s/);
    // The prompt carried the system prompt, the first turn, the stopped reply and this turn: far more than 3 words.
    const prompt = Number(/prompt (\d+)/.exec(stats)?.[1]);
    expect(prompt).toBeGreaterThan(150 + 4 + 3);

    await page.getByLabel("Max tokens").fill("2");
    await sendMessage(page, "one two three four");
    await expect.poll(() => lastReply(page).getAttribute("data-state"), { timeout: 10_000 }).toBe("done");
    expect(await lastReply(page).getByTestId("content").textContent()).toBe("one two");
    expect(await lastReply(page).getByTestId("stats").textContent()).toMatch(/finish: length/);
    await page.getByLabel("Max tokens").fill("");
    expect(await page.getByTestId("totals").textContent()).toMatch(/\d+ prompt · \d+ completion · \d+ total tokens/);
  });

  it("shows an upstream that is down and a rate limit as errors on the page, and recovers", async () => {
    await pickModel(page, "down-model");
    await sendMessage(page, "anyone there?");
    const error = lastReply(page).getByTestId("error");
    await expect.poll(() => error.getAttribute("data-status"), { timeout: 15_000 }).toBe("502");
    expect(await error.textContent()).toMatch(/Upstream unavailable/);
    expect(await page.getByTestId("status").textContent()).toBe("error");

    await pickModel(page, "limited-model");
    await page.getByLabel("Temperature").fill("0.3");
    await page.getByLabel("Max tokens").fill("7");
    await sendMessage(page, "again");
    await expect.poll(() => lastReply(page).getByTestId("error").getAttribute("data-status"), { timeout: 15_000 }).toBe("429");
    expect(await lastReply(page).getByTestId("error").textContent()).toMatch(/Rate limited: try again in 20 s/);
    await page.screenshot({ path: `${artifacts}playground-error.png` });
    // What the page sent reached the upstream: the settings, the system prompt, the whole conversation.
    const sent = upstream.calls.at(-1)?.body ?? {};
    expect(sent).toMatchObject({ model: "limited-model", temperature: 0.3, max_tokens: 7, stream: true });
    expect(sent.messages).toEqual(
      expect.arrayContaining([
        { role: "system", content: "You are a test." },
        { role: "user", content: "again" },
      ]),
    );
    expect(sent.messages).not.toContainEqual(expect.objectContaining({ role: "assistant", content: "" })); // the failed reply is not history
    await page.getByLabel("Max tokens").fill("");

    await pickModel(page, "echo");
    await lastReply(page).getByRole("button", { name: "Retry" }).click();
    await expect.poll(() => lastReply(page).getAttribute("data-state"), { timeout: 10_000 }).toBe("done");
    expect(await lastReply(page).getByTestId("content").textContent()).toBe("again");
  });

  it("shows an unknown model (removed by a config reload while the page still lists it)", async () => {
    const config = { ...loadConfig({}), ...gatewayOverrides, providers: gatewayOverrides.providers.filter((p) => p.name !== "limited") };
    await gateway.services.chat.reload(config);
    try {
      await pickModel(page, "limited-model");
      await sendMessage(page, "still there?");
      const error = lastReply(page).getByTestId("error");
      await expect.poll(() => error.getAttribute("data-status"), { timeout: 10_000 }).toBe("404");
      expect(await error.textContent()).toMatch(/Not found.*limited-model.*model_not_found/);
    } finally {
      await gateway.services.chat.reload({ ...loadConfig({}), ...gatewayOverrides });
    }
    await pickModel(page, "echo");
  });

  it("shows a dropped connection (network gone, sockets cut) and carries the reply on where it stopped", async () => {
    // The page loads through a TCP proxy so the test can cut its connections as a lost network does;
    // Chromium's offline emulation alone fails new requests but keeps an open EventSource alive.
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(gateway.baseURL).port) });
    const context = await browser.newContext();
    const tab = await context.newPage();
    tab.on("pageerror", (err) => pageErrors.push(err.message));
    try {
      await tab.goto(`http://127.0.0.1:${proxy.port}/`);
      await expect.poll(() => tab.getByTestId("model").locator(listedModel).count()).toBeGreaterThan(0);
      await pickModel(tab, "echo");
      const text = words(30, "net");
      await sendMessage(tab, text);
      const content = lastReply(tab).getByTestId("content");
      await expect.poll(async () => ((await content.textContent()) ?? "").length, { timeout: 10_000 }).toBeGreaterThan(0);

      await context.setOffline(true);
      proxy.cut();
      await expect.poll(() => tab.getByTestId("status").textContent()).toMatch(/connection lost/);
      await tab.screenshot({ path: `${artifacts}playground-connection-lost.png` });
      // Every socket was cut mid-reply, so whatever arrives from now on came over a new connection.
      expect(((await content.textContent()) ?? "").length).toBeLessThan(text.length);
      await new Promise((resolve) => setTimeout(resolve, 500));
      proxy.restore();
      await context.setOffline(false);

      await expect.poll(() => lastReply(tab).getAttribute("data-state"), { timeout: 15_000 }).toBe("done");
      expect(await content.textContent()).toBe(text); // nothing lost, nothing repeated
      expect(await lastReply(tab).textContent()).toMatch(/connection lost and resumed/);
      await expect.poll(() => gateway.services.generations.running()).toBe(0);
    } finally {
      await context.close();
      await proxy.close();
    }
  });

  // Issue 20 changed this on purpose: a reload used to start over; the conversation now stays (localStorage), until Clear.
  it("keeps the conversation across a reload; Clear starts over and it chats again", async () => {
    const replies = await page.getByTestId("reply").count();
    expect(replies).toBeGreaterThan(0);
    await page.reload();
    await expect.poll(() => page.getByTestId("model").locator(listedModel).count()).toBeGreaterThan(0);
    expect(await page.getByTestId("reply").count()).toBe(replies);
    await page.getByRole("button", { name: "Clear conversation" }).click();
    expect(await page.getByTestId("reply").count()).toBe(0);
    await pickModel(page, "echo");
    await sendMessage(page, "hello after reload");
    await expect.poll(() => lastReply(page).getAttribute("data-state"), { timeout: 10_000 }).toBe("done");
    expect(await lastReply(page).getByTestId("content").textContent()).toBe("hello after reload");
    await page.screenshot({ path: `${artifacts}playground-after-reload.png` });
    await expect.poll(() => gateway.services.generations.running()).toBe(0);
  });

  it("shows a reply's reasoning (folded once it answers), its text and its tool call with the streamed arguments", async () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id: "c",
      object: "chat.completion.chunk",
      created: 1,
      model: "thinker",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    thinker.otherwise(
      stream(
        [
          chunk({ role: "assistant", content: "" }),
          chunk({ reasoning_content: "The user wants weather; " }),
          chunk({ reasoning_content: "call the tool." }),
          chunk({ content: "Checking now." }),
          chunk({ tool_calls: [{ index: 0, id: "call_w", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
          chunk({}, "tool_calls"),
        ],
        { delayMs: 20 },
      ),
    );
    await pickModel(page, "thinker");
    await sendMessage(page, "weather in Paris?");
    await expect.poll(() => lastReply(page).getAttribute("data-state"), { timeout: 10_000 }).toBe("done");
    const reply = lastReply(page);
    expect(await reply.getByTestId("reasoning").textContent()).toContain("The user wants weather; call the tool.");
    expect(await reply.getByTestId("reasoning").getAttribute("open")).toBeNull();
    expect(await reply.getByTestId("content").textContent()).toBe("Checking now.");
    const call = reply.getByTestId("tool-call");
    expect(await call.textContent()).toContain("get_weather");
    expect(await call.locator("pre").textContent()).toBe('{"city":"Paris"}');
    expect(await call.getAttribute("data-state")).toBe("done");
    await page.screenshot({ path: `${artifacts}playground-parts.png` });
  });
});

describe.skipIf(!hasChromium)("playground with API keys on", () => {
  let gateway: TestGateway;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await buildPlayground();
    [gateway, browser] = await Promise.all([startKeyedGateway(), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close(100);
    expect(pageErrors).toEqual([]);
  });

  async function openTab(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await page.goto(`${gateway.baseURL}/`);
    return page;
  }

  it("asks for the key on 401, refuses a wrong one, keeps a good one for the tab only", async () => {
    const { key } = await createKey(gateway);
    const context = await browser.newContext();
    const page = await openTab(context);
    const dialog = page.getByRole("form", { name: "API key" });
    await dialog.waitFor();

    await dialog.getByLabel("Key").fill("sk-lru-not-a-real-key");
    await dialog.getByRole("button", { name: "Use key" }).click();
    // The gateway said 401: the page forgets the wrong key and asks again.
    await expect.poll(() => page.evaluate(() => sessionStorage.getItem("languru.apiKey"))).toBeNull();
    await dialog.waitFor();
    expect(await page.getByTestId("model").locator(listedModel).count()).toBe(0);

    await dialog.getByLabel("Key").fill(key);
    await dialog.getByRole("button", { name: "Use key" }).click();
    await dialog.waitFor({ state: "detached" });
    await pickModel(page, "echo");
    await sendMessage(page, "keyed hello");
    await expect.poll(() => lastReply(page).getAttribute("data-state"), { timeout: 10_000 }).toBe("done");
    expect(await lastReply(page).getByTestId("content").textContent()).toBe("keyed hello");
    // The key is in this tab's sessionStorage, never in a URL or in localStorage.
    // localStorage holds the conversation since issue 20, never the key.
    expect(await page.evaluate(() => sessionStorage.getItem("languru.apiKey"))).toBe(key);
    const local = await page.evaluate(() => Object.entries({ ...localStorage }));
    expect(local.map(([name]) => name)).toEqual(["languru.conversation"]);
    expect(JSON.stringify(local)).not.toContain(key);

    await page.reload();
    await expect.poll(() => page.getByTestId("model").locator(listedModel).count()).toBeGreaterThan(0);
    expect(await dialog.count()).toBe(0);

    const otherTab = await openTab(context);
    await otherTab.getByRole("form", { name: "API key" }).waitFor();
    await context.close();
  });
});
