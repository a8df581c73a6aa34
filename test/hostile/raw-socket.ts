/**
 * A raw `ws` client of the gateway's WebSocket door for the hostile suite: tRPC's JSON-RPC messages
 * written by hand (so a test can send what no SDK would), every answer kept, the close code heard,
 * and the server's end of the connection at hand (to see what the gateway queues for it).
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket } from "ws";
import type { TestGateway } from "../helpers/gateway.js";

/** One answer from the gateway, parsed; an error's shape is taken out of its superjson envelope. */
export interface Answer {
  id: string | number | null;
  result?: { type: string; data?: unknown };
  error?: { code: number; message: string; data?: { code?: string; httpStatus?: number; status?: number; error?: { code?: string | null } } };
}

/** An open socket to `/trpc`. */
export interface RawSocket {
  ws: WebSocket;
  /** Every answer so far, in arrival order (the keep-alive's PINGs are answered and left out). */
  answers: Answer[];
  /** Resolves with the close code once the socket closed. */
  closed: Promise<number>;
  /** The gateway's end of this connection. */
  server: Duplex;
  /** Sends one text frame. */
  send(text: string): void;
  /** The client stops reading: what the gateway sends stays in its own queue once the kernel's buffers are full. */
  stopReading(): void;
}

/** Opens a socket; with `apiKey`, presents it in the `connectionParams` message, as the SDK does. */
export async function openSocket(gateway: TestGateway, options: { apiKey?: string } = {}): Promise<RawSocket> {
  const upgrades: Socket[] = [];
  const onUpgrade = (_req: IncomingMessage, socket: Socket) => upgrades.push(socket);
  // Tests open dozens of sockets at once, each watching for its upgrade until it is open.
  if (gateway.server.getMaxListeners() < 256) gateway.server.setMaxListeners(256);
  gateway.server.on("upgrade", onUpgrade);
  const query = options.apiKey ? "?connectionParams=1" : "";
  const ws = new WebSocket(`${gateway.baseURL.replace(/^http/, "ws")}/trpc${query}`);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  gateway.server.off("upgrade", onUpgrade);
  // Sockets opened together each find their own end by its port.
  const localPort = (ws as unknown as { _socket: Socket })._socket.localPort;
  const server = upgrades.find((socket) => socket.remotePort === localPort);
  if (!server) throw new Error("no upgrade seen");
  ws.on("error", () => undefined);
  const answers: Answer[] = [];
  ws.on("message", (data: Buffer) => {
    const text = data.toString();
    if (text === "PING") return ws.send("PONG");
    if (text === "PONG") return;
    const answer = JSON.parse(text) as Answer & { error?: { json?: Answer["error"] } };
    if (answer.error?.json) answer.error = answer.error.json;
    answers.push(answer);
  });
  const closed = new Promise<number>((resolve) => ws.once("close", (code: number) => resolve(code)));
  if (options.apiKey) ws.send(JSON.stringify({ method: "connectionParams", data: { apiKey: options.apiKey } }));
  return {
    ws,
    answers,
    closed,
    server,
    send: (text) => ws.send(text),
    stopReading: () => (ws as unknown as { _socket: Duplex })._socket.pause(),
  };
}

/** A tRPC call message, its input in superjson's plain form. */
export function callMessage(id: number, path: string, input: unknown, method: "mutation" | "query" | "subscription" = "mutation"): string {
  return JSON.stringify({ id, method, params: { path, input: { json: input } } });
}

/** Waits until `check` holds, polling every 20 ms; throws after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lets `ms` pass (to see that nothing more arrives). */
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
