/**
 * Serves the playground (the Vite build in `playground/dist`) at `/`: `index.html` revalidated on
 * every load, hashed files under `/assets/` cached for a year (their prebuilt `.gz` copy to clients
 * that accept gzip), nothing outside that folder. When the build is missing, `/` says how to make it
 * instead of failing.
 *
 * "Outside" is judged on the real path: a symbolic link in the folder is followed only when its
 * target is inside the folder too, so a stray link (to `/etc`, to the checkout) exposes nothing.
 */
import { createReadStream, type Stats } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Where `npm run build:playground` (run by `npm start` when needed) writes the playground. */
export const PLAYGROUND_DIST = fileURLToPath(new URL("../playground/dist/", import.meta.url));

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json",
  ".map": "application/json",
};

// The page talks only to this gateway (HTTP, and WebSocket for the SDK's subscriptions).
const pageSecurity = {
  "content-security-policy":
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const notBuilt = `<!doctype html><meta charset="utf-8"><title>Languru playground not built</title>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>The playground is not built</h1>
<p>The gateway is running; only the page at <code>/</code> is missing. Build it once with
<pre>npm install &amp;&amp; npm run build:playground</pre>
(<code>npm start</code> does this by itself when the dev dependencies are installed), then reload.</p>
<p>The API is at <code>/v1</code> (OpenAI-compatible) and <code>/trpc</code>.</p>`;

/** Options of `createPlaygroundHandler`. */
export interface PlaygroundOptions {
  /** The built playground; default `PLAYGROUND_DIST`. */
  root?: string;
}

/** Returns a handler that serves the playground's paths and answers false (untouched) for every other request. */
export function createPlaygroundHandler(options: PlaygroundOptions = {}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const root = resolve(options.root ?? PLAYGROUND_DIST);
  const assets = join(root, "assets") + sep;
  return function servePlayground(req, res) {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/" || path === "/index.html") {
      void serveFile({ req, res, root, file: join(root, "index.html"), cache: "no-cache", missing: () => sendHtml(res, 503, notBuilt) });
      return true;
    }
    if (!path.startsWith("/assets/")) return false;
    let file: string;
    try {
      file = resolve(root, `.${decodeURIComponent(path)}`);
    } catch {
      file = "";
    }
    // Only files directly in the asset folder: no `..`, no encoded separators, no NUL.
    if (!file.startsWith(assets) || file.includes("\0")) {
      sendText(res, 404, "Not found");
      return true;
    }
    void serveFile({ req, res, root, file, cache: "public, max-age=31536000, immutable", missing: () => sendText(res, 404, "Not found") });
    return true;
  };
}

interface ServeFile {
  req: IncomingMessage;
  res: ServerResponse;
  /** The build folder, as configured (it may itself be a link). */
  root: string;
  file: string;
  cache: string;
  missing: () => void;
}

async function serveFile({ req, res, root, file, cache, missing }: ServeFile): Promise<void> {
  // Resolved per request: a deploy may swap the folder's link to a new release at any time.
  const inside = await realDirectory(root);
  const found = inside && (await servable(file, inside));
  if (!found) return missing();
  const { info } = found;
  const type = contentTypes[extname(file)] ?? "application/octet-stream";
  // The build writes a gzip copy beside each text asset; sending it costs no CPU here.
  const gzipped = file.endsWith(".html") ? null : await servable(`${file}.gz`, inside);
  const acceptsGzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const sent = gzipped && acceptsGzip ? { ...gzipped, encoded: true } : { ...found, encoded: false };
  res.writeHead(200, {
    "content-type": type,
    "content-length": sent.info.size,
    "cache-control": cache,
    "last-modified": info.mtime.toUTCString(),
    ...(gzipped ? { vary: "accept-encoding" } : {}),
    ...(sent.encoded ? { "content-encoding": "gzip" } : {}),
    ...(type.startsWith("text/html") ? pageSecurity : { "x-content-type-options": "nosniff" }),
  });
  if (req.method === "HEAD") return void res.end();
  createReadStream(sent.path)
    .on("error", () => res.destroy())
    .pipe(res);
}

/** The real path of a folder (links resolved) with a trailing separator, or null when it is missing. */
async function realDirectory(folder: string): Promise<string | null> {
  try {
    return (await realpath(folder)) + sep;
  } catch {
    return null;
  }
}

/**
 * The file's real path and stats, or null when it is missing, not a regular file, or really lies
 * outside `inside` (a link out). The real path is what gets opened, so no link is followed later.
 */
async function servable(file: string, inside: string): Promise<{ path: string; info: Stats } | null> {
  try {
    const path = await realpath(file);
    if (!path.startsWith(inside)) return null;
    const info = await stat(path);
    return info.isFile() ? { path, info } : null;
  } catch {
    return null;
  }
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...pageSecurity }).end(html);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" }).end(text);
}

/** The handler for the default build folder, as the gateway mounts it. */
export const servePlayground = createPlaygroundHandler();
