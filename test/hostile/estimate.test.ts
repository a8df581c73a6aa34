/**
 * Issue 7 item 1: the prompt-token estimate is linear and bounded on any input, so one request
 * with a huge run of one character neither freezes the gateway nor costs more than milliseconds;
 * cheap checks (allow-list, budget, RPM) refuse before the prompt is measured.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { estimatePromptTokens, loadTokenizer, tokensOf } from "../../server/access/index.js";
import { chat, createKey, startKeyedGateway } from "../helpers/access.js";
import type { TestGateway } from "../helpers/gateway.js";
import { RESPONSIVE_MS, whileProbing } from "./probe.js";

// Just under the default 4 MiB body limit once wrapped in JSON.
const FOUR_MIB = 4 * 1024 * 1024 - 200;

let gateway: TestGateway;
let key: string;
beforeAll(async () => {
  gateway = await startKeyedGateway();
  ({ key } = await createKey(gateway, { tpm: 100_000_000 }));
});
afterAll(() => gateway?.close(100));

describe("the token estimate", () => {
  it("costs milliseconds on 4 MiB of one character", async () => {
    await loadTokenizer();
    for (const text of ["x".repeat(FOUR_MIB), "ab".repeat(FOUR_MIB / 2), "\u4e2d".repeat(FOUR_MIB / 3)]) {
      const started = performance.now();
      const tokens = tokensOf(text);
      expect(performance.now() - started).toBeLessThan(500);
      // Never under a quarter token per character beyond the exactly counted sample.
      expect(tokens).toBeGreaterThan(text.length / 5);
    }
  });

  it("stays close to the tokenizer on ordinary text", async () => {
    await loadTokenizer();
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(200);
    const estimate = estimatePromptTokens({ model: "echo", prompt: text });
    expect(estimate).toBeGreaterThan(1_900);
    expect(estimate).toBeLessThan(2_100);
  });

  it("a text counted before counts the same again, for each of more texts than the count cache holds", async () => {
    await loadTokenizer();
    const { countTokens } = await import("gpt-tokenizer/encoding/o200k_base");
    // Distinct texts of 128–500 characters (one tokenizer slice each, so the tokenizer's own count is exact),
    // more of them (17,000) than the cache keeps (16,384): early ones are evicted and counted afresh.
    const texts = Array.from({ length: 17_000 }, (_, i) => `${["alpha ", "β γ ", "中文 ", "emoji 🎉 ", "x"][i % 5]!.repeat(30 + (i % 40))}#${i}`.slice(0, 500));
    const truth = texts.map((t) => countTokens(t));
    for (let pass = 0; pass < 2; pass++) for (let i = 0; i < texts.length; i++) expect(tokensOf(texts[i]!)).toBe(truth[i]);
    // A text equal in value but built afresh (a new request's string) finds the same count.
    const again = JSON.parse(JSON.stringify(texts.at(-1))) as string;
    expect(tokensOf(again)).toBe(truth.at(-1));
  });

  it("a 4 MiB one-character prompt with a key: answered, and the gateway keeps answering meanwhile", async () => {
    const started = performance.now();
    const { result: res, slowestProbeMs } = await whileProbing(
      gateway.baseURL,
      // `stop` keeps the echo reply empty: the cost measured is the request's, not a 4 MiB reply.
      () => chat(gateway, { messages: undefined, prompt: "x".repeat(FOUR_MIB), stop: "xx" }, key),
      key,
    );
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(slowestProbeMs).toBeLessThan(RESPONSIVE_MS);
  });

  it("a key over its RPM, or not allowed the model, is refused before the prompt is measured", async () => {
    const limited = await createKey(gateway, { rpm: 1 });
    expect((await chat(gateway, {}, limited.key)).status).toBe(200);
    const huge = { messages: undefined, prompt: "y".repeat(FOUR_MIB) };
    const overRpm = await chat(gateway, huge, limited.key);
    expect(overRpm.status).toBe(429);
    expect(((await overRpm.json()) as { error: { type: string } }).error.type).toBe("requests");
    const other = await createKey(gateway, { models: ["gpt-*"] });
    expect((await chat(gateway, huge, other.key)).status).toBe(403);
  });
});
