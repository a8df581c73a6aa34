/**
 * `useChat` in headless Chromium against a real gateway: a component mounted in StrictMode streams a
 * slow reply; Stop and unmounting both tell the gateway at once (`chat.cancel`), so the generation
 * ends long before the resume grace period (60 s here) would have ended it. Whatever the SDK's
 * transport (HTTP + SSE or WebSocket), the gateway's own count of running generations is the proof.
 */
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveBundledPage } from "./helpers/bundle-page.js";
import { hasChromium, launchChromium, warnIfNoChromium } from "./helpers/chromium.js";
import { startFakeUpstream, stream, type FakeUpstream, type Json } from "./helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";

warnIfNoChromium("playground-hook.test");
const words = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}`).join(" ");

describe.skipIf(!hasChromium)("useChat in headless Chromium", () => {
  let gateway: TestGateway;
  let harness: { server: Server; url: string };
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    // A long grace: if the generation ends quickly, it was the hook's cancel, not the timeout.
    [gateway, harness, browser] = await Promise.all([
      startGateway({ echoDelayMs: 80, resumeGraceMs: 60_000, providers: [upstreamProvider(upstream.baseURL, ["parts-model"])] }),
      // React's development build: its checks on, as in an app under development.
      serveBundledPage(fileURLToPath(new URL("./playground-hook/harness.ts", import.meta.url)), { "process.env.NODE_ENV": '"development"' }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => harness?.server.close(resolve));
    await gateway?.close(100);
    await upstream?.close();
    expect(pageErrors).toEqual([]);
  });

  async function mounted(model = "echo"): Promise<Page> {
    page = await browser.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (msg) => {
      // A failed request (the 404 below) is logged by the browser itself; React's warnings are what we look for.
      if (msg.type() === "error" && !/Failed to load resource/.test(msg.text())) pageErrors.push(msg.text());
    });
    await page.goto(harness.url);
    await page.waitForFunction(() => "hook" in window);
    await page.evaluate(([url, m]) => window.hook.mount(url, m), [gateway.baseURL, model] as const);
    await expect.poll(() => page.evaluate(() => window.hook.snapshot().status)).toBe("ready");
    return page;
  }

  const reply = () => page.evaluate(() => window.hook.snapshot().contents.at(-1) ?? "");

  it("streams into messages, and stop() ends the generation on the gateway", async () => {
    await mounted();
    const text = words(200, "s"); // 16 s of reply: only a cancel ends it within the 5 s below
    await page.evaluate((t) => window.hook.send(t), text);
    await expect.poll(reply, { timeout: 10_000 }).toMatch(/^s0 s1 s2/);
    expect(await page.evaluate(() => window.hook.snapshot().status)).toBe("streaming");
    expect(gateway.services.generations.running()).toBe(1);
    await page.evaluate(() => window.hook.stop());
    await expect.poll(() => page.evaluate(() => window.hook.snapshot())).toMatchObject({ status: "ready", stopped: [false, true], error: null });
    await expect.poll(() => gateway.services.generations.running(), { timeout: 5_000 }).toBe(0);
    const stoppedAt = await reply();
    expect(stoppedAt.length).toBeLessThan(text.length);
    expect(text.startsWith(stoppedAt)).toBe(true);
    await page.close();
  });

  it("unmounting mid-reply cancels the generation", async () => {
    await mounted();
    await page.evaluate((t) => window.hook.send(t), words(200, "u"));
    await expect.poll(reply, { timeout: 10_000 }).toMatch(/^u0 u1/);
    expect(gateway.services.generations.running()).toBe(1);
    await page.evaluate(() => window.hook.unmount());
    await expect.poll(() => gateway.services.generations.running(), { timeout: 5_000 }).toBe(0);
    await page.close();
  });

  it("reports a gateway error in `error` and `status` and keeps the conversation; blank input is not sent", async () => {
    await mounted("no-such-model");
    await page.evaluate(() => window.hook.send("   "));
    expect(await page.evaluate(() => window.hook.snapshot().contents)).toEqual([]);
    await page.evaluate(() => window.hook.send("hello"));
    await expect.poll(() => page.evaluate(() => window.hook.snapshot().status)).toBe("error");
    const state = await page.evaluate(() => window.hook.snapshot());
    expect(state).toMatchObject({ errorStatus: 404, contents: ["hello", ""] });
    expect(state.error).toMatch(/no-such-model/);
    expect(gateway.services.generations.running()).toBe(0);
    await page.close();
  });

  describe("a reply's parts (issue 17): reasoning, text, refusal, tool calls with streamed arguments", () => {
    // The reply is there and done (the hook's first render after a send may still show the previous state).
    const settled = () =>
      expect
        .poll(() => page.evaluate(() => ((s) => s.contents.length === 2 && (s.status === "ready" || s.status === "error"))(window.hook.snapshot())), {
          timeout: 10_000,
        })
        .toBe(true);
    const chunk = (delta: Json | null, finish: string | null = null, extra: Json = {}): Json => ({
      id: "chatcmpl-p",
      object: "chat.completion.chunk",
      created: 1,
      model: "parts-model",
      choices: delta === null ? [] : [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...extra,
    });

    it("OpenAI-style tool call deltas (by index) after DeepSeek-style reasoning_content, through Azure's content-filter chunk", async () => {
      upstream.otherwise(
        stream(
          [
            chunk({ role: "assistant", content: "" }),
            chunk({ reasoning_content: "Let me " }),
            chunk({ reasoning_content: "think." }),
            chunk({ content: "The answer" }),
            chunk({ content: " is 4." }),
            { choices: [{ content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: 10 }, index: 0 }], id: "", object: "" },
            chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "add", arguments: "" } }] }),
            chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }),
            chunk({ tool_calls: [{ index: 0, function: { arguments: "2}" } }] }),
            chunk({}, "tool_calls"),
          ],
          { delayMs: 5 },
        ),
      );
      await mounted("parts-model");
      await page.evaluate(() => window.hook.send("what is 2+2?"));
      await settled();
      const state = await page.evaluate(() => window.hook.snapshot());
      expect(state.error).toBeNull();
      expect(state.contents.at(-1)).toBe("The answer is 4.");
      expect(state.parts.at(-1)).toEqual([
        { type: "reasoning", text: "Let me think." },
        { type: "text", text: "The answer is 4." },
        { type: "tool-call", toolCallId: "call_1", toolName: "add", args: '{"a":2}', state: "done" },
      ]);
      await page.close();
    });

    it("OpenRouter-style `reasoning`, a refusal, and Mistral-style whole tool calls without an index", async () => {
      upstream.otherwise(
        stream([
          chunk({ role: "assistant", content: null, reasoning: "Checking policy." }),
          chunk({ refusal: "I can't help with that." }),
          chunk({ tool_calls: [{ id: "abc123", type: "function", function: { name: "lookup", arguments: '{"q":1}' } }] }),
          chunk({ tool_calls: [{ id: "def456", type: "function", function: { name: "notify", arguments: "{}" } }] }),
          chunk({}, "tool_calls"),
        ]),
      );
      await mounted("parts-model");
      await page.evaluate(() => window.hook.send("do it"));
      await settled();
      const state = await page.evaluate(() => window.hook.snapshot());
      expect(state.error).toBeNull();
      expect(state.parts.at(-1)).toEqual([
        { type: "reasoning", text: "Checking policy." },
        { type: "refusal", text: "I can't help with that." },
        { type: "tool-call", toolCallId: "abc123", toolName: "lookup", args: '{"q":1}', state: "done" },
        { type: "tool-call", toolCallId: "def456", toolName: "notify", args: "{}", state: "done" },
      ]);
      await page.close();
    });
  });
});
