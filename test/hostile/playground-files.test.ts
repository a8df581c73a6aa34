/**
 * Issue 16 item 11: a symbolic link inside the playground's build folder that points outside it is
 * not followed (the asset, its gzip copy, a linked folder, index.html itself), over a real socket.
 * A link that stays inside the folder still works, and so does a build folder that is itself a
 * link (a release directory swapped in by a deploy).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPlaygroundHandler } from "../../server/playground.js";

const SECRET = "TOP SECRET outside the build";

/** A raw GET; the body as bytes decoded latin1 (a gzip body is not decompressed: its secret would show either way). */
function get(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("latin1") }));
    });
    req.on("error", reject).end();
  });
}

async function serve(root: string): Promise<{ server: Server; url: string }> {
  const handler = createPlaygroundHandler({ root });
  const server = createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(418).end("not mine");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("symbolic links in the playground's build folder", () => {
  const dir = mkdtempSync(join(tmpdir(), "languru-playground-links-"));
  const outside = join(dir, "outside");
  const root = join(dir, "dist");
  const linkedIndexRoot = join(dir, "dist-linked-index");
  const release = join(dir, "release-1");
  const servers: Array<{ server: Server; url: string }> = [];
  let built: { server: Server; url: string };
  let linkedIndex: { server: Server; url: string };
  let swapped: { server: Server; url: string };

  beforeAll(async () => {
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, "secret.js"), SECRET);
    writeFileSync(join(outside, "secret.js.gz"), gzipSync(SECRET));
    writeFileSync(join(outside, "index.html"), `<!doctype html>${SECRET}`);

    mkdirSync(join(root, "assets"), { recursive: true });
    writeFileSync(join(root, "index.html"), "<!doctype html><title>pg</title>");
    writeFileSync(join(root, "assets", "app.js"), "console.log(1)");
    writeFileSync(join(root, "assets", "style.css"), "body{}");
    // Links out: a file, a folder, a gzip copy beside a real file; and one link that stays inside.
    symlinkSync(join(outside, "secret.js"), join(root, "assets", "leak.js"));
    symlinkSync("../../outside/secret.js", join(root, "assets", "relative-leak.js"));
    symlinkSync(outside, join(root, "assets", "linked-dir"));
    symlinkSync(join(outside, "secret.js.gz"), join(root, "assets", "style.css.gz"));
    symlinkSync("app.js", join(root, "assets", "alias.js"));

    mkdirSync(join(linkedIndexRoot, "assets"), { recursive: true });
    symlinkSync(join(outside, "index.html"), join(linkedIndexRoot, "index.html"));

    mkdirSync(join(release, "assets"), { recursive: true });
    writeFileSync(join(release, "index.html"), "<!doctype html><title>release</title>");
    writeFileSync(join(release, "assets", "app.js"), "console.log(2)");
    symlinkSync(release, join(dir, "current"));

    built = await serve(root);
    linkedIndex = await serve(linkedIndexRoot);
    swapped = await serve(join(dir, "current"));
    servers.push(built, linkedIndex, swapped);
  });

  afterAll(async () => {
    await Promise.all(servers.map(({ server }) => new Promise((resolve) => server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  it("does not follow a link out of the folder: a file, a relative link, a linked folder", async () => {
    for (const path of ["/assets/leak.js", "/assets/relative-leak.js", "/assets/linked-dir/secret.js", "/assets/linked-dir/index.html"]) {
      const answer = await get(built.url, path, { "accept-encoding": "gzip" });
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toContain("SECRET");
    }
  });

  it("does not send a gzip copy that links out; the file itself still goes", async () => {
    const answer = await get(built.url, "/assets/style.css", { "accept-encoding": "gzip" });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-encoding"]).toBeUndefined();
    expect(answer.body).toBe("body{}");
  });

  it("does not serve an index.html that links out", async () => {
    const answer = await get(linkedIndex.url, "/");
    expect(answer.body).not.toContain("SECRET");
    expect(answer.status).toBe(503);
  });

  it("keeps links that stay inside, and a build folder that is itself a link", async () => {
    expect(await get(built.url, "/assets/alias.js")).toMatchObject({ status: 200, body: "console.log(1)" });
    expect(await get(built.url, "/assets/app.js")).toMatchObject({ status: 200, body: "console.log(1)" });
    expect(await get(swapped.url, "/")).toMatchObject({ status: 200, body: "<!doctype html><title>release</title>" });
    expect(await get(swapped.url, "/assets/app.js")).toMatchObject({ status: 200, body: "console.log(2)" });
  });
});
