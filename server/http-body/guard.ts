/**
 * Request bodies on both doors (REST and tRPC) are bounded in time: a deadline for the whole body
 * and a minimum average rate after a short grace, so a client trickling bytes cannot hold a
 * connection (and a handler) open for ever: 408, then the connection is closed.
 *
 * A response sent before the body was read (a 401, a 413) closes the connection the way nginx's
 * lingering close does: the response goes out with `connection: close`, then the rest of the body is
 * read and discarded, up to a bound of bytes and time, so that a client still uploading (the
 * official SDKs write the whole body before they read) sees the answer instead of a reset.
 *
 * And they are bounded together: each body, while it is read, holds a share of one budget of bytes
 * (its declared length, or the whole body limit when it is chunked), so that many large uploads at
 * once cannot take the memory a large body limit would otherwise allow per connection. A body that
 * does not fit is refused at once with a 503 and `retry-after`, before a byte of it is read.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { LanguruError, ServiceUnavailableError } from "../../shared/index.js";
import { log } from "../log.js";

/** Time bounds of a request body. */
export interface BodyTimeouts {
  /** The whole body must arrive within this. */
  timeoutMs: number;
  /** After `RATE_GRACE_MS`, the average rate must stay at or above this many bytes per second. */
  minBytesPerSecond: number;
}

/** The bytes all bodies being read at once may hold, shared by every request of one gateway. */
export interface BodyBudget {
  /** The largest body one request may send (`LANGURU_BODY_LIMIT`): what a chunked body reserves. */
  readonly bodyLimitBytes: number;
  /** Bytes of every body being read at once (`LANGURU_BODY_BYTES_IN_FLIGHT`). */
  readonly limitBytes: number;
  /** Bytes reserved now. */
  reserved: number;
}

/** A budget for one gateway. */
export function createBodyBudget(bodyLimitBytes: number, limitBytes: number): BodyBudget {
  return { bodyLimitBytes, limitBytes, reserved: 0 };
}

const RATE_GRACE_MS = 2_000;
const CHECK_EVERY_MS = 250;
// What is discarded after an early answer before the connection is cut anyway.
const LINGER_MAX_BYTES = 64 * 1024 * 1024;
const LINGER_MAX_MS = 5_000;

/**
 * Watches one request's body; call for every request (bodiless ones cost nothing). Returns the
 * error to answer instead of serving the request when its body does not fit the budget (the
 * connection then closes after the answer, as for any refusal before the body was read).
 */
export function guardBody(req: IncomingMessage, res: ServerResponse, bounds: BodyTimeouts, budget?: BodyBudget): LanguruError | null {
  if (!hasBody(req) || req.complete) return null;
  const socket = req.socket;
  // Until the body is read, an early response (a refusal) closes the connection; a normal one keeps
  // it alive only if the client asked so (`Connection: close` and HTTP/1.0 made Node's value false).
  const keepAlive = res.shouldKeepAlive;
  res.shouldKeepAlive = false;
  const share = budget ? reserve(req, budget) : 0;
  if (share > 0 && budget) {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      budget.reserved -= share;
    };
    req.once("end", release);
    req.once("close", release);
  }
  // The bytes read since the request began (its body, and some of its head): no listener per chunk.
  const watch: Watch = { req, res, socket, bounds, started: Date.now(), bytesBefore: socket.bytesRead };
  lingerWhileReading(socket as GuardedSocket, req);
  watching.add(watch);
  sweeper ??= setInterval(sweep, CHECK_EVERY_MS).unref();

  req.once("end", () => {
    watching.delete(watch);
    doneReading(socket as GuardedSocket, req);
    if (!res.headersSent) res.shouldKeepAlive = keepAlive;
  });
  req.once("close", () => {
    watching.delete(watch);
    doneReading(socket as GuardedSocket, req);
  });
  // Refused, the body is discarded as after any early answer (the lingering close above).
  return share < 0 ? busy(budget) : null;
}

// The share a body takes (its declared length, at most the body limit; the limit when chunked), or -1 when it does not fit.
function reserve(req: IncomingMessage, budget: BodyBudget): number {
  const declared = Number(req.headers["content-length"]);
  const share = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, budget.bodyLimitBytes) : budget.bodyLimitBytes;
  if (budget.reserved + share > budget.limitBytes) return -1;
  budget.reserved += share;
  return share;
}

let lastBusyLog = 0;

function busy(budget: BodyBudget | undefined): LanguruError {
  const now = Date.now();
  // Once a second at most: under a flood, one line says it all.
  if (now - lastBusyLog > 1_000) {
    lastBusyLog = now;
    log.warn({ reservedBytes: budget?.reserved, limitBytes: budget?.limitBytes }, "request bodies in flight at their limit; refusing new bodies");
  }
  return new ServiceUnavailableError("The gateway is reading too many request bodies at once; retry shortly.", {
    code: "server_busy",
    headers: { "retry-after": "1" },
  });
}

interface Watch {
  req: IncomingMessage;
  res: ServerResponse;
  socket: Socket;
  bounds: BodyTimeouts;
  started: number;
  bytesBefore: number;
}

// One timer checks every body still arriving, instead of a timer per request.
const watching = new Set<Watch>();
let sweeper: NodeJS.Timeout | null = null;

function sweep(): void {
  const now = Date.now();
  for (const watch of watching) {
    const { bounds, socket } = watch;
    const elapsed = now - watch.started;
    const received = socket.bytesRead - watch.bytesBefore;
    const tooSlow = elapsed > RATE_GRACE_MS && received / (elapsed / 1000) < bounds.minBytesPerSecond;
    if (elapsed <= bounds.timeoutMs && !tooSlow) continue;
    watching.delete(watch);
    log.info({ url: watch.req.url?.split("?")[0], receivedBytes: received, elapsedMs: elapsed }, "request body too slow; closing the connection");
    refuseSlow(watch.res, socket, tooSlow ? `slower than ${bounds.minBytesPerSecond} bytes/s` : `not complete within ${bounds.timeoutMs} ms`);
  }
  if (watching.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = null;
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}

// Sends a 408 when nothing was answered yet, then closes; a started response can only be cut.
function refuseSlow(res: ServerResponse, socket: Socket, why: string): void {
  if (res.headersSent) {
    socket.destroy();
    return;
  }
  const error = new LanguruError(408, `The request body was ${why}.`, { code: "request_timeout" });
  const payload = JSON.stringify(error.toBody());
  res.writeHead(408, { "content-type": "application/json", "content-length": Buffer.byteLength(payload), connection: "close" });
  res.end(payload, () => socket.destroy());
}

/*
 * The lingering close hooks the socket's `destroySoon` (what Node calls to close after an answer
 * that does not keep the connection). One function per process is installed once per socket, and
 * the request whose body is unread rides on the socket under a symbol, cleared when the body ends.
 * Not a closure per request stored on the socket: a long-lived socket holding a fresh closure each
 * request kept every request's objects alive through V8's young-generation collections (~1 MB
 * promoted per scavenge in the bench, 2-5 ms pauses instead of ~0.2).
 */
const READING = Symbol("languru.bodyBeingRead");
const PLAIN_DESTROY_SOON = Symbol("languru.plainDestroySoon");

type GuardedSocket = Socket & { [READING]?: IncomingMessage | null; [PLAIN_DESTROY_SOON]?: () => void };

function lingerWhileReading(socket: GuardedSocket, req: IncomingMessage): void {
  if (socket.destroySoon !== lingeringDestroySoon) {
    socket[PLAIN_DESTROY_SOON] = socket.destroySoon;
    socket.destroySoon = lingeringDestroySoon;
  }
  socket[READING] = req;
}

function doneReading(socket: GuardedSocket, req: IncomingMessage): void {
  if (socket[READING] === req) socket[READING] = null;
}

function lingeringDestroySoon(this: GuardedSocket): void {
  const req = this[READING];
  if (req) linger(req, this);
  else this[PLAIN_DESTROY_SOON]?.call(this);
}

// The answer is out; half-close, then discard what the client is still sending, within bounds.
function linger(req: IncomingMessage, socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  if (req.complete) {
    socket.destroy();
    return;
  }
  let discarded = 0;
  const stop = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(stop, LINGER_MAX_MS);
  timer.unref();
  socket.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_MAX_BYTES) stop();
  });
  req.once("end", stop);
  req.resume();
}
