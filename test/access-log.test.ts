/**
 * The access log of a real server process: one JSON line per request with the request id, door,
 * path, key id, model, deployment, attempts, status, error type, latency, time to first token and
 * tokens, for REST and tRPC, whole and streamed; never a message body, a key or a query string.
 */
import { EventSource } from "eventsource";
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLanguruClient } from "../client/index.js";
import { MASTER_KEY } from "./helpers/access.js";
import { killProcesses, startProcess, type ServerProcess } from "./helpers/process.js";

const BODY_SECRET = "the-secret-prompt-text-4711";
const QUERY_SECRET = "query-secret-0815";
let server: ServerProcess;
let appKey: string;
let appKeyId: string;

const client = (apiKey: string, transport: "websocket" | "http" = "http") =>
  createLanguruClient({ url: server.url, apiKey, transport, WebSocket, EventSource: EventSource as unknown as typeof globalThis.EventSource });

/** The access lines logged so far (`msg: "request"`). */
const requests = () => server.lines.filter((l) => l.msg === "request");

/** Waits for the access line of one request id. */
async function lineFor(requestId: string): Promise<Record<string, unknown>> {
  await expect.poll(() => requests().some((l) => l.requestId === requestId), { timeout: 5_000 }).toBe(true);
  return requests().find((l) => l.requestId === requestId)!;
}

/** The request id the latest access line for a tRPC procedure carries. */
async function lastLineForPath(path: string, since: number): Promise<Record<string, unknown>> {
  await expect
    .poll(
      () =>
        requests()
          .slice(since)
          .some((l) => l.path === path),
      { timeout: 5_000 },
    )
    .toBe(true);
  return requests()
    .slice(since)
    .filter((l) => l.path === path)
    .at(-1)!;
}

beforeAll(async () => {
  server = await startProcess({ LANGURU_MASTER_KEY: MASTER_KEY, LANGURU_DB: ":memory:", LANGURU_ECHO_DELAY_MS: "0" });
  const created = await client(MASTER_KEY).trpc.keys.create.mutate({ name: "log-test" });
  appKey = created.key;
  appKeyId = created.record.id;
});
afterAll(() => killProcesses());

const messages = [{ role: "user" as const, content: `${BODY_SECRET} one two three` }];

function rest(body: object, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/v1/chat/completions?token=${QUERY_SECRET}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${appKey}`, ...headers },
    body: JSON.stringify({ model: "echo", messages, ...body }),
  });
}

describe("access log", () => {
  it("REST whole: the client's request id comes back and names one complete line", async () => {
    const res = await rest({}, { "x-request-id": "client-chosen-id-1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("client-chosen-id-1");
    await res.text();
    const line = await lineFor("client-chosen-id-1");
    expect(line).toMatchObject({
      level: 30,
      door: "rest",
      method: "POST",
      path: "/v1/chat/completions",
      keyId: appKeyId,
      model: "echo",
      deployment: "languru/echo",
      attempts: 1,
      status: 200,
      stream: false,
      promptTokens: 4,
      completionTokens: 4,
    });
    expect(line.latencyMs).toBeTypeOf("number");
    expect(line.overheadMs).toBeTypeOf("number");
  });

  it("REST streamed: time to first token and the tokens, with usage asked for or not", async () => {
    const res = await rest({ stream: true });
    const id = res.headers.get("x-request-id")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const body = await res.text();
    // The client did not ask for usage: none reaches it, though the log has the counts.
    expect(body).not.toContain('"usage"');
    const line = await lineFor(id);
    expect(line).toMatchObject({ door: "rest", stream: true, status: 200, keyId: appKeyId, model: "echo", promptTokens: 4, completionTokens: 4 });
    expect(line.ttftMs).toBeTypeOf("number");
  });

  it("REST error: status and error type, a made-up request id replaced by a fresh one", async () => {
    const res = await rest({ model: "no-such-model" }, { "x-request-id": "bad id with spaces and <html>" });
    expect(res.status).toBe(404);
    const id = res.headers.get("x-request-id")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await lineFor(id)).toMatchObject({ status: 404, errorType: "invalid_request_error", errorCode: "model_not_found", model: "no-such-model" });
  });

  it("a request refused at admission (model not allowed for the key) still names its key and model", async () => {
    const limited = await client(MASTER_KEY).trpc.keys.create.mutate({ name: "limited", models: ["gpt-*"] });
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${limited.key}`, "x-request-id": "refused-1" },
      body: JSON.stringify({ model: "echo", messages }),
    });
    expect(res.status).toBe(403);
    expect(await lineFor("refused-1")).toMatchObject({ status: 403, keyId: limited.record.id, model: "echo", errorType: "invalid_request_error" });
  });

  it("tRPC whole and streamed: one line each, the stream's line carrying its generation", async () => {
    const sdk = client(appKey);
    const before = requests().length;
    await sdk.chat.completions({ model: "echo", messages });
    const whole = await lastLineForPath("chat.completions", before);
    expect(whole).toMatchObject({ door: "trpc", method: "POST", status: 200, keyId: appKeyId, model: "echo", deployment: "languru/echo", attempts: 1 });
    expect(whole).toMatchObject({ promptTokens: 4, completionTokens: 4 });

    let text = "";
    for await (const chunk of sdk.chat.stream({ model: "echo", messages })) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toContain("one two three");
    const started = await lastLineForPath("chat.start", before);
    expect(started).toMatchObject({ door: "trpc", status: 200, stream: true, keyId: appKeyId, model: "echo", promptTokens: 4, completionTokens: 4 });
    expect(started.ttftMs).toBeTypeOf("number");
    const followed = await lastLineForPath("chat.stream", before);
    expect(followed).toMatchObject({ door: "trpc", method: "GET", keyId: appKeyId });
  });

  it("tRPC over the WebSocket (the SDK's default): one line per call, the stream's with its generation, errors with their id", async () => {
    const sdk = client(appKey, "websocket");
    const before = requests().length;
    await sdk.chat.completions({ model: "echo", messages });
    const whole = await lastLineForPath("chat.completions", before);
    expect(whole).toMatchObject({ door: "trpc", method: "WS", status: 200, keyId: appKeyId, model: "echo", deployment: "languru/echo", attempts: 1 });
    expect(whole).toMatchObject({ promptTokens: 4, completionTokens: 4 });
    expect(whole.requestId).toMatch(/^[0-9a-f-]{36}$/);

    let text = "";
    for await (const chunk of sdk.chat.stream({ model: "echo", messages })) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toContain("one two three");
    const streamed = await lastLineForPath("chat.generate", before);
    expect(streamed).toMatchObject({
      door: "trpc",
      method: "WS",
      status: 200,
      stream: true,
      keyId: appKeyId,
      model: "echo",
      promptTokens: 4,
      completionTokens: 4,
    });
    expect(streamed.ttftMs).toBeTypeOf("number");
    expect(streamed.requestId).not.toBe(whole.requestId);

    const error: { data?: { requestId?: string } } = await sdk.trpc.chat.completions.mutate({ model: "no-such-model", messages }).then(
      () => ({}),
      (e: unknown) => e as { data?: { requestId?: string } },
    );
    expect(error.data?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await lineFor(error.data!.requestId!)).toMatchObject({
      door: "trpc",
      method: "WS",
      path: "chat.completions",
      status: 404,
      errorCode: "model_not_found",
    });
    await sdk.close();
  });

  it("tRPC errors carry the request id in their data, the same as the header and the log", async () => {
    const res = await fetch(`${server.url}/trpc/chat.completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${appKey}`, "x-request-id": "trpc-err-1" },
      body: JSON.stringify({ json: { model: "no-such-model", messages } }),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("trpc-err-1");
    const body = (await res.json()) as { error: { json: { data: { requestId: string } } } };
    expect(body.error.json.data.requestId).toBe("trpc-err-1");
    expect(await lineFor("trpc-err-1")).toMatchObject({ door: "trpc", path: "chat.completions", status: 404, errorType: "invalid_request_error" });

    // Through the typed client too: a made id, returned in the error's data.
    const error: { data?: { requestId?: string } } = await client(appKey)
      .trpc.chat.completions.mutate({ model: "no-such-model", messages })
      .then(
        () => ({}),
        (e: unknown) => e as { data?: { requestId?: string } },
      );
    expect(error.data?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    await lineFor(error.data!.requestId!);
  });

  it("an unauthenticated request is logged with its status, and no line ever has a key, a body or a query string", async () => {
    const res = await fetch(`${server.url}/v1/models?api_key=${QUERY_SECRET}`, { headers: { authorization: "Bearer sk-wrong-key-000000000000" } });
    expect(res.status).toBe(401);
    expect(await lineFor(res.headers.get("x-request-id")!)).toMatchObject({ status: 401, path: "/v1/models" });

    const everything = JSON.stringify(server.lines) + server.stderr.join("");
    for (const secret of [BODY_SECRET, QUERY_SECRET, appKey, MASTER_KEY, "sk-wrong-key", "?"]) expect(everything).not.toContain(secret);
  });
});
