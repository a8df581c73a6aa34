/**
 * The playground from a build of its own, in front of a gateway: a real HTTP server that serves the
 * build with the gateway's own static handler (same headers, same CSP) and passes everything else
 * (the API, the WebSocket upgrade) to the gateway byte for byte. Test files that build the page
 * here never touch playground/dist, which other test files rebuild meanwhile. `retarget` points
 * it at another gateway and `cut` drops every open connection: to the page, a gateway restart.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, request, type IncomingMessage } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createPlaygroundHandler } from "../../server/playground.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));

/** Builds the playground with Vite (production mode) into a new temporary folder; returns it. */
export async function buildPlaygroundApart(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), "languru-playground-build-"));
  // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const { NODE_ENV: _ignored, ...env } = process.env;
  const vite = join(repo, "node_modules/vite/bin/vite.js");
  await promisify(execFile)(
    process.execPath,
    [vite, "build", "--config", "playground/vite.config.ts", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"],
    {
      cwd: repo,
      env,
    },
  );
  return out;
}

/** A running front. */
export interface PlaygroundFront {
  url: string;
  /** Sends new connections to another gateway from now on. */
  retarget(baseURL: string): void;
  /** Drops every connection passed to the gateway (the page's WebSocket included). */
  cut(): void;
  close(): Promise<void>;
}

/** Serves the build in `root` and passes the rest to `gatewayURL`. */
export async function startPlaygroundFront(root: string, gatewayURL: string): Promise<PlaygroundFront> {
  const serve = createPlaygroundHandler({ root });
  let target = new URL(gatewayURL);
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  };
  const server = createServer((req, res) => {
    if (serve(req, res)) return;
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("socket", track);
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connection", track);
  server.on("upgrade", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const gateway = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      gateway.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length > 0) gateway.write(head);
      gateway.pipe(client).pipe(gateway);
    });
    track(gateway);
    for (const socket of [gateway, client]) socket.on("error", () => (socket === gateway ? client : gateway).destroy());
    gateway.on("close", () => client.destroy());
    client.on("close", () => gateway.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    retarget(baseURL) {
      target = new URL(baseURL);
    },
    cut() {
      for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
