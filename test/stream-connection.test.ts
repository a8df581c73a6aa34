/**
 * Stream responses honour the client's `Connection`, over raw sockets to a real gateway (echo, no
 * upstream), on each of the three streaming endpoints: a client that asked to close (`Connection:
 * close`, or HTTP/1.0 without keep-alive) is told `connection: close` and the socket is closed after
 * the last frame; a keep-alive client is told `keep-alive` and can send its next request on the same
 * socket. The SSE writers once forced `connection: keep-alive`, which told a closing client the opposite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./helpers/gateway.js";
import { rawConnection, within, type RawConnection } from "./hostile/probe.js";

/** One streaming endpoint: what to post, and the frame its stream ends with. */
interface Endpoint {
  path: string;
  body: object;
  lastFrame: RegExp;
}

const ENDPOINTS: Endpoint[] = [
  {
    path: "/v1/chat/completions",
    body: { model: "echo", messages: [{ role: "user", content: "one two three" }], stream: true },
    lastFrame: /data: \[DONE\]\n\n$/,
  },
  {
    path: "/v1/messages",
    body: { model: "echo", max_tokens: 100, messages: [{ role: "user", content: "one two three" }], stream: true },
    lastFrame: /event: message_stop\ndata: [^\n]*\n\n$/,
  },
  {
    path: "/v1/responses",
    body: { model: "echo", input: "one two three", stream: true, store: false },
    lastFrame: /event: response\.completed\ndata: [^\n]*\n\n$/,
  },
];

// Under Node's 5 s keep-alive timeout: a socket still open this long after the last frame was left open.
const CLOSE_WAIT_MS = 3_000;

function rawRequest(endpoint: Endpoint, version: "1.0" | "1.1", connection?: string): string {
  const body = JSON.stringify(endpoint.body);
  const connectionLine = connection ? `connection: ${connection}\r\n` : "";
  return `POST ${endpoint.path} HTTP/${version}\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${connectionLine}\r\n${body}`;
}

/** One parsed response off the socket: its head's headers (lowercase names) and its body, de-chunked when chunked. */
interface RawResponse {
  status: string;
  headers: Map<string, string>;
  body: string;
  /** Where the next response on the socket starts; undefined while this one is incomplete (a close-delimited body is never complete here). */
  end?: number;
}

function parseResponse(raw: string, from = 0): RawResponse | undefined {
  const split = raw.indexOf("\r\n\r\n", from);
  if (split < 0) return undefined;
  const [status = "", ...lines] = raw.slice(from, split).split("\r\n");
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
  let at = split + 4;
  if (headers.get("transfer-encoding") !== "chunked") return { status, headers, body: raw.slice(at) };
  let body = "";
  while (at < raw.length) {
    const eol = raw.indexOf("\r\n", at);
    if (eol < 0) break;
    const size = Number.parseInt(raw.slice(at, eol), 16);
    if (size === 0) return { status, headers, body, end: eol + 4 };
    body += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
  return { status, headers, body };
}

/** Resolves once `count` complete chunked responses are on the socket. */
function responses(connection: RawConnection, count: number): Promise<RawResponse[]> {
  return new Promise((resolve) => {
    const check = () => {
      const parsed: RawResponse[] = [];
      let from = 0;
      while (parsed.length < count) {
        const response = parseResponse(connection.received(), from);
        if (response?.end === undefined) return;
        parsed.push(response);
        from = response.end;
      }
      connection.socket.off("data", check);
      resolve(parsed);
    };
    connection.socket.on("data", check);
  });
}

/** True when the server closed the socket within `CLOSE_WAIT_MS`. */
async function closedSoon(connection: RawConnection): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS);
  });
  const closed = await Promise.race([connection.closed.then(() => true), timeout]);
  clearTimeout(timer);
  return closed;
}

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(async () => {
  await gateway.close(100);
});

describe.each(ENDPOINTS)("a stream from $path", (endpoint) => {
  it("to a `Connection: close` request says `connection: close`, and the server closes the socket after the last frame", async () => {
    const connection = await rawConnection(gateway.baseURL);
    try {
      const answered = responses(connection, 1);
      connection.socket.write(rawRequest(endpoint, "1.1", "close"));
      const [response] = await within(answered, 10_000, "the stream");
      expect(response?.status).toMatch(/^HTTP\/1\.1 200/);
      expect(response?.headers.get("content-type")).toContain("text/event-stream");
      expect(response?.headers.get("connection")).toBe("close");
      expect(response?.body).toMatch(endpoint.lastFrame);
      expect(await closedSoon(connection)).toBe(true);
      // Nothing after the last frame: the socket ended with the chunked body's terminator.
      expect(connection.received().length).toBe(response?.end);
    } finally {
      connection.socket.destroy();
    }
  });

  it("to an HTTP/1.0 request without keep-alive says `connection: close`, and the closed socket ends the body after the last frame", async () => {
    const connection = await rawConnection(gateway.baseURL);
    try {
      connection.socket.write(rawRequest(endpoint, "1.0"));
      await within(connection.closed, 10_000, "the stream and the close");
      const response = parseResponse(connection.received());
      expect(response?.status).toMatch(/^HTTP\/1\.1 200/);
      expect(response?.headers.get("connection")).toBe("close");
      expect(response?.body).toMatch(endpoint.lastFrame);
    } finally {
      connection.socket.destroy();
    }
  });

  it("to a keep-alive request says `connection: keep-alive`, and a second request on the same socket is answered after the stream ended", async () => {
    const connection = await rawConnection(gateway.baseURL);
    try {
      const first = responses(connection, 1);
      connection.socket.write(rawRequest(endpoint, "1.1", "keep-alive"));
      const [response] = await within(first, 10_000, "the first stream");
      expect(response?.headers.get("connection")).toBe("keep-alive");
      expect(response?.body).toMatch(endpoint.lastFrame);

      const both = responses(connection, 2);
      connection.socket.write(rawRequest(endpoint, "1.1", "keep-alive"));
      const [, second] = await within(both, 10_000, "the second stream on the same socket");
      expect(second?.status).toMatch(/^HTTP\/1\.1 200/);
      expect(second?.headers.get("connection")).toBe("keep-alive");
      expect(second?.body).toMatch(endpoint.lastFrame);
    } finally {
      connection.socket.destroy();
    }
  });
});
