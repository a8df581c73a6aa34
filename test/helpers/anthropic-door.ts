/**
 * Helpers of the Anthropic door's tests: the official SDK pointed at a gateway, raw calls, an SSE
 * reader that keeps every event as sent, and validation against the vendored Messages API shapes
 * (`test/spec/anthropic-messages.json`, source in `test/spec/anthropic-messages.md`).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { expect } from "vitest";
import { repoRoot } from "./spec.js";
import type { TestGateway } from "./gateway.js";

/** The vendored shapes' names. */
export type AnthropicShape = "Message" | "ErrorResponse" | "CountTokensResponse" | "StreamEvent" | "ModelInfo" | "ModelList";

const document = JSON.parse(readFileSync(path.resolve(repoRoot, "test", "spec", "anthropic-messages.json"), "utf8")) as Record<string, unknown>;
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...document, $id: "https://languru.test/anthropic.json" });
const validators = new Map<AnthropicShape, ValidateFunction>();

/** Asserts `value` has the documented shape. */
export function expectAnthropicShape(shape: AnthropicShape, value: unknown): void {
  let validate = validators.get(shape);
  if (!validate) {
    validate = ajv.compile({ $ref: `https://languru.test/anthropic.json#/$defs/${shape}` });
    validators.set(shape, validate);
  }
  const ok = validate(value);
  expect(ok ? [] : validate.errors, `${shape}: ${JSON.stringify(value).slice(0, 400)}`).toEqual([]);
}

/** The official client for a gateway: no retries, so an error is the gateway's first answer. */
export function anthropicClient(gateway: TestGateway, apiKey = "unused", options: ConstructorParameters<typeof Anthropic>[0] = {}): Anthropic {
  return new Anthropic({ baseURL: gateway.baseURL, apiKey, maxRetries: 0, ...options });
}

/** POSTs a body to a path of the gateway as raw JSON. */
export function postJson(gateway: Pick<TestGateway, "baseURL">, pathname: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.baseURL}${pathname}`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** One SSE message as it came: its `event:` name and parsed `data:`. */
export interface SseEvent {
  event: string | null;
  data: Record<string, unknown>;
}

/** Reads a whole event stream; every event's data is JSON. */
export async function readSse(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  const events: SseEvent[] = [];
  for (const block of text.split("\n\n")) {
    if (block.trim() === "") continue;
    let event: string | null = null;
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
  }
  return events;
}

/** Asserts every event is named after its `type` and has a documented shape; returns the types in order. */
export function checkedEventTypes(events: SseEvent[]): string[] {
  for (const { event, data } of events) {
    expect(event).toBe(data.type);
    expectAnthropicShape("StreamEvent", data);
  }
  return events.map((e) => e.event ?? "");
}
