/**
 * The gateway takes one call per WebSocket message: a batch (a JSON array of calls) is refused
 * with one error, as tRPC batching is off on HTTP too, so that one message cannot carry 50,000
 * calls. tRPC's WebSocket client sends the requests queued in the same tick as such an array. Here
 * its encoder writes each call of a group on a line of its own (`JSON.stringify` never writes a raw
 * line break), and the socket sends each line as a message: the same calls, in the same order,
 * with no second serialization.
 */
import { type Encoder, jsonEncoder } from "@trpc/client";

/** A WebSocket class as tRPC's client takes it. */
type WebSocketClass = typeof globalThis.WebSocket;

/** Encodes tRPC's outgoing messages, a group as one call per line. */
export const oneCallPerLineEncoder: Encoder = {
  encode: (data) => (Array.isArray(data) ? data.map((message) => JSON.stringify(message)).join("\n") : JSON.stringify(data)),
  decode: (data) => jsonEncoder.decode(data),
};

/** `Base` whose `send` sends each line of a text as a message of its own; use with `oneCallPerLineEncoder`. */
export function oneCallPerMessage(Base: WebSocketClass): WebSocketClass {
  return class OneCallPerMessage extends Base {
    override send(data: Parameters<WebSocket["send"]>[0]): void {
      if (typeof data !== "string" || !data.includes("\n")) super.send(data);
      else for (const line of data.split("\n")) super.send(line);
    }
  };
}
