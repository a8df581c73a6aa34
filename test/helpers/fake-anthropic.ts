/**
 * A fake Anthropic Messages API on a real socket: `POST /v1/messages` answers with what the test
 * scripted (a whole message, an event stream, an error), `GET /v1/models` lists models a page at a
 * time as Anthropic does (`limit`, `after_id`, `has_more`, `last_id`). Every request is recorded
 * with its headers, parsed body and how it ended, so a test asserts the exact body the gateway
 * sent and that a client's abort closed the upstream connection.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Message } from "@anthropic-ai/sdk/resources/messages";
import { errorBody, textStream } from "../fixtures/anthropic/messages.js";

/** One request the fake received. */
export interface AnthropicCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** Settles once the exchange is over: answered in full, or left by the client first. */
  ended: Promise<"finished" | "aborted">;
}

/** How the fake answers one `POST /v1/messages`. */
export type AnthropicBehaviour = (res: ServerResponse, signal: AbortSignal, body: Record<string, unknown>) => Promise<void> | void;

/** The running fake. */
export interface FakeAnthropic {
  /** `http://127.0.0.1:<port>/v1`, a provider's `baseURL`. */
  baseURL: string;
  calls: AnthropicCall[];
  /** The `POST /v1/messages` calls only. */
  messageCalls(): AnthropicCall[];
  /** Queues answers for the next message requests; once used up, `otherwise` answers. */
  script(...behaviours: AnthropicBehaviour[]): void;
  otherwise(behaviour: AnthropicBehaviour): void;
  reset(): void;
  close(): Promise<void>;
}

/** Starts the fake; `models` is what `GET /v1/models` lists. */
export async function startFakeAnthropic(options: { models?: string[]; pageSize?: number } = {}): Promise<FakeAnthropic> {
  const models = options.models ?? ["claude-sonnet-5-5", "claude-haiku-5-5"];
  const sockets = new Set<Socket>();
  const calls: AnthropicCall[] = [];
  let queue: AnthropicBehaviour[] = [];
  let fallback: AnthropicBehaviour = answerReply();

  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const controller = new AbortController();
    let settle: (outcome: "finished" | "aborted") => void = () => undefined;
    const call: AnthropicCall = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: await readJson(req),
      ended: new Promise((resolve) => (settle = resolve)),
    };
    res.on("close", () => {
      settle(res.writableFinished ? "finished" : "aborted");
      controller.abort();
    });
    calls.push(call);
    if (req.method === "POST" && url.pathname === "/v1/messages") return (queue.shift() ?? fallback)(res, controller.signal, call.body);
    if (req.method === "GET" && url.pathname === "/v1/models") return listModels(res, url.searchParams, models, options.pageSize ?? 20);
    return fail(404, "not_found_error", `Not found: ${req.method} ${url.pathname}`)(res, controller.signal, call.body);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    calls,
    messageCalls: () => calls.filter((c) => c.path === "/v1/messages"),
    script: (...behaviours) => void queue.push(...behaviours),
    otherwise(behaviour) {
      fallback = behaviour;
    },
    reset() {
      calls.length = 0;
      queue = [];
      fallback = answerReply();
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function listModels(res: ServerResponse, query: URLSearchParams, models: string[], pageSize: number): void {
  const limit = Math.min(Number(query.get("limit") ?? pageSize), pageSize);
  const after = query.get("after_id");
  const start = after === null ? 0 : models.indexOf(after) + 1;
  const page = models.slice(start, start + limit);
  const data = page.map((id) => ({ type: "model", id, display_name: id, created_at: "2026-09-01T00:00:00Z" }));
  sendJson(res, 200, { data, has_more: start + limit < models.length, first_id: page[0] ?? null, last_id: page[page.length - 1] ?? null });
}

/** The default answer: "Hi there", as a whole message or as a stream, as the request asked. */
export function answerReply(): AnthropicBehaviour {
  return (res, signal, body) => (body.stream === true ? answerEvents(textStream(["Hi", " there"]))(res, signal, body) : answerMessage({})(res, signal, body));
}

/** Answers with a whole message (a fixture, or the default text reply with `extra` over it). */
export function answerMessage(message: Partial<Message>, headers: Record<string, string> = {}): AnthropicBehaviour {
  return (res) =>
    sendJson(
      res,
      200,
      {
        id: "msg_fake",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-5-5",
        content: [{ type: "text", text: "Hi there", citations: null }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        ...message,
      },
      headers,
    );
}

/** Options of `answerEvents`. */
export interface EventOptions {
  /** Pause before each event (ms). */
  delayMs?: number;
  /** After this many events, stop writing and hold the connection open until the client leaves. */
  hangAfter?: number;
  headers?: Record<string, string>;
}

/** Answers with an SSE stream of `events` (`event: <type>` then `data: <json>`), as Anthropic frames them. */
export function answerEvents(events: Array<{ type: string }>, options: EventOptions = {}): AnthropicBehaviour {
  return async (res, signal) => {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "request-id": "req_fake_stream",
      ...options.headers,
    });
    for (const [i, event] of events.entries()) {
      if (options.hangAfter !== undefined && i === options.hangAfter) {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        return;
      }
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (signal.aborted) return;
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    }
    res.end();
  };
}

/** Answers with Anthropic's error body for `type`, with `status` and `headers`. */
export function fail(status: number, type: string, text: string, headers: Record<string, string> = {}): AnthropicBehaviour {
  return (res) => sendJson(res, status, errorBody(type, text), headers);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "request-id": "req_fake", ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req as AsyncIterable<Buffer>) parts.push(part);
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(parts).toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
