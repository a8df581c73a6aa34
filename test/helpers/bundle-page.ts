/** Serves one TypeScript entry, bundled for the browser by esbuild, as a page on its own port (another origin than the gateway's). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";

/** A served page. */
export interface BundledPage {
  server: Server;
  /** The page's URL (`/`); the bundle is at `/entry.js`. */
  url: string;
}

/** Bundles `entry` (an absolute path) and serves it under a minimal HTML page; `define` as esbuild takes it. */
export async function serveBundledPage(entry: string, define: Record<string, string> = {}): Promise<BundledPage> {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
    define,
  });
  const js = bundle.outputFiles[0]?.text ?? "";
  const html = `<!doctype html><meta charset="utf-8"><title>languru test page</title><script type="module" src="/entry.js"></script>`;
  const server = createServer((req, res) => {
    if (req.url === "/entry.js") res.writeHead(200, { "content-type": "text/javascript" }).end(js);
    else if (req.url === "/") res.writeHead(200, { "content-type": "text/html" }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}
