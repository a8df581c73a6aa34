/**
 * An OpenAI-compatible upstream on a real socket that keeps every chat request's body as the bytes
 * it received (the fake upstream keeps parsed JSON, which would round a 19-digit seed itself) and
 * answers each with a one-word completion, or its stream when `stream` is true.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A running capture upstream. */
export interface CaptureUpstream {
  /** Its base URL, `http://127.0.0.1:<port>/v1`. */
  baseURL: string;
  /** The raw text of every chat request body, in arrival order. */
  bodies: string[];
  /** The last body, parsed (lossy for huge integers: assert digits on `bodies`). */
  last(): Record<string, unknown>;
  close(): Promise<void>;
}

/** Starts a capture upstream on an ephemeral port. */
export async function startCaptureUpstream(): Promise<CaptureUpstream> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      if (req.url?.startsWith("/v1/models")) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify({ object: "list", data: [] }));
      }
      const text = Buffer.concat(parts).toString("utf8");
      bodies.push(text);
      const request = JSON.parse(text) as { model?: string; stream?: boolean };
      const base = { id: "chatcmpl-capture", created: 1_700_000_000, model: request.model ?? "m" };
      if (request.stream !== true) {
        res.writeHead(200, { "content-type": "application/json" });
        const message = { role: "assistant", content: "ok", refusal: null };
        const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
        return res.end(JSON.stringify({ ...base, object: "chat.completion", choices: [{ index: 0, message, finish_reason: "stop", logprobs: null }], usage }));
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
      res.end(`${chunk({ role: "assistant", content: "ok" }, null)}${chunk({}, "stop")}data: [DONE]\n\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    bodies,
    last: () => JSON.parse(bodies.at(-1) ?? "{}") as Record<string, unknown>,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
