/**
 * The floor: a bare `node:http` pass-through proxy that pipes the request to the upstream and the
 * response back, over a keep-alive agent. No parsing, no validation; any gateway pays at least this.
 */
import { Agent, createServer, request, type Server } from "node:http";

/** Starts the proxy on 127.0.0.1 and an ephemeral port, forwarding everything to `upstream`. */
export async function startProxy(upstream: URL): Promise<Server> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req, res) => {
    const upstreamReq = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    // The client leaving stops the upstream request too.
    res.on("close", () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return server;
}
