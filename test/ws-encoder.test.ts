/**
 * The WebSocket encoder splices a stream batch from the chunks' kept upstream text instead of
 * stringifying them again; the message must read exactly as `JSON.stringify` would have written it,
 * and anything it does not recognise must be `JSON.stringify`'s output byte for byte.
 */
import { describe, expect, it } from "vitest";
import { keepJsonText } from "../server/providers/json-text.js";
import { plainFirstOutput } from "../server/doors/trpc/output.js";
import { batchSplicingEncoder } from "../server/doors/trpc/ws/encoder.js";

const chunk = (i: number, text?: string) => {
  const value = { id: "chatcmpl-1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: `w${i} "é"` }, finish_reason: null }] };
  return keepJsonText(value, text ?? JSON.stringify(value));
};

/**
 * A tracked data message as tRPC's WebSocket adapter hands it to the encoder: it builds
 * `{ type, data }`, then sets `result.id` and replaces `data` with `{ id, data }` (so `id` comes
 * last), and the output transformer has serialized `data`.
 */
const dataMessage = (id: unknown, chunks: unknown[], extra: Record<string, unknown> = {}) => {
  const result: Record<string, unknown> = { type: "data", data: chunks };
  result.id = "gen-1:4";
  result.data = plainFirstOutput.serialize({ id: "gen-1:4", data: chunks });
  return { id, jsonrpc: "2.0", result, ...extra };
};

describe("the WebSocket encoder", () => {
  it("writes a batch of kept chunks exactly as JSON.stringify would", () => {
    const message = dataMessage(7, [chunk(0), chunk(1), chunk(2)]);
    const encoded = batchSplicingEncoder.encode(message);
    expect(encoded).toBe(JSON.stringify(message));
    expect(encoded).toMatch(/"data":\{"json":.*\}\},"id":"gen-1:4"\}\}$/);
    // Without jsonrpc (a client that sent none) and without a tracked id.
    const bare = { id: "a", jsonrpc: undefined, result: { type: "data", data: plainFirstOutput.serialize({ id: "gen-1:0", data: [chunk(0)] }) } };
    expect(batchSplicingEncoder.encode(bare)).toBe(JSON.stringify(bare));
  });

  it("uses the upstream's own bytes for each chunk (not a second serialization)", () => {
    const spaced = chunk(
      0,
      '{ "id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "w0 \\"é\\""}, "finish_reason": null}] }',
    );
    const message = dataMessage(1, [spaced, chunk(1)]);
    const encoded = batchSplicingEncoder.encode(message) as string;
    expect(encoded).toContain('{ "id": "chatcmpl-1", "object"');
    expect(JSON.parse(encoded)).toEqual(JSON.parse(JSON.stringify(message)));
  });

  it("keeps a client's call id intact, whatever it holds", () => {
    for (const id of ['"},"x":1,{"', "\u2028\u0000", 12.5, null, "a".repeat(1000)]) {
      const message = dataMessage(id, [chunk(0)]);
      expect(batchSplicingEncoder.encode(message)).toBe(JSON.stringify(message));
    }
  });

  it("stringifies anything else as JSON.stringify does", () => {
    const changed = { ...chunk(0) }; // a copy: it has no kept text
    const others = [
      dataMessage(1, [chunk(0), changed]),
      dataMessage(1, []),
      dataMessage(1, [chunk(0)], { extra: true }),
      { id: 1, jsonrpc: "2.0", result: { type: "started" } },
      { id: 1, error: { json: { message: "x", code: -32600 } } },
      { id: 1, result: { type: "data", data: plainFirstOutput.serialize([chunk(0)]) } },
      { id: 1, result: { type: "data", data: { json: { id: "g:1", data: [chunk(0)], more: 1 } } } },
      { ...dataMessage(1, [chunk(0)]), id: undefined },
      dataMessage({ not: "an id" }, [chunk(0)]),
      dataMessage(Number.NaN, [chunk(0)]),
      "not an object",
    ];
    for (const message of others) expect(batchSplicingEncoder.encode(message)).toBe(JSON.stringify(message));
  });

  it("decodes as tRPC's JSON encoder", () => {
    expect(batchSplicingEncoder.decode('{"id":1,"method":"subscription"}')).toEqual({ id: 1, method: "subscription" });
  });
});
