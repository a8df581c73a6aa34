/**
 * The WebSocket door: tRPC's `applyWSSHandler` on the gateway's own HTTP server, under `/trpc`.
 * One socket carries every call and stream of a client (no per-call HTTP round trip, no input in a
 * URL, the key in the `connectionParams` message). Shutdown closes idle sockets at once and lets
 * sockets with open streams finish until the grace runs out.
 */
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { getErrorShape, transformTRPCResponse, TRPCError, type AnyTRPCRouter } from "@trpc/server";
import { applyWSSHandler, type CreateWSSContextFnOptions } from "@trpc/server/adapters/ws";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { coalesceWrites } from "./coalesce-writes.js";
import { batchSplicingEncoder } from "./ws-encoder.js";
import type { Context, SocketInfo } from "./context.js";

/** What `attachWebSocketDoor` needs. */
export interface WebSocketDoorOptions {
  server: Server;
  router: AnyTRPCRouter;
  createContext(options: CreateWSSContextFnOptions): Context;
  /** The largest message a client may send (the same bound as an HTTP body). */
  maxPayloadBytes: number;
  /** The browser origin allowed to connect (`*`: any), as CORS allows it for HTTP; WebSockets are not subject to CORS. */
  origin: string;
}

/** Handle on the door's sockets for shutdown. */
export interface WebSocketDoor {
  /** Stops taking sockets; closes idle ones now and the others once their streams end. */
  drain(): void;
  /** Cuts every socket (the grace ran out). */
  terminate(): void;
}

interface SocketState extends SocketInfo {
  streams: number;
}

const states = new WeakMap<WebSocket, SocketState>();

/** Queued bytes past which a stream waits for its socket to drain (many streams share one socket). */
const QUEUE_HIGH_WATER_BYTES = 1024 * 1024;

/** What a procedure may know about the socket it runs on; one per connection. */
export function socketInfo(ws: WebSocket): SocketInfo {
  let state = states.get(ws);
  if (!state) {
    const waiters = new Set<() => void>();
    let listening = false;
    const wakeWaiters = () => {
      listening = false;
      socketOf(ws)?.off("drain", wakeWaiters);
      ws.off("close", wakeWaiters);
      for (const wake of [...waiters]) wake();
    };
    const created: SocketState = {
      streams: 0,
      isOpen: () => ws.readyState === ws.OPEN,
      holdStream() {
        created.streams++;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          created.streams--;
          if (created.streams === 0) ws.emit("languru:idle");
        };
      },
      whenWritable(signal) {
        const socket = socketOf(ws);
        // `writableNeedDrain`: a `drain` is sure to come (with compression, `bufferedAmount` could
        // count bytes the socket never holds, and a wait for `drain` would last until close).
        if (ws.bufferedAmount < QUEUE_HIGH_WATER_BYTES || ws.readyState !== ws.OPEN || signal.aborted || !socket?.writableNeedDrain) return null;
        // One `drain` listener per socket, whatever the number of streams waiting on it; a stream
        // that stops waiting (its subscription ended) leaves nothing behind.
        if (!listening) {
          listening = true;
          socket.once("drain", wakeWaiters);
          ws.once("close", wakeWaiters);
        }
        return new Promise<void>((resolve) => {
          const done = () => {
            waiters.delete(done);
            signal.removeEventListener("abort", done);
            resolve();
          };
          waiters.add(done);
          signal.addEventListener("abort", done, { once: true });
        });
      },
    };
    state = created;
    states.set(ws, state);
  }
  return state;
}

/** Serves tRPC over WebSocket on `/trpc` of an existing HTTP server. */
export function attachWebSocketDoor(options: WebSocketDoorOptions): WebSocketDoor {
  // Up to 4× the limit a message is read and answered with a 413 per call (as the HTTP door does);
  // past that the socket is closed (1009), bounding what one connection may make us buffer.
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes * 4 });
  wss.on("connection", (ws: WebSocket) => {
    refuseOversized(ws, options.router, options.maxPayloadBytes);
    sendInTurns(ws);
  });
  let draining = false;
  applyWSSHandler({
    wss,
    router: options.router,
    createContext: options.createContext,
    experimental_encoder: batchSplicingEncoder,
    // Pings find sockets whose peer vanished without a FIN (a laptop lid, a NAT timeout).
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
  });
  options.server.on("upgrade", (req, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "").split("?")[0];
    if (draining || (path !== "/trpc" && path !== "/trpc/")) return refuse(socket, "404 Not Found");
    // A browser always sends Origin; other clients need not. Without this a page from another origin could use an open gateway.
    const origin = req.headers.origin;
    if (options.origin !== "*" && origin !== undefined && origin !== options.origin) return refuse(socket, "403 Forbidden");
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });

  const goingAway = (ws: WebSocket) => ws.close(1001, "server shutting down");
  const closeWhenIdle = (ws: WebSocket) => {
    if ((states.get(ws)?.streams ?? 0) === 0) return goingAway(ws);
    // tRPC sends a subscription's final `stopped` message after its generator returned: let it out first.
    ws.once("languru:idle", () => setTimeout(goingAway, 50, ws).unref());
  };

  return {
    drain() {
      draining = true;
      for (const ws of wss.clients) closeWhenIdle(ws);
    },
    terminate() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

/** Frames sent in the same event-loop turn (many streams share a socket) leave in one write. */
function sendInTurns(ws: WebSocket): void {
  const socket = socketOf(ws);
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  ws.send = ((...args: unknown[]) => {
    coalesceWrites(socket);
    send(...args);
  }) as typeof ws.send;
}

// `ws` keeps its net.Socket private; it is the only way to batch frames or hear `drain`.
function socketOf(ws: WebSocket): Duplex | undefined {
  return (ws as unknown as { _socket?: Duplex })._socket;
}

function refuse(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function sizeOf(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

/**
 * A message over the body limit never reaches tRPC: each call in it gets a typed 413 instead.
 * Closing the socket would not do: the client would reconnect and send the same message again.
 */
function refuseOversized(ws: WebSocket, router: AnyTRPCRouter, limitBytes: number): void {
  const emit = ws.emit.bind(ws);
  ws.emit = ((event: string | symbol, ...args: unknown[]) => {
    const data = args[0] as RawData;
    if (event !== "message" || sizeOf(data) <= limitBytes) return emit(event, ...args);
    const config = router._def._config;
    const error = new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: `The message is ${sizeOf(data)} bytes; the limit is ${limitBytes}.` });
    for (const id of callIds(data)) {
      const shape = getErrorShape({ config, error, type: "unknown", path: undefined, input: undefined, ctx: undefined });
      ws.send(JSON.stringify(transformTRPCResponse(config, { id, jsonrpc: "2.0", error: shape })));
    }
    return true;
  }) as typeof ws.emit;
}

/** The ids of the calls in a tRPC WebSocket message (one call or a batch); none if it is not JSON. */
function callIds(data: RawData): Array<string | number> {
  try {
    const parsed: unknown = JSON.parse(Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString());
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    return calls.flatMap((call) =>
      typeof call === "object" && call !== null && "id" in call && (typeof call.id === "string" || typeof call.id === "number") ? [call.id] : [],
    );
  } catch {
    return [];
  }
}
