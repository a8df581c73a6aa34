/**
 * A key whose budget cannot pay for a call gets a 429 `insufficient_quota` that says
 * `x-should-retry: false`: the official openai and Anthropic clients retry every other 429 (twice
 * by default, with backoff), which for a used-up budget only delays the same refusal. Each client
 * runs with `maxRetries: 3` and a counting `fetch`, over real sockets, on each door.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, startKeyedGateway } from "./helpers/access.js";
import type { TestGateway } from "./helpers/gateway.js";

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startKeyedGateway();
});
afterAll(() => gateway?.close(100));

/** A fetch that counts the requests it sends and keeps the last answer's headers. */
function countingFetch() {
  const seen = { requests: 0, headers: new Headers() };
  const fetcher = async (input: string | URL | Request, init?: RequestInit) => {
    seen.requests++;
    const res = await fetch(input, init);
    seen.headers = res.headers;
    return res;
  };
  return { seen, fetch: fetcher as typeof fetch };
}

// A worst case (prompt + 1,000 output tokens) over a 50-token budget: refused before it runs.
const budget = { budgetTokens: 50 };

describe("a budget refusal is final", () => {
  it("the openai client's chat.completions.create sends it once", async () => {
    const { key } = await createKey(gateway, budget);
    const { seen, fetch } = countingFetch();
    const client = new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: key, maxRetries: 3, fetch });
    const error = await client.chat.completions
      .create({ model: "echo", messages: [{ role: "user", content: "hi" }], max_tokens: 1_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("insufficient_quota");
    expect(seen.requests).toBe(1);
    expect(seen.headers.get("x-should-retry")).toBe("false");
    // A browser may read it too.
    expect(seen.headers.get("access-control-expose-headers")?.split(",")).toContain("x-should-retry");
  });

  it("the openai client's responses.create sends it once", async () => {
    const { key } = await createKey(gateway, budget);
    const { seen, fetch } = countingFetch();
    const client = new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: key, maxRetries: 3, fetch });
    const error = await client.responses.create({ model: "echo", input: "hi", max_output_tokens: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(seen.requests).toBe(1);
    expect(seen.headers.get("x-should-retry")).toBe("false");
    // The message names the field this door's clients set.
    expect((error as Error).message).toContain("max_output_tokens");
  });

  it("the Anthropic client's messages.create sends it once", async () => {
    const { key } = await createKey(gateway, budget);
    const { seen, fetch } = countingFetch();
    const client = new Anthropic({ baseURL: gateway.baseURL, apiKey: key, maxRetries: 3, fetch });
    const error = await client.messages.create({ model: "echo", max_tokens: 1_000, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(seen.requests).toBe(1);
    expect(seen.headers.get("x-should-retry")).toBe("false");
  });
});
