/**
 * CORS headers over real sockets, for the default `*` and for one fixed origin: on completions,
 * on errors and on preflights, they are the headers the `cors` package itself sets for the same
 * options (measured here on a bare `node:http` server running that middleware beside the gateway).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import cors from "cors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers/gateway.js";

const METHODS = ["GET", "POST", "DELETE", "HEAD", "OPTIONS"];
const CORS_HEADERS = [
  "access-control-allow-origin",
  "access-control-expose-headers",
  "access-control-allow-methods",
  "access-control-max-age",
  "access-control-allow-credentials",
  "vary",
];

/** The CORS headers of a response, by lower-case name (absent ones left out). */
function corsHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CORS_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/** A server running the `cors` package with the gateway's options, for what it would answer. */
async function reference(origin: string, exposed: string[]): Promise<{ url: string; server: Server }> {
  const middleware = cors({ origin, maxAge: 600, methods: METHODS, exposedHeaders: exposed });
  const server = createServer((req, res) => middleware(req, res, () => res.end("{}")));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const chat = {
  method: "POST",
  headers: { "content-type": "application/json", origin: "https://app.example" },
  body: JSON.stringify({ model: "echo", messages: [{ role: "user", content: "hi" }] }),
};
const preflight = {
  method: "OPTIONS",
  headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
};

describe.each(["*", "https://app.example"])("CORS with LANGURU_CORS_ORIGIN=%s", (origin) => {
  let gateway: TestGateway;
  let ref: { url: string; server: Server };
  beforeAll(async () => {
    gateway = await startGateway({ corsOrigin: origin });
    // The exposed names are the gateway's own list, read from its answer.
    const exposed = ((await fetch(`${gateway.baseURL}/v1/models`)).headers.get("access-control-expose-headers") ?? "").split(",");
    expect(exposed).toContain("x-request-id");
    ref = await reference(origin, exposed);
  });
  afterAll(async () => {
    await gateway?.close(100);
    await new Promise((resolve) => ref?.server.close(resolve));
  });

  it("a completion carries the headers the cors package sets", async () => {
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, chat);
    expect(res.status).toBe(200);
    const headers = corsHeaders(res);
    expect(headers["access-control-allow-origin"]).toBe(origin);
    if (origin === "*") expect(headers.vary).toBeUndefined();
    else expect(headers.vary).toBe("Origin");
    expect(headers).toEqual(corsHeaders(await fetch(ref.url, chat)));
  });

  it("an error carries them too", async () => {
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, { ...chat, body: "{" });
    expect(res.status).toBe(400);
    expect(corsHeaders(res)).toEqual(corsHeaders(await fetch(ref.url, chat)));
  });

  it("a preflight is answered as the cors package answers it", async () => {
    const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, preflight);
    const expected = await fetch(ref.url, preflight);
    expect(res.status).toBe(204);
    expect(res.status).toBe(expected.status);
    expect(corsHeaders(res)).toEqual(corsHeaders(expected));
    expect(res.headers.get("access-control-allow-methods")?.split(",")).toEqual(METHODS);
  });
});
