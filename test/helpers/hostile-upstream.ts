/**
 * A malicious upstream: the fake upstream (a real HTTP server, `fake-upstream.ts`) answering with what
 * no honest upstream sends: token counts that are not counts, chunks of shapes the OpenAI schema does
 * not have, streams far larger than any reply. Values `JSON.stringify` cannot write (`1e400`, a
 * number past 2^53) go on the wire as raw JSON text, exactly as a broken upstream would send them.
 *
 * Each attack is a `Behaviour`, to script or make the default; `startHostileUpstream()` also reads
 * a per-request directive, so concurrent calls can each carry their own attack: from the model name
 * (`hostileModel(directive)`, a `<provider>/<model>` address whose upstream model encodes it; works
 * through every door), or from a `hostile` field of the body (REST only: the REST door forwards
 * fields it does not know, tRPC inputs refuse them):
 *
 *   const upstream = await startHostileUpstream();
 *   // gateway providers: [upstreamProvider(upstream.baseURL, ["m"], { name: "hostile" })]
 *   await client.chat.completions({ model: hostileModel({ usage: "-1e9" }), messages });
 *   await chat(gateway, { model: "m", stream: true, hostile: { frames: [...ODD_CHUNKS] } });
 *   upstream.otherwise(hugeStream({ bytes: 64 * 1024 * 1024 }));               // everyone, from now on
 */
import type { ServerResponse } from "node:http";
import { chatChunks, ok, startFakeUpstream, type Behaviour, type Exchange, type FakeUpstream, type Json } from "./fake-upstream.js";

/**
 * Raw JSON texts an upstream has put (or could put) where a token count belongs: negative, past
 * float range (`1e400` parses as Infinity), strings, booleans, objects, fractions, past a 32-bit
 * column (`3e9`), past 2^53, and nothing at all.
 */
export const BAD_COUNTS = ["-1e9", "1e400", '"9"', "true", "{}", "3e9", "9.5", "null", "-1", "[]", "9007199254740993", "1e21"] as const;

/** Azure's asynchronous content-filter chunk: a choice with no `delta`, and an empty id and object. */
export const AZURE_FILTER_CHUNK =
  '{"choices":[{"content_filter_offsets":{"check_offset":35,"start_offset":35,"end_offset":44},"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"finish_reason":null,"index":0}],"created":0,"id":"","model":"","object":""}';

/**
 * Chunk payloads of odd shapes, as raw JSON: no `choices`, `choices` not an array, a choice without
 * (or with a non-object) `delta`, content that is not a string, usage that is not usage, and payloads
 * that are not objects at all. (Falsy payloads, `null` and `false`, are skipped by any reader.)
 */
export const ODD_CHUNKS = [
  AZURE_FILTER_CHUNK,
  '{"id":"chatcmpl-odd","object":"chat.completion.chunk","created":0,"model":"m"}',
  '{"id":"chatcmpl-odd","choices":null}',
  '{"id":"chatcmpl-odd","choices":{"0":{"delta":{"content":"x"}}}}',
  '{"id":"chatcmpl-odd","choices":"abc"}',
  '{"id":"chatcmpl-odd","choices":[{"index":0}]}',
  '{"id":"chatcmpl-odd","choices":[{"index":0,"delta":null}]}',
  '{"id":"chatcmpl-odd","choices":[{"index":0,"delta":"text"}]}',
  '{"id":"chatcmpl-odd","choices":[{"index":0,"delta":{"content":5}}]}',
  '{"id":"chatcmpl-odd","choices":[{"index":0,"delta":{"content":{"text":"x"}}}]}',
  '{"id":"chatcmpl-odd","choices":[null,7,"x"]}',
  '{"id":"chatcmpl-odd","choices":[],"usage":"lots"}',
  '{"id":"chatcmpl-odd","choices":[{"index":0,"delta":{"content":"y"},"finish_reason":null}],"usage":{"prompt_tokens":"9"}}',
  '{"choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}],"id":"","object":"","created":0,"model":""}',
  "5",
  '"a string"',
  "[]",
  "[1,2]",
  "true",
] as const;

/** What `startHostileUpstream()` reads from a request's `hostile` field. */
export interface HostileDirective {
  /** Raw JSON text put in every count of `usage` (`prompt_tokens`, `completion_tokens`, `total_tokens`, details). */
  usage?: string;
  /** Or the raw JSON text of the whole `usage` value. */
  usageJson?: string;
  /** Where a stream carries that usage: its own last chunk (as OpenAI does), or in the finish chunk (as Mistral does). */
  placement?: UsagePlacement;
  /** Raw JSON payloads of a stream's frames, sent between the default first and last chunks. */
  frames?: string[];
  /** The same, as indexes into `ODD_CHUNKS` (short enough for a model name). */
  odd?: number[];
  /** The raw JSON text of a whole completion's body. */
  completion?: string;
  /** Stream as OpenAI does: asked for usage, `"usage":null` on every chunk and a usage-only last one. */
  openai?: boolean;
  /** Write the JSON as Python's `json.dumps` does (`", "` and `": "`), as Python servers send it. */
  spaced?: boolean;
  /** A stream of `bytes` content bytes (in pieces of `chunkBytes`), written as fast as the gateway reads. */
  huge?: HugeStreamOptions;
}

/** Where a stream's usage goes. */
export type UsagePlacement = "usage-chunk" | "finish-chunk";

/** Starts a hostile upstream: by default it obeys each request's `hostile` directive, else answers normally. */
export async function startHostileUpstream(options: { models?: string[] } = {}): Promise<FakeUpstream> {
  const upstream = await startFakeUpstream(options);
  upstream.otherwise(directed());
  const reset = upstream.reset.bind(upstream);
  upstream.reset = () => {
    reset();
    upstream.otherwise(directed());
  };
  return upstream;
}

// The upstream model name that carries a directive: this prefix, then the directive's JSON in base64url.
const MODEL_PREFIX = "hostile:";

/** The model to ask the gateway for so that `provider`'s hostile upstream follows `directive`. */
export function hostileModel(directive: HostileDirective, provider = "hostile"): string {
  return `${provider}/${MODEL_PREFIX}${Buffer.from(JSON.stringify(directive)).toString("base64url")}`;
}

/** The directive a request carries (its model name, or its `hostile` field), if any. */
export function directiveOf(body: Json): HostileDirective | undefined {
  const model = typeof body.model === "string" ? body.model : "";
  if (model.startsWith(MODEL_PREFIX)) return JSON.parse(Buffer.from(model.slice(MODEL_PREFIX.length), "base64url").toString("utf8")) as HostileDirective;
  return typeof body.hostile === "object" && body.hostile !== null ? (body.hostile as HostileDirective) : undefined;
}

/** Answers as the request's directive says (a normal answer without one). */
export function directed(): Behaviour {
  return (exchange) => {
    const directive = directiveOf(exchange.call.body);
    const streamed = exchange.call.body.stream === true;
    if (!directive) return ok()(exchange);
    if (directive.huge) return hugeStream(directive.huge)(exchange);
    if (directive.frames || directive.odd)
      return framesStream([...(directive.frames ?? []), ...(directive.odd ?? []).map((i) => ODD_CHUNKS[i] as string)])(exchange);
    if (directive.completion !== undefined) return rawJson(directive.completion)(exchange);
    if (directive.openai) return openaiStream(directive.spaced)(exchange);
    if (directive.usage !== undefined || directive.usageJson !== undefined) {
      const usage = directive.usageJson ?? usageText(directive.usage as string);
      return streamed ? usageStream(usage, directive.placement)(exchange) : usageCompletion(usage)(exchange);
    }
    return ok()(exchange);
  };
}

/** A usage object whose counts are all `count` (raw JSON text), with details as OpenAI sends them. */
export function usageText(count: string): string {
  return `{"prompt_tokens":${count},"completion_tokens":${count},"total_tokens":${count},"prompt_tokens_details":{"cached_tokens":${count}},"completion_tokens_details":{"reasoning_tokens":${count}}}`;
}

/** A 200 whose body is the raw JSON text `body`. */
export function rawJson(body: string): Behaviour {
  return ({ res }) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
}

/** A whole completion whose `usage` is the raw JSON text `usage`. */
export function usageCompletion(usage: string): Behaviour {
  return ({ call, res }) => {
    const model = JSON.stringify(String(call.body.model));
    const body = `{"id":"chatcmpl-hostile","object":"chat.completion","created":1700000000,"model":${model},"choices":[{"index":0,"message":{"role":"assistant","content":"hello from a hostile upstream","refusal":null},"finish_reason":"stop","logprobs":null}],"usage":${usage}}`;
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
}

/**
 * The default chunks with `usage` (raw JSON text) where `placement` says, whether or not the request
 * asked for usage: in a usage-only last chunk (as OpenAI does when asked), or in the finish chunk
 * (as Mistral and DeepSeek do unasked).
 */
export function usageStream(usage: string, placement: UsagePlacement = "usage-chunk"): Behaviour {
  return (exchange) => {
    const chunks = chatChunks({ ...exchange.call.body, stream_options: undefined }).map((c) => JSON.stringify(c));
    if (placement === "usage-chunk")
      chunks.push(`{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[],"usage":${usage}}`);
    else chunks[chunks.length - 1] = `${(chunks[chunks.length - 1] as string).slice(0, -1)},"usage":${usage}}`;
    return writeFrames(exchange, chunks);
  };
}

/**
 * The default chunks with `frames` (raw JSON payloads) after the first, and a usage-only chunk at the
 * end when the request asked for usage (as OpenAI sends it).
 */
export function framesStream(frames: readonly string[]): Behaviour {
  return (exchange) => {
    const defaults = chatChunks(exchange.call.body).map((c) => JSON.stringify(c));
    return writeFrames(exchange, [defaults[0] as string, ...frames, ...defaults.slice(1)]);
  };
}

/**
 * The default chunks as OpenAI streams them: when the request asks for usage, every chunk carries
 * `"usage":null` and a usage-only chunk comes last; `spaced` writes them as Python's `json.dumps`.
 */
export function openaiStream(spaced = false): Behaviour {
  return (exchange) => {
    const chunks = chatChunks(exchange.call.body);
    const asked = isAskingUsage(exchange.call.body);
    const payloads = chunks.map((c, i) => JSON.stringify(asked && i < chunks.length - 1 ? { ...c, usage: null } : c));
    return writeFrames(exchange, spaced ? payloads.map(pythonSpacing) : payloads);
  };
}

/** JSON text (of our own, with no `":` or `,"` inside its strings) spaced as Python's `json.dumps` writes it. */
export function pythonSpacing(json: string): string {
  return json.replaceAll('":', '": ').replaceAll(',"', ', "');
}

function isAskingUsage(body: Json): boolean {
  const options = body.stream_options;
  return typeof options === "object" && options !== null && (options as Json).include_usage === true;
}

/** Options of `hugeStream`. */
export interface HugeStreamOptions {
  /** Content bytes in all (ASCII: one byte per character). */
  bytes: number;
  /** Content bytes per chunk (default 16 KiB). */
  chunkBytes?: number;
}

/**
 * A stream of `bytes` bytes of content, generated as it is written (the fake holds one chunk, never
 * the whole), as fast as the gateway reads it: the upstream side of an output-size attack.
 */
export function hugeStream({ bytes, chunkBytes = 16 * 1024 }: HugeStreamOptions): Behaviour {
  return async (exchange) => {
    const { res } = exchange;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const piece = "x".repeat(chunkBytes);
    const frame = (content: string, finish: string | null) =>
      `data: ${JSON.stringify({ id: "chatcmpl-huge", object: "chat.completion.chunk", created: 1_700_000_000, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
    for (let sent = 0; sent < bytes && !exchange.signal.aborted; sent += chunkBytes) {
      const content = sent + chunkBytes <= bytes ? piece : piece.slice(0, bytes - sent);
      if (!res.write(frame(content, null))) await drained(res, exchange);
    }
    if (exchange.signal.aborted) return;
    res.write(frame("", "stop"));
    res.end("data: [DONE]\n\n");
  };
}

/**
 * An honest upstream with the largest count any byte-level tokenizer can give: one prompt token per
 * UTF-8 byte of the messages' text (no tokenizer makes more tokens than bytes), one completion token.
 */
export function bytesAsTokens(): Behaviour {
  return ({ call, res }) => {
    const messages = Array.isArray(call.body.messages) ? (call.body.messages as Json[]) : [];
    const prompt = messages.reduce((sum, m) => sum + (typeof m.content === "string" ? Buffer.byteLength(m.content) : 0), 0);
    const body = JSON.stringify({
      id: "chatcmpl-bytes",
      object: "chat.completion",
      created: 1_700_000_000,
      model: String(call.body.model),
      choices: [{ index: 0, message: { role: "assistant", content: "ok", refusal: null }, finish_reason: "stop", logprobs: null }],
      usage: { prompt_tokens: prompt, completion_tokens: 1, total_tokens: prompt + 1 },
    });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
}

async function writeFrames(exchange: Exchange, payloads: readonly string[]): Promise<void> {
  exchange.res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const payload of payloads) await exchange.write(`data: ${payload}\n\n`);
  await exchange.write("data: [DONE]\n\n");
  if (!exchange.signal.aborted) exchange.res.end();
}

function drained(res: ServerResponse, exchange: Exchange): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      exchange.signal.removeEventListener("abort", done);
      resolve();
    };
    res.once("drain", done);
    exchange.signal.addEventListener("abort", done, { once: true });
  });
}
