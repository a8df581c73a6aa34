/**
 * Every fidelity case, as data: each vendor fixture through each client, keys off and on. A case
 * sends the same request twice with the same client, once through the gateway and once straight at
 * the replay, and asserts the two results are equal. A vendor's error report inside a stream is
 * relayed: the same chunks, then an error with the vendor's message and code. Error fixtures are
 * held to what the vendor said (status, message in its words, not JSON-quoted and without a status
 * prefix, type and code), except the failures the gateway hides on purpose (an upstream's 5xx):
 * those read in the gateway's generic words and must not leak the upstream's text.
 * With keys on, a client that did not ask for usage is held to the fixture's metered view: what
 * the upstream sends once metering asked for usage, less what asking added (`metered-view.ts`).
 */
import { expect } from "vitest";
import { errorFixtures, streamFixtures, type ErrorFixture, type ExpectedError, type StreamFixture } from "../fixtures/vendors/index.js";
import { chatBody, viaAiSdk, viaFetch, viaLangChain, viaLanguru, viaOpenAI, type Door, type Seen, type SeenError } from "./clients.js";
import type { FidelityEnv } from "./env.js";
import { meteredId } from "./metered-view.js";

export type Keys = "keys off" | "keys on";
export type Client = "fetch" | "openai" | "ai-sdk" | "langchain" | "sdk websocket" | "sdk http";

/** One case: its name and what it runs. */
export interface FidelityCase {
  name: string;
  run(env: FidelityEnv): Promise<void>;
}

const KEYS: Keys[] = ["keys off", "keys on"];
const side = (env: FidelityEnv, keys: Keys) => (keys === "keys on" ? env.keysOn : env.keysOff);

/** A stream fixture, through one client. */
function streamCase(fixture: StreamFixture, client: Client, keys: Keys, asked: boolean): FidelityCase {
  const name = `stream ${fixture.id} · ${client} · ${keys}${asked ? " · include_usage" : ""}`;
  const body = chatBody(fixture.id, true, asked);
  // Keys on and usage not asked: held to the metered view (`metered-view.ts`), the one documented difference.
  const reference = keys === "keys on" && !asked ? meteredId(fixture.id) : fixture.id;
  const straightBody = { ...body, model: reference };
  return {
    name,
    async run(env) {
      const { gateway, door } = side(env, keys);
      if (client === "fetch") {
        const [through, straight] = [await viaFetch(door, body), await viaFetch(env.upstream, straightBody)];
        expect(straight.status).toBe(200);
        expect(through.status).toBe(200);
        return comparePayloads(fixture, through.payloads, straight.payloads);
      }
      if (client === "openai") return compareSeen(fixture, await viaOpenAI(door, body), await viaOpenAI(env.upstream, straightBody));
      // The AI SDK reports the request it sent (its model name too): the reference's name is the fixture's.
      if (client === "ai-sdk")
        return compareSeen(fixture, await viaAiSdk(door, fixture.id), renamed(await viaAiSdk(env.upstream, reference), reference, fixture.id));
      // LangChain asks for usage itself: its reference is the fixture as asked.
      if (client === "langchain") return compareSeen(fixture, await viaLangChain(door, fixture.id), await viaLangChain(env.upstream, fixture.id));
      // Our SDK talks to gateways only: its chunks are held against the openai client's straight at the upstream.
      const transport = client === "sdk http" ? "http" : "websocket";
      return compareSeen(fixture, await viaLanguru(gateway, door.key, transport, body), await viaOpenAI(env.upstream, straightBody));
    },
  };
}

function renamed(seen: Seen, from: string, to: string): Seen {
  return from === to ? seen : (JSON.parse(JSON.stringify(seen).split(JSON.stringify(from)).join(JSON.stringify(to))) as Seen);
}

function comparePayloads(fixture: StreamFixture, through: string[], straight: string[]): void {
  if (!fixture.streamError) return void expect(through).toStrictEqual(straight);
  // Up to the vendor's error report, byte for byte; then the report as the gateway's error frame, and [DONE].
  const at = straight.findIndex((p) => p.includes('"error":'));
  expect(at).toBeGreaterThan(-1);
  expect(through.slice(0, at)).toStrictEqual(straight.slice(0, at));
  expect(through.slice(at + 1)).toStrictEqual(["[DONE]"]);
  const frame = JSON.parse(through[at] as string) as { error: { message: string; code: string | null } };
  expect({ message: frame.error.message, code: frame.error.code }).toStrictEqual(fixture.streamError);
}

function compareSeen(fixture: StreamFixture, through: Seen, straight: Seen): void {
  if (!fixture.streamError) return void expect(through).toStrictEqual(straight);
  // The same chunks, then an error with the vendor's message and code (each client shapes the rest its own way).
  expect(through.items).toStrictEqual(straight.items);
  expect(straight.error && { message: straight.error.message, code: straight.error.code }).toStrictEqual(fixture.streamError);
  expect(through.error && { message: through.error.message, code: through.error.code }).toStrictEqual(fixture.streamError);
}

/** A hidden failure reads as the gateway's own words: nothing of what the upstream said. */
function expectGeneric(error: SeenError, secretText: string): void {
  expect(error.message).not.toContain(secretText);
  expect(error.message).toMatch(/upstream/i);
}

/** An error fixture, through one client, as a stream or not. */
function errorCase(fixture: ErrorFixture, client: Client, keys: Keys, stream: boolean): FidelityCase {
  const name = `error ${fixture.id} · ${client} · ${keys}${stream ? " · stream" : ""}`;
  const body = chatBody(fixture.id, stream);
  return {
    name,
    async run(env) {
      const { gateway, door } = side(env, keys);
      const expected = fixture.expected;
      if (client === "fetch") {
        const [through, straight] = [await viaFetch(door, body), await viaFetch(env.upstream, body)];
        expect(straight.status).toBe(fixture.status);
        const error = (through.json as { error?: { message?: unknown; type?: unknown; code?: unknown } } | null)?.error;
        expect(through.contentType).toMatch(/^application\/json/);
        const seen = { name: "body", status: through.status, message: String(error?.message), type: nullable(error?.type), code: nullable(error?.code) };
        return expectVendorError(seen, fixture, (e) => e.message);
      }
      if (client === "sdk websocket" || client === "sdk http") {
        const seen = await viaLanguru(gateway, door.key, client === "sdk http" ? "http" : "websocket", body);
        expect(seen.error).not.toBeNull();
        return expectVendorError(seen.error as SeenError, fixture, (e) => e.message);
      }
      const run = (d: Door) => (client === "openai" ? viaOpenAI(d, body) : client === "ai-sdk" ? viaAiSdk(d, fixture.id) : viaLangChain(d, fixture.id));
      const [through, straight] = [await run(door), await run(env.upstream)];
      expect(straight.error?.status).toBe(fixture.status);
      expect(through.items).toStrictEqual(straight.items);
      expect(through.error).not.toBeNull();
      // The openai client (and LangChain, which wraps its errors) puts the status before the message.
      const wording = client === "ai-sdk" ? (e: ExpectedError) => e.message : (e: ExpectedError) => `${e.status} ${e.message}`;
      expectVendorError(through.error as SeenError, fixture, wording, client === "langchain");
      if (expected !== "hidden") expect(through.error?.status).toBe(straight.error?.status);
    },
  };
}

// LangChain may append a troubleshooting link to the message: it must start with the vendor's words.
function expectVendorError(seen: SeenError, fixture: ErrorFixture, wording: (e: ExpectedError) => string, prefixOnly = false): void {
  const expected = fixture.expected;
  if (expected === "hidden") {
    // 502 for a failed upstream, 503 when the gateway reads it as "overloaded, come back later".
    expect([502, 503]).toContain(seen.status);
    expectGeneric(seen, fixture.secretText ?? fixture.body);
    return;
  }
  expect(seen.status).toBe(expected.status);
  if (prefixOnly) expect(seen.message.slice(0, wording(expected).length)).toBe(wording(expected));
  else expect(seen.message).toBe(wording(expected));
  if (expected.type !== undefined && seen.name !== "AI_APICallError") expect(seen.type).toBe(expected.type);
  if (expected.code !== undefined && seen.name !== "AI_APICallError") expect(seen.code).toBe(expected.code);
}

function nullable(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

const STREAM_CLIENTS: Client[] = ["fetch", "openai", "ai-sdk", "langchain", "sdk websocket", "sdk http"];
// The AI SDK and LangChain send the request their own way (LangChain asks for usage, the AI SDK does not).
const ASKS: Record<Client, boolean[]> = {
  fetch: [false, true],
  openai: [false, true],
  "ai-sdk": [false],
  langchain: [false],
  "sdk websocket": [false, true],
  "sdk http": [false, true],
};

export const streamCases: FidelityCase[] = streamFixtures.flatMap((f) =>
  STREAM_CLIENTS.flatMap((client) => KEYS.flatMap((keys) => ASKS[client].map((asked) => streamCase(f, client, keys, asked)))),
);

export const errorCases: FidelityCase[] = errorFixtures.flatMap((f) =>
  STREAM_CLIENTS.flatMap((client) =>
    KEYS.flatMap((keys) => (client === "ai-sdk" || client === "langchain" ? [true] : [false, true]).map((stream) => errorCase(f, client, keys, stream))),
  ),
);
