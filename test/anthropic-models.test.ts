/**
 * Anthropic's Models API on the gateway's models, through the official `@anthropic-ai/sdk` client
 * over real sockets: `models.list()` pages (auto-pagination, `limit`, `after_id`, `before_id`),
 * `models.retrieve()`, refusals as the SDK's own error classes in Anthropic's error shape, a key's
 * allow-list; and the same paths still answering OpenAI's list to the `openai` client, which
 * sends no `anthropic-version`.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey, startKeyedGateway } from "./helpers/access.js";
import { anthropicClient, expectAnthropicShape } from "./helpers/anthropic-door.js";
import { startGateway, upstreamProvider, type TestGateway } from "./helpers/gateway.js";

// 45 models besides echo: three pages of 20 by default.
const names = Array.from({ length: 45 }, (_, i) => `model-${String(i).padStart(2, "0")}`);
let gateway: TestGateway;
let keyed: TestGateway;
let order: string[];

beforeAll(async () => {
  // Nothing is called upstream: the models are the config's.
  const providers = [upstreamProvider("http://127.0.0.1:9", names)];
  gateway = await startGateway({ providers });
  keyed = await startKeyedGateway({}, { providers });
  const listed = (await (await fetch(`${gateway.baseURL}/v1/models`)).json()) as { data: Array<{ id: string }> };
  order = listed.data.map((m) => m.id);
});
afterAll(async () => {
  await gateway.close();
  await keyed.close(100);
});

const anthropicGet = (path: string) => fetch(`${gateway.baseURL}${path}`, { headers: { "anthropic-version": "2023-06-01", "x-api-key": "unused" } });

describe("models.list", () => {
  it("pages through every routed model in Anthropic's shape", async () => {
    const client = anthropicClient(gateway);
    const first = await client.models.list();
    expect(first.data).toHaveLength(20);
    expect(first.has_more).toBe(true);
    const seen: string[] = [];
    for await (const model of client.models.list()) {
      expectAnthropicShape("ModelInfo", model);
      expect(model).toMatchObject({ type: "model", display_name: model.id, lifecycle: "active" });
      expect(model.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      seen.push(model.id);
    }
    expect(seen).toEqual(order);
    expect(seen).toEqual(expect.arrayContaining(["echo", ...names]));
  });

  it("limit, after_id and before_id cut the pages as Anthropic's do", async () => {
    const res = await anthropicGet(`/v1/models?limit=5&after_id=${order[9]}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("request-id")).toBeTruthy();
    const page = (await res.json()) as { data: Array<{ id: string }>; first_id: string; last_id: string; has_more: boolean };
    expectAnthropicShape("ModelList", page);
    expect(page.data.map((m) => m.id)).toEqual(order.slice(10, 15));
    expect(page).toMatchObject({ first_id: order[10], last_id: order[14], has_more: true });

    const back = (await (await anthropicGet(`/v1/models?limit=5&before_id=${order[3]}`)).json()) as typeof page;
    expect(back.data.map((m) => m.id)).toEqual(order.slice(0, 3));
    expect(back.has_more).toBe(false);
    const middle = (await (await anthropicGet(`/v1/models?limit=4&before_id=${order[20]}`)).json()) as typeof page;
    expect(middle.data.map((m) => m.id)).toEqual(order.slice(16, 20));
    expect(middle.has_more).toBe(true);

    const last = (await (await anthropicGet(`/v1/models?limit=1000&after_id=${order[40]}`)).json()) as typeof page;
    expect(last.data.map((m) => m.id)).toEqual(order.slice(41));
    expect(last.has_more).toBe(false);
    // A cursor that names no model: an empty page, which ends a client's paging.
    const gone = (await (await anthropicGet("/v1/models?after_id=no-such-model")).json()) as typeof page;
    expect(gone).toEqual({ data: [], first_id: null, last_id: null, has_more: false });
  });

  it.each(["0", "1001", "-1", "abc", "2.5", ""])("limit=%s is a 400 invalid_request_error", async (limit) => {
    const res = await anthropicGet(`/v1/models?limit=${limit}`);
    expect(res.status).toBe(400);
    const body = await res.json();
    expectAnthropicShape("ErrorResponse", body);
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("a key sees only the models its allow-list admits", async () => {
    const { key } = await createKey(keyed, { models: ["model-01", "model-02"] });
    const seen: string[] = [];
    for await (const model of anthropicClient(keyed, key).models.list()) seen.push(model.id);
    expect(seen).toEqual(["model-01", "model-02"]);
    const denied = await anthropicClient(keyed, key)
      .models.retrieve("model-03")
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(Anthropic.NotFoundError);
    const anonymous = await anthropicClient(keyed, "wrong")
      .models.list()
      .catch((e: unknown) => e);
    expect(anonymous).toBeInstanceOf(Anthropic.AuthenticationError);
  });
});

describe("models.retrieve", () => {
  it("one model in Anthropic's shape; an unknown one is a not_found_error", async () => {
    const model = await anthropicClient(gateway).models.retrieve("model-07");
    expectAnthropicShape("ModelInfo", model);
    expect(model).toMatchObject({ type: "model", id: "model-07", display_name: "model-07" });
    const missing = await anthropicClient(gateway)
      .models.retrieve("claude-nope")
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    const res = await anthropicGet("/v1/models/claude-nope");
    const body = await res.json();
    expectAnthropicShape("ErrorResponse", body);
    expect(body).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });
});

describe("the OpenAI clients on the same paths", () => {
  it("still get OpenAI's list and model", async () => {
    const client = new OpenAI({ baseURL: `${gateway.baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of client.models.list()) {
      expect(model).toMatchObject({ object: "model", owned_by: expect.any(String), created: expect.any(Number) });
      ids.push(model.id);
    }
    expect(ids).toEqual(order);
    expect(await client.models.retrieve("model-07")).toMatchObject({ id: "model-07", object: "model" });
  });
});
