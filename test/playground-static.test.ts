/**
 * The gateway's static handler for the playground, over real sockets: content types, cache headers,
 * HEAD, no way out of the build folder, the "not built" page, and the API paths left alone.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPlaygroundHandler } from "../server/playground.js";
import { startGateway, type TestGateway } from "./helpers/gateway.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw GET: `fetch` would normalise `..` and `%2e%2e` in the path before sending it (and decompress). */
function get(base: string, path: string, method = "GET", headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const body = res.headers["content-encoding"] === "gzip" ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on("error", reject).end();
  });
}

/** Serves `handler` alone; anything it leaves is a plain 418 so the test sees it fell through. */
async function serve(root: string): Promise<{ server: Server; url: string }> {
  const handler = createPlaygroundHandler({ root });
  const server = createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(418).end("not mine");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("playground static handler", () => {
  const dir = mkdtempSync(join(tmpdir(), "languru-playground-"));
  const root = join(dir, "dist");
  let built: { server: Server; url: string };
  let empty: { server: Server; url: string };

  beforeAll(async () => {
    mkdirSync(join(root, "assets", "nested"), { recursive: true });
    writeFileSync(join(root, "index.html"), "<!doctype html><title>pg</title>");
    writeFileSync(join(root, "assets", "index-abc123.js"), "console.log(1)");
    writeFileSync(join(root, "assets", "index-abc123.css"), "body{}");
    writeFileSync(join(root, "assets", "index-abc123.css.gz"), gzipSync("body{}"));
    writeFileSync(join(root, "assets", "nested", "deep.svg"), "<svg/>");
    writeFileSync(join(dir, "secret.txt"), "do not serve");
    built = await serve(root);
    empty = await serve(join(dir, "missing"));
  });

  afterAll(async () => {
    await Promise.all([built, empty].map(({ server }) => new Promise((resolve) => server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves index.html at / revalidated every time, with a content security policy", async () => {
    for (const path of ["/", "/index.html", "/?session=1"]) {
      const answer = await get(built.url, path);
      expect(answer.status).toBe(200);
      expect(answer.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(answer.headers["cache-control"]).toBe("no-cache");
      expect(answer.headers["content-security-policy"]).toMatch(/default-src 'self'/);
      expect(answer.body).toBe("<!doctype html><title>pg</title>");
    }
  });

  it("serves hashed assets with their content type, cached for a year, and HEAD without a body", async () => {
    const js = await get(built.url, "/assets/index-abc123.js");
    expect(js).toMatchObject({ status: 200, body: "console.log(1)" });
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.headers["x-content-type-options"]).toBe("nosniff");
    expect((await get(built.url, "/assets/index-abc123.css")).headers["content-type"]).toBe("text/css; charset=utf-8");
    expect((await get(built.url, "/assets/nested/deep.svg")).headers["content-type"]).toBe("image/svg+xml");
    const head = await get(built.url, "/assets/index-abc123.js", "HEAD");
    expect(head).toMatchObject({ status: 200, body: "" });
    expect(head.headers["content-length"]).toBe("14");
  });

  it("sends the prebuilt gzip copy only to clients that accept gzip", async () => {
    const gzipped = await get(built.url, "/assets/index-abc123.css", "GET", { "accept-encoding": "br, gzip;q=0.8" });
    expect(gzipped).toMatchObject({ status: 200, body: "body{}" });
    expect(gzipped.headers).toMatchObject({ "content-encoding": "gzip", vary: "accept-encoding", "content-type": "text/css; charset=utf-8" });
    expect(gzipped.headers["content-length"]).toBe(String(gzipSync("body{}").length));
    const plain = await get(built.url, "/assets/index-abc123.css");
    expect(plain).toMatchObject({ status: 200, body: "body{}" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.headers.vary).toBe("accept-encoding");
    // Without a gzip copy the file goes as it is, whatever the client accepts.
    const js = await get(built.url, "/assets/index-abc123.js", "GET", { "accept-encoding": "gzip" });
    expect(js).toMatchObject({ status: 200, body: "console.log(1)" });
    expect(js.headers["content-encoding"]).toBeUndefined();
  });

  it("never leaves the asset folder", async () => {
    for (const path of [
      "/assets/../../secret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/assets/%2e%2e/%2e%2e/secret.txt",
      "/assets/..%5c..%5csecret.txt",
      "/assets/%2e%2e/index.html",
      "/assets/index-abc123.js%00.png",
      "/assets/%E0%A4%A",
      "/assets/",
      "/assets/nested",
      "/assets/missing.js",
    ]) {
      const answer = await get(built.url, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toMatch(/do not serve|doctype/);
    }
  });

  it("leaves every other path and method to the next handler", async () => {
    for (const [method, path] of [
      ["GET", "/v1/models"],
      ["GET", "/secret.txt"],
      ["GET", "/index.htm"],
      ["POST", "/"],
      ["DELETE", "/assets/index-abc123.js"],
    ] as const) {
      expect((await get(built.url, path, method)).status, `${method} ${path}`).toBe(418);
    }
  });

  it("says how to build the page when the build is missing", async () => {
    const answer = await get(empty.url, "/");
    expect(answer.status).toBe(503);
    expect(answer.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(answer.body).toMatch(/npm run build:playground/);
    expect((await get(empty.url, "/assets/index.js")).status).toBe(404);
  });
});

describe("playground mounted in the gateway", () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close(100));

  // Not GET / itself: test/playground.test.ts may be rebuilding playground/dist at this moment.
  it("serves the playground's paths while the API paths keep working", async () => {
    const asset = await get(gateway.baseURL, "/assets/no-such-file-0000.js");
    expect(asset).toMatchObject({ status: 404, body: "Not found" });
    expect(asset.headers["content-type"]).toBe("text/plain; charset=utf-8");
    const models = await get(gateway.baseURL, "/v1/models");
    expect(models.status).toBe(200);
    expect(JSON.parse(models.body).data.map((m: { id: string }) => m.id)).toContain("echo");
    const unknown = await get(gateway.baseURL, "/nope");
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe("unknown_url");
    const unknownAsset = await get(gateway.baseURL, "/assets/../v1/models");
    expect(unknownAsset.status).toBe(404);
  });
});
