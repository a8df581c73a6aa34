/**
 * What a WebSocket has queued for its peer, and the bounds on it. A client that stops reading (its
 * socket kept alive by answering pings) must not make the gateway hold output for it without bound:
 * - **Streams wait** once ~1 MiB is queued (`whenWritable`): a stream's output is already buffered
 *   by its generation, so it is never queued a second time. When the peer reads again, the streams
 *   that waited are woken one per event-loop turn while less than that is queued, so that 60 streams
 *   do not all write what they hold at once.
 * - **Everything else goes out at once and is counted** (a mutation's answer, tRPC's own messages):
 *   what a socket adds while over the mark (its unread backlog growing) is bounded per socket
 *   (16 MiB by default, `LANGURU_WS_SOCKET_QUEUE_BYTES`), and what all sockets of the process
 *   queue together is bounded too (128 MiB, `LANGURU_WS_TOTAL_QUEUE_BYTES`). Past either, the
 *   socket that adds is closed with 1008 (policy violation) and cut a second later if its close
 *   cannot get through: its client was not reading. A single large message to a socket under the
 *   mark is never the reason (a stream's batch after a long wait can be large). Each socket closed
 *   is counted once, by the cap it went past (its own first).
 */
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { log } from "../../../log.js";
import type { WebSocketLimits } from "./limits.js";
import type { RefusalCounter } from "./refusals.js";

/** Queued bytes past which a stream waits for its socket to drain (many streams share one socket). */
export const QUEUE_HIGH_WATER_BYTES = 1024 * 1024;
/** How long a closed socket has for its close frame before it is cut. */
const CUT_AFTER_MS = 1_000;

/** Bytes queued on every socket of the process, each as last seen. */
let totalQueued = 0;

/** One socket's queue. */
export interface SocketQueue {
  /**
   * Null while the socket takes more; else settles once it is this waiter's turn (the peer read
   * what was queued), or the socket closed, or `signal` aborted.
   */
  whenWritable(signal: AbortSignal): Promise<void> | null;
}

/**
 * Watches what `ws` (on `socket`) queues: wraps its `send`, hears its drains; call once per socket.
 * The total is the process's (every gateway in it), each socket held to the total cap it was given.
 */
export function watchQueue(
  ws: WebSocket,
  socket: Duplex,
  limits: Pick<WebSocketLimits, "socketQueueBytes" | "totalQueueBytes">,
  refused: RefusalCounter,
): SocketQueue {
  const { socketQueueBytes, totalQueueBytes } = limits;
  // This socket's part of `totalQueued`.
  let counted = 0;
  // Bytes added while over the mark, since the queue was last under it.
  let backlogGrowth = 0;
  let cutting = false;
  // In arrival order (a Set keeps it): the first waiter is woken first.
  const waiters = new Set<() => void>();
  let wakeScheduled = false;

  // A `drain` is sure to come only once a write found the socket's own buffer full (`writableNeedDrain`).
  const congested = () => ws.bufferedAmount >= QUEUE_HIGH_WATER_BYTES && socket.writableNeedDrain;

  const recount = () => {
    // Below the socket's own mark (16 KiB) no `drain` would correct the count: it counts as nothing.
    const now = ws.readyState === ws.CLOSED || !socket.writableNeedDrain ? 0 : ws.bufferedAmount;
    totalQueued += now - counted;
    counted = now;
  };

  const cut = (reason: "socket_queue_full" | "total_queue_full") => {
    if (cutting) return;
    cutting = true;
    refused(reason);
    log.warn({ reason, queuedBytes: ws.bufferedAmount, totalQueuedBytes: totalQueued }, "WebSocket closed: its client does not read what it is sent");
    ws.close(1008, "the client does not read its messages");
    setTimeout(() => ws.terminate(), CUT_AFTER_MS).unref();
  };

  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  ws.send = ((...args: unknown[]) => {
    const before = ws.bufferedAmount;
    send(...args);
    if (before < QUEUE_HIGH_WATER_BYTES) backlogGrowth = 0;
    else backlogGrowth += ws.bufferedAmount - before;
    recount();
    if (before < QUEUE_HIGH_WATER_BYTES) return;
    if (backlogGrowth > socketQueueBytes) cut("socket_queue_full");
    else if (totalQueued > totalQueueBytes) cut("total_queue_full");
  }) as typeof ws.send;

  // One at a time: the woken stream writes within this turn (its generator resumes in microtasks),
  // so by the next turn the queue shows what it added.
  const wakeNext = () => {
    wakeScheduled = false;
    if (waiters.size === 0) return;
    if (ws.readyState !== ws.OPEN) {
      for (const wake of [...waiters]) wake();
      return;
    }
    if (congested()) return; // the next `drain` calls again
    const [first] = waiters;
    first?.();
    if (waiters.size > 0) scheduleWake();
  };
  const scheduleWake = () => {
    if (wakeScheduled) return;
    wakeScheduled = true;
    setImmediate(wakeNext);
  };

  socket.on("drain", () => {
    backlogGrowth = 0;
    recount();
    if (!wakeScheduled) wakeNext();
  });
  ws.once("close", () => {
    totalQueued -= counted;
    counted = 0;
    wakeNext();
  });

  return {
    whenWritable(signal) {
      if (ws.readyState !== ws.OPEN || signal.aborted) return null;
      // Waiters already in line go first, even when the queue just drained.
      if (waiters.size === 0 && !congested()) return null;
      return new Promise<void>((resolve) => {
        const done = () => {
          waiters.delete(done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        waiters.add(done);
        signal.addEventListener("abort", done, { once: true });
        if (!congested()) scheduleWake();
      });
    },
  };
}
