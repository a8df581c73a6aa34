/**
 * What a key's budget reserves for the parts of a prompt that are not text, through the REST door
 * of a real keyed gateway: an image without `detail: "low"` reserves the most OpenAI's vision
 * pricing can charge for one (85 + 8 tiles × 170 = 1,445 tokens), a low-detail one 85; audio and
 * files reserve by their size. A refused call says its worst case in the error message, which is
 * how the reservation is read here.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chat, createKey, startKeyedGateway, tempDir } from "./helpers/access.js";
import type { TestGateway } from "./helpers/gateway.js";

const tmp = tempDir();
let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startKeyedGateway({ sqlitePath: path.join(tmp.dir, "languru.db") });
});
afterAll(async () => {
  await gateway?.close(100);
  tmp.cleanup();
});

// A 1×1 PNG: the gateway reads no pixels, so its real size does not matter to the reservation.
const PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const image = (detail?: string) => ({ type: "image_url", image_url: { url: PNG, ...(detail ? { detail } : {}) } });
const asking = (part: object) => ({ messages: [{ role: "user", content: [{ type: "text", text: "What is in this picture?" }, part] }], max_tokens: 1 });

/** The prompt tokens a refused call reserved, from its insufficient_quota message. */
async function reservedPrompt(key: string, body: Record<string, unknown>): Promise<number> {
  const res = await chat(gateway, body, key);
  expect(res.status).toBe(429);
  const { error } = (await res.json()) as { error: { code: string; message: string } };
  expect(error.code).toBe("insufficient_quota");
  const worst = /\((\d+) prompt \+ (\d+) completion tokens\)/.exec(error.message);
  expect(worst, error.message).not.toBeNull();
  return Number(worst![1]);
}

describe("images", () => {
  it("a key whose budget fits a low-detail image is refused one with detail unset, high or auto", async () => {
    const { key } = await createKey(gateway, { budgetTokens: 1_000 });
    for (const detail of [undefined, "high", "auto"]) await reservedPrompt(key, asking(image(detail)));
    const low = await chat(gateway, asking(image("low")), key);
    expect(low.status).toBe(200);
    // The bound is not more than that: a budget that holds it admits the image.
    const { key: roomier } = await createKey(gateway, { budgetTokens: 1_500 });
    expect((await chat(gateway, asking(image()), roomier)).status).toBe(200);
  });

  it("an image without detail low reserves 1,445 tokens, 1,360 more than a low-detail one", async () => {
    const { key } = await createKey(gateway, { budgetTokens: 10 });
    const low = await reservedPrompt(key, asking(image("low")));
    const unset = await reservedPrompt(key, asking(image()));
    expect(unset - low).toBe(1_445 - 85);
    expect(await reservedPrompt(key, asking(image("high")))).toBe(unset);
    // Two images, two reservations.
    const two = { messages: [{ role: "user", content: [{ type: "text", text: "What is in this picture?" }, image(), image()] }], max_tokens: 1 };
    expect(await reservedPrompt(key, two)).toBe(unset + 1_445);
  });
});

describe("audio and files", () => {
  it("reserve by their size: audio at 32 tokens a second of its lowest bitrate, a file one token per byte", async () => {
    const { key } = await createKey(gateway, { budgetTokens: 10 });
    const text = await reservedPrompt(key, { messages: [{ role: "user", content: [{ type: "text", text: "What is in this picture?" }] }], max_tokens: 1 });
    // 40,000 base64 characters are 30,000 bytes: 30 s of 8 kbit/s MP3, 3.75 s of 8 kHz 8-bit WAV.
    const data = "A".repeat(40_000);
    expect(await reservedPrompt(key, asking({ type: "input_audio", input_audio: { data, format: "mp3" } }))).toBe(text + 30 * 32);
    expect(await reservedPrompt(key, asking({ type: "input_audio", input_audio: { data, format: "wav" } }))).toBe(text + 3.75 * 32);
    const pdf = { type: "file", file: { filename: "a.pdf", file_data: `data:application/pdf;base64,${data}` } };
    expect(await reservedPrompt(key, asking(pdf))).toBe(text + 30_000);
  });
});
