/**
 * The WebSocket door's caps, as settings (`LANGURU_WS_*`, read in `config.ts`): what one socket
 * may have running, how many calls it may make without a valid key, and what a client that does not
 * read may make the gateway queue, per socket and for every socket of the process together. The
 * defaults are the bounds each module explains (`call-bounds.ts`, `queue.ts`).
 */

/** The caps of the WebSocket door. */
export interface WebSocketLimits {
  /** Calls one socket may have running at once (`LANGURU_WS_CALLS_IN_FLIGHT`). */
  callsInFlight: number;
  /** Calls a socket may make, keys on, while its key is missing or not valid (`LANGURU_WS_CALLS_WITHOUT_KEY`). */
  callsWithoutKey: number;
  /** Bytes a socket may add to a backlog its client does not read before it is closed (`LANGURU_WS_SOCKET_QUEUE_BYTES`). */
  socketQueueBytes: number;
  /** Bytes all sockets of the process may hold queued together (`LANGURU_WS_TOTAL_QUEUE_BYTES`). */
  totalQueueBytes: number;
}

const MIB = 1024 * 1024;

/** The caps when none are set. */
export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  callsInFlight: 1_024,
  callsWithoutKey: 16,
  socketQueueBytes: 16 * MIB,
  totalQueueBytes: 128 * MIB,
};
