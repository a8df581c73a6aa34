/**
 * Issue 16 item 9: the budget and TPM reservation cannot be gamed by script. Past the exactly
 * tokenized prefix (64 Ki characters) a prompt is counted one token per UTF-8 byte, the most any
 * tokenizer can make of it, so 64 KiB of ASCII followed by CJK, emoji, Devanagari, Cyrillic or
 * punctuation is reserved at no less than an honest upstream will count. And what an upstream then
 * really counts is what is spent: a key past its budget is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, chat, createKey, startKeyedGateway } from "../helpers/access.js";
import type { FakeUpstream } from "../helpers/fake-upstream.js";
import { upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { bytesAsTokens, startHostileUpstream } from "../helpers/hostile-upstream.js";
import { RESPONSIVE_MS, whileProbing } from "./probe.js";

const BUDGET = 100_000;
// Exactly tokenized, and cheap: English averages ~0.23 tokens per character.
const ENGLISH = "The quick brown fox jumps over the lazy dog. ".repeat(Math.ceil((64 * 1024) / 45)).slice(0, 64 * 1024);

/** `count` characters of one script, varied so no tokenizer merges them much. */
function script(count: number, first: number, span: number): string {
  let text = "";
  for (let i = 0; i < count; i++) text += String.fromCodePoint(first + ((i * 7_919) % span));
  return text;
}

// Each tail is a few hundred KB of UTF-8 that a quarter token per character reserved at a fraction of.
const TAILS: Record<string, string> = {
  cjk: script(200_000, 0x4e00, 20_000),
  emoji: script(60_000, 0x1f300, 700),
  devanagari: script(120_000, 0x0900, 128),
  cyrillic: script(150_000, 0x0400, 256),
  punctuation: script(300_000, 0x21, 15),
};

let upstream: FakeUpstream;
let gateway: TestGateway;
beforeAll(async () => {
  upstream = await startHostileUpstream({ models: ["m"] });
  upstream.otherwise(bytesAsTokens());
  gateway = await startKeyedGateway({}, { providers: [upstreamProvider(upstream.baseURL, ["m"], { name: "hostile" })] });
});
afterAll(async () => {
  await gateway?.close(100);
  await upstream?.close();
});

const ask = (content: string) => ({ model: "m", messages: [{ role: "user", content }], max_tokens: 1 });

async function spentTokens(keyId: string): Promise<number> {
  const { totals } = await adminClient(gateway).usage.query.query({ keyId });
  return totals.promptTokens + totals.completionTokens;
}

describe("64 KiB of ASCII, then another script", () => {
  for (const [name, tail] of Object.entries(TAILS)) {
    it(`${name}: refused on a ${BUDGET.toLocaleString("en")}-token budget before it runs (${Buffer.byteLength(tail).toLocaleString("en")} bytes past the sample)`, async () => {
      const { key, id } = await createKey(gateway, { budgetTokens: BUDGET });
      const calls = upstream.calls.length;
      const { result: res, slowestProbeMs } = await whileProbing(gateway.baseURL, () => chat(gateway, ask(ENGLISH + tail), key), key);
      const body = (await res.json()) as { error?: { code?: string } };
      expect(res.status).toBe(429);
      expect(body.error?.code).toBe("insufficient_quota");
      expect(upstream.calls.length).toBe(calls);
      expect(await spentTokens(id)).toBe(0);
      expect(slowestProbeMs).toBeLessThan(RESPONSIVE_MS);
    });
  }

  it("CJK: refused by a 100,000-token TPM too", async () => {
    const { key } = await createKey(gateway, { tpm: BUDGET });
    const res = await chat(gateway, ask(ENGLISH + TAILS.cjk), key);
    const body = (await res.json()) as { error?: { type?: string } };
    expect(res.status).toBe(429);
    expect(body.error?.type).toBe("tokens");
  });

  it("a prompt whose bytes fit is admitted, and the upstream's count is what is spent", async () => {
    const { key, id } = await createKey(gateway, { budgetTokens: BUDGET });
    const tail = script(20_000, 0x0400, 256);
    const res = await chat(gateway, ask(ENGLISH + tail), key);
    expect(res.status).toBe(200);
    await res.text();
    // One token per byte: the most an honest upstream may count, and it fits the reservation.
    expect(await spentTokens(id)).toBe(Buffer.byteLength(ENGLISH + tail) + 1);
  });
});

describe("the settled count caps further spending", () => {
  it("an upstream counting more than the reservation moves the key past its budget, and it is then refused", async () => {
    const { key, id } = await createKey(gateway, { budgetTokens: BUDGET });
    // Inside the exact prefix: reserved at o200k's count (~1.9 tokens per character here, ~76,000),
    // counted by the upstream at one per byte (3 per character, 120,000): more than the budget.
    const prompt = script(40_000, 0x4e00, 20_000);
    const first = await chat(gateway, ask(prompt), key);
    expect(first.status).toBe(200);
    await first.text();
    expect(await spentTokens(id)).toBe(Buffer.byteLength(prompt) + 1);
    const next = await chat(gateway, ask("hi"), key);
    expect(next.status).toBe(429);
    expect(((await next.json()) as { error: { message: string } }).error.message).toContain("used up its budget");
  });
});
