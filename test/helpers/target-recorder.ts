/**
 * An HTTP hop on a real socket in front of a fake upstream that records the request-target of every
 * request exactly as it arrived on the wire (`req.url`: path and query, unparsed, so a doubled `?`
 * shows), with its method and headers, then relays the request to the fake and its answer back as
 * it streams. The fakes parse the query for their own routing; this is where a test reads the bytes.
 */
import { createServer, request, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request the recorder relayed. */
export interface RecordedRequest {
  method: string;
  /** The request-target as received: `/v1/chat/completions?api-version=2024-10-21`. */
  target: string;
  headers: IncomingHttpHeaders;
}

/** A running recorder. */
export interface TargetRecorder {
  /** `http://127.0.0.1:<port>`: a provider's `baseURL` is this plus the fake's path and any query. */
  origin: string;
  requests: RecordedRequest[];
  /** The targets of the requests with this method, in arrival order. */
  targets(method: string): string[];
  reset(): void;
  close(): Promise<void>;
}

/** Starts a recorder relaying to the fake at `upstreamOrigin` (`http://127.0.0.1:<port>`). */
export async function startTargetRecorder(upstreamOrigin: string): Promise<TargetRecorder> {
  const upstream = new URL(upstreamOrigin);
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "GET", target: req.url ?? "", headers: req.headers });
    // `agent: false`: one connection per relayed request, so closing the fake leaves nothing pooled here.
    const relayed = request(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    relayed.on("error", () => res.destroy());
    res.on("close", () => relayed.destroy());
    req.pipe(relayed);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    targets: (method) => requests.filter((r) => r.method === method).map((r) => r.target),
    reset() {
      requests.length = 0;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
