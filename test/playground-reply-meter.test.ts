/** ReplyMeter: the numbers the hook shows per reply (time to first token, tokens per second, usage). */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatCompletionChunk } from "../client/index.js";
import { ReplyMeter } from "../client/react/reply-meter.js";

const chunk = (content: string | null, extra: Partial<ChatCompletionChunk> = {}): ChatCompletionChunk => ({
  id: "c",
  object: "chat.completion.chunk",
  created: 0,
  model: "echo",
  choices: content === null ? [] : [{ index: 0, delta: { content }, finish_reason: null, logprobs: null }],
  ...extra,
});

describe("ReplyMeter", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["performance"] }));
  afterEach(() => vi.useRealTimers());

  it("measures time to first content token and the rate after it, preferring the server's usage", () => {
    const meter = new ReplyMeter("echo");
    vi.advanceTimersByTime(100);
    expect(meter.take(chunk(""))).toBe(""); // the role chunk is not a token
    expect(meter.stats()).toMatchObject({ model: "echo", timeToFirstTokenMs: null, tokensPerSecond: null, usage: null });
    vi.advanceTimersByTime(150);
    expect(meter.take(chunk("one"))).toBe("one");
    for (const word of [" two", " three", " four", " five"]) {
      vi.advanceTimersByTime(250);
      meter.take(chunk(word));
    }
    // 4 tokens after the first, over 1 s.
    expect(meter.stats()).toMatchObject({ timeToFirstTokenMs: 250, tokensPerSecond: 4 });
    meter.take({ ...chunk(null), choices: [{ index: 0, delta: {}, finish_reason: "length", logprobs: null }] });
    meter.take(chunk(null, { usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 } }));
    vi.advanceTimersByTime(50);
    meter.end();
    // The server counted 9 tokens in the same second (say, several per chunk): its count wins.
    expect(meter.stats()).toMatchObject({ tokensPerSecond: 8, finishReason: "length", durationMs: 1300, usage: { completion_tokens: 9 } });
  });

  it("gives no rate for a single token or an instant reply, rather than a division by zero", () => {
    const one = new ReplyMeter("m");
    one.take(chunk("only"));
    expect(one.stats().tokensPerSecond).toBeNull();
    const instant = new ReplyMeter("m");
    instant.take(chunk("a"));
    instant.take(chunk(" b"));
    expect(instant.stats()).toMatchObject({ timeToFirstTokenMs: 0, tokensPerSecond: null, durationMs: null });
  });
});
