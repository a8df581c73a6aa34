/**
 * Why the WebSocket door refused a message or a call, or cut a socket: a fixed set, so that the
 * metric that counts them (`languru_ws_refusals_total`) has a bounded `reason` label whatever a
 * client sends.
 */

/** Every reason, in the order the door meets them (a message, then its call, then what it queues). */
export const WS_REFUSAL_REASONS = [
  "message_too_large",
  "batch",
  "too_many_calls_without_key",
  "too_many_calls_in_flight",
  "socket_queue_full",
  "total_queue_full",
] as const;

/** One reason. */
export type WsRefusalReason = (typeof WS_REFUSAL_REASONS)[number];

/** Told of each refusal (counting it must never throw at the door). */
export type RefusalCounter = (reason: WsRefusalReason) => void;
