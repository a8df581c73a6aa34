/**
 * The WebSocket door: tRPC's `applyWSSHandler` on the gateway's own HTTP server, under `/trpc`.
 * One socket carries every call and stream of a client (no per-call HTTP round trip, no input in a
 * URL, the key in the `connectionParams` message). Shutdown closes idle sockets at once and lets
 * sockets with open streams finish until the grace runs out. What a socket may cost is bounded
 * before tRPC sees it: per message (`message-gate.ts`), per call (`call-bounds.ts`) and in what it
 * has queued for a client that does not read (`queue.ts`), with the caps of `limits.ts`; each
 * refusal is told to `refused` (the gateway counts it in `languru_ws_refusals_total`).
 */
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import type { AnyTRPCRouter } from "@trpc/server";
import { applyWSSHandler, type CreateWSSContextFnOptions } from "@trpc/server/adapters/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { coalesceWrites } from "../../../lib/coalesce-writes.js";
import type { Context, SocketInfo } from "../context.js";
import { callBounds, type CallBounds } from "./call-bounds.js";
import { batchSplicingEncoder } from "./encoder.js";
import { DEFAULT_WEBSOCKET_LIMITS, type WebSocketLimits } from "./limits.js";
import { gateMessages } from "./message-gate.js";
import { watchQueue } from "./queue.js";
import type { RefusalCounter } from "./refusals.js";

/** What `attachWebSocketDoor` needs. */
export interface WebSocketDoorOptions {
  server: Server;
  router: AnyTRPCRouter;
  createContext(options: CreateWSSContextFnOptions): Context;
  /** The largest message a client may send (the same bound as an HTTP body). */
  maxPayloadBytes: number;
  /** The browser origin allowed to connect (`*`: any), as CORS allows it for HTTP; WebSockets are not subject to CORS. */
  origin: string;
  /** The caps on calls and queued bytes; the defaults when absent. */
  limits?: WebSocketLimits;
  /** Told of each refused message or call and each socket cut (see `refusals.ts`). */
  refused: RefusalCounter;
}

/** Handle on the door's sockets for shutdown. */
export interface WebSocketDoor {
  /** Stops taking sockets; closes idle ones now and the others once their streams end. */
  drain(): void;
  /** Cuts every socket (the grace ran out). */
  terminate(): void;
}

/** What the door keeps per socket: what procedures see, plus the key check the context starts. */
export interface SocketState extends SocketInfo {
  streams: number;
  checkKey: CallBounds["checkKey"];
}

const states = new WeakMap<WebSocket, SocketState>();

const notCounted: RefusalCounter = () => undefined;

/** What a procedure may know about the socket it runs on; one per connection. */
export function socketInfo(ws: WebSocket): SocketState {
  let state = states.get(ws);
  if (!state) {
    // The door makes each socket's state when it connects; this is for a socket it did not take.
    state = createState(ws, DEFAULT_WEBSOCKET_LIMITS, notCounted);
    states.set(ws, state);
  }
  return state;
}

function createState(ws: WebSocket, limits: WebSocketLimits, refused: RefusalCounter): SocketState {
  const socket = socketOf(ws);
  const bounds = callBounds(ws, limits, refused);
  const queue = socket ? watchQueue(ws, socket, limits, refused) : null;
  const state: SocketState = {
    streams: 0,
    isOpen: () => ws.readyState === ws.OPEN,
    holdStream() {
      state.streams++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        state.streams--;
        if (state.streams === 0) ws.emit("languru:idle");
      };
    },
    whenWritable: (signal) => queue?.whenWritable(signal) ?? null,
    admitCall: () => bounds.admit(),
    keyChecked: (valid) => bounds.keyChecked(valid),
    checkKey: (check) => bounds.checkKey(check),
  };
  return state;
}

// How far past the body limit a message is still read to answer it with a typed 413.
const OVER_LIMIT_READ_BYTES = 1024 * 1024;

/** Serves tRPC over WebSocket on `/trpc` of an existing HTTP server. */
export function attachWebSocketDoor(options: WebSocketDoorOptions): WebSocketDoor {
  // A message a little over the limit is read and answered with one 413 (as the HTTP door does);
  // past that the socket is closed (1009). "A little" is at most 1 MiB (or 3× a small limit): with
  // a large body limit, 4× would let one socket make us buffer 128 MiB before anything is checked.
  const readLimit = options.maxPayloadBytes + Math.min(3 * options.maxPayloadBytes, OVER_LIMIT_READ_BYTES);
  const wss = new WebSocketServer({ noServer: true, maxPayload: readLimit });
  const limits = options.limits ?? DEFAULT_WEBSOCKET_LIMITS;
  const { refused } = options;
  wss.on("connection", (ws: WebSocket) => {
    gateMessages(ws, options.router, options.maxPayloadBytes, refused);
    sendInTurns(ws);
    // After `sendInTurns`: the queue's `send` wraps it, to see what each message added.
    states.set(ws, createState(ws, limits, refused));
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
