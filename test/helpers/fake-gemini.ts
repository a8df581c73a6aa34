/**
 * A fake Gemini API on a real socket: `POST /v1beta/models/{model}:generateContent` (JSON) and
 * `:streamGenerateContent?alt=sse` (SSE, one `GenerateContentResponse` per event, no `[DONE]`), and
 * `GET /v1beta/models` (paginated). Each test scripts what the next generate calls get; every
 * request is recorded as it arrived (path, query, headers, raw and parsed body) with how it ended,
 * so a test can assert what the gateway sent and that it closed the connection on an abort.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { FinishReason, type GenerateContentResponse, type Model } from "@google/genai";

/** The REST answer: the SDK's `GenerateContentResponse` fields, without the getters its class adds. */
export type GeminiResponse = Pick<GenerateContentResponse, "candidates" | "promptFeedback" | "usageMetadata" | "modelVersion" | "responseId" | "createTime">;

/** How one exchange ended. */
export type Outcome = "open" | "finished" | "aborted" | "dropped";

/** One request the fake received. */
export interface GeminiCall {
  method: string;
  /** Without the query: `/v1beta/models/gemini-2.5-flash:generateContent`. */
  path: string;
  /** The query string without `?` (`alt=sse`), "" for none. */
  query: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  outcome: Outcome;
  ended: Promise<Exclude<Outcome, "open">>;
}

/** What a behaviour answers with. */
export interface GeminiExchange {
  call: GeminiCall;
  res: ServerResponse;
  signal: AbortSignal;
  drop(): void;
}

/** How the fake answers one generate call. */
export type GeminiBehaviour = (exchange: GeminiExchange) => Promise<void> | void;

/** A REST model entry: `supportedGenerationMethods` is the wire name of the SDK's `supportedActions`. */
export type RestModel = Pick<Model, "name" | "displayName"> & { supportedGenerationMethods?: string[] };

/** The running fake. */
export interface FakeGemini {
  /** `http://127.0.0.1:<port>/v1beta`, as a provider's `baseURL`. */
  baseURL: string;
  calls: GeminiCall[];
  script(...behaviours: GeminiBehaviour[]): void;
  otherwise(behaviour: GeminiBehaviour): void;
  /** The model list's pages, in order (each answered with the next page's token). */
  modelPages(pages: RestModel[][]): void;
  reset(): void;
  call(index: number): Promise<GeminiCall>;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 with a random port. */
export async function startFakeGemini(): Promise<FakeGemini> {
  const sockets = new Set<Socket>();
  const calls: GeminiCall[] = [];
  const waiters = new Set<() => void>();
  let queue: GeminiBehaviour[] = [];
  let fallback: GeminiBehaviour = generated(reply("Hello from Gemini."));
  let pages: RestModel[][] = [[]];

  const server = createServer((req, res) => void handle(req, res));
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const exchange = openExchange(req, res, raw);
    calls.push(exchange.call);
    for (const wake of waiters) wake();
    const { method, path, query } = exchange.call;
    let behaviour: GeminiBehaviour;
    if (method === "POST" && /^\/v1beta\/(models|tunedModels)\/[^/]+:(generateContent|streamGenerateContent)$/.test(path))
      behaviour = queue.shift() ?? fallback;
    else if (method === "GET" && path === "/v1beta/models") {
      const at = Number(new URLSearchParams(query).get("pageToken") ?? 0);
      const next = at + 1 < pages.length ? { nextPageToken: String(at + 1) } : {};
      behaviour = json(200, { models: pages[at] ?? [], ...next });
    } else behaviour = googleError(404, "NOT_FOUND", `Unknown path ${method} ${path}`);
    try {
      await behaviour(exchange);
    } catch {
      exchange.drop();
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1beta`,
    calls,
    script: (...behaviours) => void queue.push(...behaviours),
    otherwise(behaviour) {
      fallback = behaviour;
    },
    modelPages(list) {
      pages = list;
    },
    reset() {
      calls.length = 0;
      queue = [];
      fallback = generated(reply("Hello from Gemini."));
      pages = [[]];
    },
    async call(index) {
      while (calls.length <= index)
        await new Promise<void>((resolve) =>
          waiters.add(function wake() {
            waiters.delete(wake);
            resolve();
          }),
        );
      return calls[index] as GeminiCall;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function openExchange(req: IncomingMessage, res: ServerResponse, raw: string): GeminiExchange {
  const controller = new AbortController();
  let dropped = false;
  let settle: (outcome: Exclude<Outcome, "open">) => void = () => undefined;
  const [path = "/", query = ""] = (req.url ?? "/").split("?");
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: `{}`.
  }
  const call: GeminiCall = {
    method: req.method ?? "GET",
    path,
    query,
    headers: req.headers,
    raw,
    body,
    outcome: "open",
    ended: new Promise((r) => (settle = r)),
  };
  res.on("close", () => {
    call.outcome = dropped ? "dropped" : res.writableFinished ? "finished" : "aborted";
    settle(call.outcome);
    controller.abort();
  });
  return {
    call,
    res,
    signal: controller.signal,
    drop() {
      dropped = true;
      res.socket?.destroy();
      res.destroy();
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req as AsyncIterable<Buffer>) parts.push(part);
  return Buffer.concat(parts).toString("utf8");
}

/** A one-candidate answer with `text`, finished with STOP, and usage. */
export function reply(text: string, extra: Partial<GeminiResponse> = {}): GeminiResponse {
  return {
    candidates: [{ index: 0, content: { role: "model", parts: [{ text }] }, finishReason: FinishReason.STOP }],
    usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 4, totalTokenCount: 9 },
    modelVersion: "gemini-2.5-flash",
    responseId: "resp-fake-1",
    ...extra,
  };
}

/** Answers `status` with a JSON body. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): GeminiBehaviour {
  return ({ res }) => {
    const payload = JSON.stringify(body);
    res.writeHead(status, { ...headers, "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(payload) });
    res.end(payload);
  };
}

/** A whole `generateContent` answer. */
export function generated(response: GeminiResponse | ((body: Record<string, unknown>) => GeminiResponse)): GeminiBehaviour {
  return (exchange) => json(200, typeof response === "function" ? response(exchange.call.body) : response)(exchange);
}

/** Google's error body: `{"error":{"code","message","status","details"}}`. */
export function googleError(status: number, name: string, message: string, details: unknown[] = [], headers: Record<string, string> = {}): GeminiBehaviour {
  return json(status, { error: { code: status, message, status: name, ...(details.length > 0 ? { details } : {}) } }, headers);
}

/** Options of `sse`. */
export interface SseOptions {
  /** Cut the connection after this many events. */
  dropAfter?: number;
  /** Stop after this many events and keep the connection open until the client leaves. */
  hangAfter?: number;
  delayMs?: number;
}

/** A `streamGenerateContent?alt=sse` answer: each event one response, as Gemini frames them (`data: ...\r\n\r\n`). */
export function sse(events: GeminiResponse[], options: SseOptions = {}): GeminiBehaviour {
  return async ({ res, signal, drop }) => {
    res.writeHead(200, { "content-type": "text/event-stream", "x-request-id": "gemini-req-1" });
    for (const [i, event] of events.entries()) {
      if (options.dropAfter === i) return drop();
      if (options.hangAfter === i) return void (await new Promise((r) => signal.addEventListener("abort", r, { once: true })));
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      if (signal.aborted) return;
      res.write(`data: ${JSON.stringify(event)}\r\n\r\n`);
    }
    if (options.hangAfter === events.length) return void (await new Promise((r) => signal.addEventListener("abort", r, { once: true })));
    res.end();
  };
}
