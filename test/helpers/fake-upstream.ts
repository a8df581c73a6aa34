/**
 * A fake OpenAI-compatible upstream on a real socket: `POST /v1/chat/completions` (JSON, or SSE when
 * `stream` is true) and `GET /v1/models`. Each test scripts what the next chat requests get, so it can
 * also misbehave on purpose (error statuses, hangs, dropped connections, malformed SSE), and every
 * request is recorded with how it ended, so a test can assert that the upstream saw a client abort.
 *
 *   const upstream = await startFakeUpstream();
 *   upstream.script(fail(500, "boom"), ok());             // first call 500, the second a normal reply
 *   upstream.script(stream(undefined, { dropAfter: 2 })); // two chunks, then the socket is cut
 *   upstream.otherwise(hang());                           // every call after the script hangs
 *   expect(await (await upstream.call(0)).ended).toBe("aborted");
 */
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A JSON object as the fake reads and writes it. */
export type Json = Record<string, unknown>;

/** How one exchange ended: still open, answered in full, left early by the client, or cut by the fake on purpose. */
export type Outcome = "open" | "finished" | "aborted" | "dropped";

/** One request the fake received. */
export interface UpstreamCall {
  method: string;
  /** The path without the query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; `{}` when there was none or it was not a JSON object. */
  body: Json;
  /** The outcome so far; see `ended` to wait for the final one. */
  outcome: Outcome;
  /** Settles with the final outcome once the connection for this exchange is done with it. */
  ended: Promise<Exclude<Outcome, "open">>;
}

/** What a behaviour gets to answer one request with. */
export interface Exchange {
  call: UpstreamCall;
  res: ServerResponse;
  /** Aborted when the client goes away (or the fake closes). */
  signal: AbortSignal;
  /** Waits `ms`, or less if the client leaves first. */
  sleep(ms: number): Promise<void>;
  /** Writes to the response unless the client already left; resolves once the bytes reached the socket. */
  write(text: string): Promise<void>;
  /** Cuts the TCP connection now, mid-response or before it; recorded as `dropped`. */
  drop(): void;
}

/** How the fake answers one request. */
export type Behaviour = (exchange: Exchange) => Promise<void> | void;

/** A body, or a function of the request body that makes one. */
export type FromRequest<T> = T | ((request: Json) => T);

/** Options of `stream`. */
export interface StreamOptions {
  /** Pause before each frame (ms). */
  delayMs?: number;
  /** Cut the connection after this many frames. */
  dropAfter?: number;
  /** Stop writing after this many frames and keep the connection open until the client leaves. */
  hangAfter?: number;
  /** Send `data: [DONE]` at the end (default true). */
  done?: boolean;
  headers?: Record<string, string>;
}

/** The running fake. */
export interface FakeUpstream {
  /** The base URL with `/v1`, as a provider's `baseURL`. */
  baseURL: string;
  /** Every request received, in arrival order. */
  calls: UpstreamCall[];
  /** Queues behaviours for the next chat requests, in order; once used up, the default answers. */
  script(...behaviours: Behaviour[]): void;
  /** Replaces the default behaviour for chat requests (initially `ok()`). */
  otherwise(behaviour: Behaviour): void;
  /** Forgets calls, script and default, for the next test. */
  reset(): void;
  /** Resolves with the `index`th call (0-based) once it arrived. */
  call(index: number): Promise<UpstreamCall>;
  /** Connections the gateway holds open to the fake right now (in use or idle keep-alive). */
  openSockets(): number;
  /** Exchanges whose outcome is still `open`. */
  inFlight(): number;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/** Starts a fake upstream on 127.0.0.1 with a random port. */
export async function startFakeUpstream(options: { models?: string[] } = {}): Promise<FakeUpstream> {
  const models = options.models ?? ["real-model", "m1"];
  const sockets = new Set<Socket>();
  const calls: UpstreamCall[] = [];
  const waiters = new Set<() => void>();
  let queue: Behaviour[] = [];
  let fallback: Behaviour = ok();

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const exchange = openExchange(req, res, await readBody(req));
    calls.push(exchange.call);
    for (const wake of waiters) wake();
    const path = exchange.call.path;
    let behaviour: Behaviour;
    if (req.method === "POST" && path === "/v1/chat/completions") behaviour = queue.shift() ?? fallback;
    else if (req.method === "GET" && path === "/v1/models")
      behaviour = json(200, { object: "list", data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "fake" })) });
    else behaviour = fail(404, `Unknown request URL: ${req.method} ${path}`, { code: "unknown_url" });
    try {
      await behaviour(exchange);
    } catch {
      // A behaviour that throws (usually a write after the client left) cuts the connection.
      exchange.drop();
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    calls,
    script: (...behaviours) => void queue.push(...behaviours),
    openSockets: () => sockets.size,
    inFlight: () => calls.filter((c) => c.outcome === "open").length,
    otherwise(behaviour) {
      fallback = behaviour;
    },
    reset() {
      calls.length = 0;
      queue = [];
      fallback = ok();
    },
    async call(index) {
      while (calls.length <= index)
        await new Promise<void>((resolve) =>
          waiters.add(function wake() {
            waiters.delete(wake);
            resolve();
          }),
        );
      return calls[index] as UpstreamCall;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function openExchange(req: IncomingMessage, res: ServerResponse, body: Json): Exchange {
  const controller = new AbortController();
  let dropped = false;
  let settle: (outcome: Exclude<Outcome, "open">) => void = () => undefined;
  const call: UpstreamCall = {
    method: req.method ?? "GET",
    path: (req.url ?? "/").split("?")[0] as string,
    headers: req.headers,
    body,
    outcome: "open",
    ended: new Promise((resolve) => (settle = resolve)),
  };
  // `close` fires once the exchange is over: after a full response, or when the connection went first.
  res.on("close", () => {
    call.outcome = dropped ? "dropped" : res.writableFinished ? "finished" : "aborted";
    settle(call.outcome);
    controller.abort();
  });
  return {
    call,
    res,
    signal: controller.signal,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          controller.signal.removeEventListener("abort", done);
          resolve();
        }
        controller.signal.addEventListener("abort", done, { once: true });
      }),
    async write(text) {
      if (controller.signal.aborted || res.destroyed) return;
      // Waiting for the flush (not just for `drain`) lets a later `drop()` cut after these bytes, not before.
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("close", done);
          resolve();
        };
        res.once("close", done);
        res.write(text, done);
      });
    },
    drop() {
      dropped = true;
      res.socket?.destroy();
      res.destroy();
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Json> {
  const parts: Buffer[] = [];
  for await (const part of req as AsyncIterable<Buffer>) parts.push(part);
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(parts).toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Json) : {};
  } catch {
    return {};
  }
}

const resolve = <T>(value: FromRequest<T>, request: Json): T => (typeof value === "function" ? (value as (request: Json) => T)(request) : value);

/** Answers with `status` and a JSON body. */
export function json(status: number, body: FromRequest<unknown>, headers: Record<string, string> = {}): Behaviour {
  return ({ call, res }) => {
    const payload = JSON.stringify(resolve(body, call.body));
    res.writeHead(status, { "x-request-id": "req_fake", ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
    res.end(payload);
  };
}

/** Answers with any body, e.g. an HTML error page or a truncated JSON document. */
export function raw(status: number, body: string, headers: Record<string, string> = { "content-type": "text/html" }): Behaviour {
  return ({ res }) => {
    res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
}

/** Answers with an OpenAI error body: `{ error: { message, type, param, code } }`. */
export function fail(
  status: number,
  message: string,
  details: { type?: string; param?: string | null; code?: string | null; headers?: Record<string, string> } = {},
): Behaviour {
  const { headers = {}, type = status >= 500 ? "server_error" : "invalid_request_error", param = null, code = null } = details;
  return json(status, { error: { message, type, param, code } }, headers);
}

/** A whole completion: `completion(extra)` merged over the default reply for the request. */
export function completion(extra: FromRequest<Json> = {}, headers: Record<string, string> = {}): Behaviour {
  return json(200, (request: Json) => ({ ...chatCompletion(request), ...resolve(extra, request) }), headers);
}

/**
 * An SSE stream: objects become `data: <json>\n\n` frames, strings are written as they are (for
 * malformed SSE), then `data: [DONE]\n\n`. The default frames are `chatChunks(request)`.
 */
export function stream(frames?: FromRequest<Array<Json | string>>, options: StreamOptions = {}): Behaviour {
  return async (exchange) => {
    const { res, call } = exchange;
    const list = frames === undefined ? chatChunks(call.body) : resolve(frames, call.body);
    res.writeHead(200, { "x-request-id": "req_fake", ...options.headers, "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.flushHeaders();
    for (const [sent, frame] of list.entries()) {
      if (sent === options.dropAfter) return exchange.drop();
      if (sent === options.hangAfter) return hangUntilClose(exchange);
      if (options.delayMs) await exchange.sleep(options.delayMs);
      await exchange.write(typeof frame === "string" ? frame : `data: ${JSON.stringify(frame)}\n\n`);
    }
    if (list.length === options.dropAfter) return exchange.drop();
    if (list.length === options.hangAfter) return hangUntilClose(exchange);
    if (options.done !== false) await exchange.write("data: [DONE]\n\n");
    if (!exchange.signal.aborted) res.end();
  };
}

/** The normal answer: `stream()` when the request asked for a stream, else `completion()`. */
export function ok(): Behaviour {
  return (exchange) => (exchange.call.body.stream === true ? stream() : completion())(exchange);
}

/** Never answers, not even headers; returns once the client leaves. */
export function hang(): Behaviour {
  return hangUntilClose;
}

/** Cuts the connection without answering. */
export function drop(): Behaviour {
  return (exchange) => exchange.drop();
}

/** Waits `ms` (less if the client leaves), then behaves like `then`. */
export function delayed(ms: number, then: Behaviour): Behaviour {
  return async (exchange) => {
    await exchange.sleep(ms);
    if (!exchange.signal.aborted) await then(exchange);
  };
}

async function hangUntilClose(exchange: Exchange): Promise<void> {
  if (!exchange.signal.aborted) await once(exchange.signal, "abort");
}

/** The default whole reply for a request: one choice per `n`, saying `hello from <model>`, with usage. */
export function chatCompletion(request: Json): Json {
  const n = typeof request.n === "number" ? request.n : 1;
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 1_700_000_000,
    model: String(request.model),
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: "assistant", content: `hello from ${String(request.model)}`, refusal: null },
      finish_reason: "stop",
      logprobs: null,
    })),
    usage: { prompt_tokens: 5, completion_tokens: 3 * n, total_tokens: 5 + 3 * n },
  };
}

/** The default chunks for a request: a role chunk, one per word of `hello from <model>`, a finish chunk, and usage when asked for. */
export function chatChunks(request: Json): Json[] {
  const n = typeof request.n === "number" ? request.n : 1;
  const base = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1_700_000_000, model: String(request.model) };
  const each = (delta: Json, finish: string | null) => ({
    ...base,
    choices: Array.from({ length: n }, (_, index) => ({ index, delta, finish_reason: finish, logprobs: null })),
  });
  const words = ["hello", " from", ` ${String(request.model)}`];
  const chunks: Json[] = [each({ role: "assistant", content: "" }, null), ...words.map((w) => each({ content: w }, null)), each({}, "stop")];
  const options = request.stream_options;
  if (typeof options === "object" && options !== null && (options as Json).include_usage === true) {
    chunks.push({ ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 3 * n, total_tokens: 5 + 3 * n } });
  }
  return chunks;
}
