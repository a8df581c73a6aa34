/**
 * Every message a WebSocket brings passes here before tRPC reads it, so that what a message costs
 * does not depend on what is in it. Left to itself tRPC parses any message to answer each call in
 * it, and runs every call of a batch (a JSON array of calls): one pre-auth message of 15 MiB made
 * 1.8 M answers, one of 4 MiB ran 50,000 calls. Here, before any parse:
 * - a message over the body limit is one 413, for the call whose id opens the message (as the SDK
 *   writes it), else for no id;
 * - a batch is one 400, and none of its calls runs: tRPC batching is off, as on HTTP (the SDK sends
 *   one call per message);
 * - a socket that is closing reads nothing more.
 * Everything else (one call, the `connectionParams` message, tRPC's `PING`) goes on to tRPC. Each
 * refusal is counted (`refusals.ts`), and so is a socket `ws` closed (1009) for a message too large
 * to read at all (`door.ts` sets how far past the limit it reads).
 */
import { getErrorShape, transformTRPCResponse, TRPCError, type AnyTRPCRouter } from "@trpc/server";
import type { RawData, WebSocket } from "ws";
import type { RefusalCounter } from "./refusals.js";

/** Installs the gate on a socket, ahead of every `message` listener. */
export function gateMessages(ws: WebSocket, router: AnyTRPCRouter, limitBytes: number, refused: RefusalCounter): void {
  const config = router._def._config;
  // `ws` itself stops reading such a message and closes the socket; it tells only through this error.
  ws.on("error", (err: Error & { code?: string }) => {
    if (err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") refused("message_too_large");
  });
  const answer = (id: string | number | null, error: TRPCError) => {
    if (ws.readyState !== ws.OPEN) return;
    const shape = getErrorShape({ config, error, type: "unknown", path: undefined, input: undefined, ctx: undefined });
    ws.send(JSON.stringify(transformTRPCResponse(config, { id, jsonrpc: "2.0", error: shape })));
  };
  const emit = ws.emit.bind(ws);
  ws.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event !== "message") return emit(event, ...args);
    if (ws.readyState !== ws.OPEN) return true;
    const data = asBuffer(args[0] as RawData);
    if (data.length > limitBytes) {
      refused("message_too_large");
      answer(leadingId(data), new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: `The message is ${data.length} bytes; the limit is ${limitBytes}.` }));
      return true;
    }
    if (firstByte(data) === OPEN_BRACKET) {
      refused("batch");
      answer(null, new TRPCError({ code: "BAD_REQUEST", message: "Batching is not enabled on the server: send one call per message." }));
      return true;
    }
    return emit(event, ...args);
  }) as typeof ws.emit;
}

const OPEN_BRACKET = 0x5b;

/** `ws` hands a message over as one Buffer (its default binary type); the other forms are joined. */
function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The first byte that is not JSON whitespace, or -1. */
function firstByte(data: Buffer): number {
  for (let i = 0; i < data.length; i++) {
    const byte = data[i] as number;
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
  }
  return -1;
}

// `{"id": 7, ...` or `{"id": "call-7", ...`: how tRPC's client writes a call, id first.
const LEADING_ID = /^[ \t\r\n]*\{[ \t\r\n]*"id"[ \t\r\n]*:[ \t\r\n]*(?:(-?\d{1,15})|"([\x20\x21\x23-\x5b\x5d-\x7e]{0,200})")[ \t\r\n]*[,}]/;

/** The id a message starts with, read from its first bytes only (an oversized message is never parsed); null if none. */
function leadingId(data: Buffer): string | number | null {
  const match = LEADING_ID.exec(data.subarray(0, 256).toString("latin1"));
  if (!match) return null;
  if (match[1] !== undefined) return Number(match[1]);
  return match[2] ?? null;
}
