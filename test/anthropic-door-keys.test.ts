/**
 * The Anthropic door with keys on, through the official `@anthropic-ai/sdk` client: the key as
 * `x-api-key` (the SDK's `apiKey`, Claude Code's `ANTHROPIC_API_KEY`) or as `Authorization: Bearer`
 * (`authToken`, `ANTHROPIC_AUTH_TOKEN`); the same rate limits, model lists and ledger as the other
 * doors, refusals as the SDK's own error classes; the request counted under `door="anthropic"`.
 */
import Anthropic, { AuthenticationError, NotFoundError, PermissionDeniedError, RateLimitError } from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, adminClient, createKey, startKeyedGateway } from "./helpers/access.js";
import { anthropicClient, expectAnthropicShape, postJson } from "./helpers/anthropic-door.js";
import type { TestGateway } from "./helpers/gateway.js";
import { scrape } from "./helpers/prometheus.js";

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startKeyedGateway();
});
afterAll(async () => {
  await gateway.close(100);
});

const ask = (client: Anthropic, model = "echo") => client.messages.create({ model, max_tokens: 20, messages: [{ role: "user", content: "one two three" }] });

describe("keys on the Anthropic door", () => {
  it("takes the key as x-api-key and as Authorization: Bearer", async () => {
    const { key } = await createKey(gateway);
    expect((await ask(anthropicClient(gateway, key))).content).toEqual([expect.objectContaining({ type: "text", text: "one two three" })]);
    const bearer = new Anthropic({ baseURL: gateway.baseURL, apiKey: null, authToken: key, maxRetries: 0 });
    expect((await ask(bearer)).stop_reason).toBe("end_turn");
  });

  it("no key or a wrong one is AuthenticationError (authentication_error), for count_tokens too", async () => {
    const none = await postJson(gateway, "/v1/messages", { model: "echo", max_tokens: 5, messages: [{ role: "user", content: "x" }] });
    expect(none.status).toBe(401);
    const body = await none.json();
    expectAnthropicShape("ErrorResponse", body);
    expect(body).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const wrong = await ask(anthropicClient(gateway, "sk-lru-000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(AuthenticationError);
    const count = await anthropicClient(gateway, "wrong")
      .messages.countTokens({ model: "echo", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(count).toBeInstanceOf(AuthenticationError);
  });

  it("over the key's requests per minute is RateLimitError (rate_limit_error) with retry-after", async () => {
    const { key } = await createKey(gateway, { rpm: 1 });
    const client = anthropicClient(gateway, key);
    await ask(client);
    const err = await ask(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).type).toBe("rate_limit_error");
    expect(Number((err as RateLimitError).headers?.get("retry-after"))).toBeGreaterThan(0);
    const streamed = await client.messages
      .stream({ model: "echo", max_tokens: 5, messages: [{ role: "user", content: "x" }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(RateLimitError);
  });

  it("a model outside the key's list is PermissionDeniedError; count_tokens does not show it either", async () => {
    const { key } = await createKey(gateway, { models: ["some-other-model"] });
    const client = anthropicClient(gateway, key);
    const err = await ask(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect((err as PermissionDeniedError).type).toBe("permission_error");
    const count = await client.messages.countTokens({ model: "echo", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(count).toBeInstanceOf(NotFoundError);
  });

  it("the ledger and the metrics count the calls, streamed and whole, with the upstream's usage", async () => {
    const { key, id } = await createKey(gateway);
    const client = anthropicClient(gateway, key);
    const before = (await scrape(gateway.baseURL, { authorization: `Bearer ${MASTER_KEY}` })).value("languru_requests_total", {
      door: "anthropic",
      status: "200",
    });
    const whole = await ask(client);
    const streamed = await client.messages
      .stream({ model: "echo", max_tokens: 20, messages: [{ role: "user", content: "four words right here" }] })
      .finalMessage();
    expect(streamed.usage.output_tokens).toBe(4);
    let report = await adminClient(gateway).usage.query.query({ keyId: id });
    for (let i = 0; i < 40 && report.totals.requests < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      report = await adminClient(gateway).usage.query.query({ keyId: id });
    }
    expect(report.totals).toMatchObject({ requests: 2, completionTokens: whole.usage.output_tokens + streamed.usage.output_tokens });
    expect(report.rows.map((r) => r.stream).sort()).toEqual([false, true]);
    const after = (await scrape(gateway.baseURL, { authorization: `Bearer ${MASTER_KEY}` })).value("languru_requests_total", {
      door: "anthropic",
      status: "200",
    });
    expect(after - before).toBe(2);
  });
});
