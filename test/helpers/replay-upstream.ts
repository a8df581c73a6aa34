/**
 * A real HTTP server that replays the vendor fixture corpus (`test/fixtures/vendors/`): a chat
 * request for model `<fixture id>` gets that fixture, a stream one frame per write with a turn of
 * the event loop between writes (so each frame leaves in its own TCP segment more often than not,
 * as from a real vendor), an error fixture its status, headers and body whether streamed or not.
 * A streamed request that sets `stream_options.include_usage` gets the fixture's `framesWithUsage`.
 * Every chat request body is recorded, so a test can see what the gateway forwarded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ErrorFixture, StreamFixture } from "../fixtures/vendors/index.js";

/** The running replay. */
export interface ReplayUpstream {
  /** The base URL with `/v1`, as a provider's `baseURL` or an SDK's. */
  baseURL: string;
  /** Parsed bodies of the chat requests, in arrival order. */
  requests: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Starts a replay of `streams` and `errors` on 127.0.0.1 with a random port. */
export async function startReplayUpstream(streams: StreamFixture[], errors: ErrorFixture[]): Promise<ReplayUpstream> {
  const streamById = new Map(streams.map((f) => [f.id, f]));
  const errorById = new Map(errors.map((f) => [f.id, f]));
  const requests: Array<Record<string, unknown>> = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void answer(req, res).catch(() => res.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    const body = await readJson(req);
    if (req.method === "GET" && path === "/v1/models") {
      const ids = [...streamById.keys(), ...errorById.keys()];
      return send(
        res,
        200,
        { "content-type": "application/json" },
        JSON.stringify({ object: "list", data: ids.map((id) => ({ id, object: "model", created: 0, owned_by: "replay" })) }),
      );
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") return send(res, 404, { "content-type": "text/plain" }, "404 page not found");
    requests.push(body);
    const model = typeof body.model === "string" ? body.model : "";
    const refusal = errorById.get(model);
    if (refusal) return send(res, refusal.status, refusal.headers, refusal.body);
    const fixture = streamById.get(model);
    if (!fixture)
      return send(
        res,
        404,
        { "content-type": "application/json" },
        JSON.stringify({ error: { message: `no fixture '${model}'`, type: "invalid_request_error", param: "model", code: null } }),
      );
    if (body.stream !== true)
      return send(
        res,
        400,
        { "content-type": "application/json" },
        JSON.stringify({ error: { message: "the replay has streams only", type: "invalid_request_error", param: "stream", code: null } }),
      );
    const options = body.stream_options;
    const asked = typeof options === "object" && options !== null && (options as Record<string, unknown>).include_usage === true;
    await replay(res, fixture.headers, asked && fixture.framesWithUsage ? fixture.framesWithUsage : fixture.frames);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

// One write per frame, each waiting for the previous to flush and for a turn of the event loop.
async function replay(res: ServerResponse, headers: Record<string, string>, frames: string[]): Promise<void> {
  res.writeHead(200, headers);
  res.flushHeaders();
  for (const frame of frames) {
    if (res.destroyed) return;
    await new Promise<void>((resolve) => res.write(frame, () => resolve()));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  res.end();
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
