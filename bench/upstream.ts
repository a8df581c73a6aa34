/**
 * A minimal fake OpenAI-compatible upstream for the benchmark: `POST /v1/chat/completions` answers a
 * fixed small completion, or a short SSE stream when the body says `stream: true`. It does as little
 * work as it can, so that every row of the bench pays the same, small upstream cost.
 */
import { createServer, type Server } from "node:http";

/** The model whose streams arrive as one write (the tRPC door takes no unknown request fields, so a field cannot ask for it). */
export const BURST_MODEL = "bench-burst";
/** How many content chunks a streamed answer has (plus one final chunk with `finish_reason`). */
export const STREAM_CHUNKS = 20;
/** The long answer's chunks: a request with `max_tokens: 64` gets it. */
export const LONG_STREAM_CHUNKS = 64;
/** The words of the fixed answer; the streamed answer sends one per chunk. */
export const ANSWER_WORDS = Array.from({ length: STREAM_CHUNKS }, (_, i) => `w${i}`);
/** The whole fixed answer, as the non-streamed completion carries it. */
export const ANSWER = ANSWER_WORDS.join(" ");
/** The long answer (64 words). */
export const LONG_ANSWER = Array.from({ length: LONG_STREAM_CHUNKS }, (_, i) => `w${i}`).join(" ");

const created = 1_700_000_000;

const completionBody = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created,
  model: "bench-upstream",
  choices: [{ index: 0, message: { role: "assistant", content: ANSWER, refusal: null }, finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 5, completion_tokens: STREAM_CHUNKS, total_tokens: 5 + STREAM_CHUNKS },
});

const chunk = (delta: Record<string, string>, finish: string | null) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created,
    model: "bench-upstream",
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  })}\n\n`;

const usageFrame = (words: number) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created,
    model: "bench-upstream",
    choices: [],
    usage: { prompt_tokens: 5, completion_tokens: words, total_tokens: 5 + words },
  })}\n\n`;

// Pre-rendered frames: the first carries the role, the last only `finish_reason`, then `[DONE]`.
const render = (words: number, usage: boolean): string[] => [
  ...Array.from({ length: words }, (_, i) => chunk(i === 0 ? { role: "assistant", content: `w${i}` } : { content: ` w${i}` }, null)),
  chunk({}, "stop"),
  ...(usage ? [usageFrame(words)] : []),
  "data: [DONE]\n\n",
];
const framesBy = new Map<string, string[]>();
for (const words of [STREAM_CHUNKS, LONG_STREAM_CHUNKS]) for (const usage of [false, true]) framesBy.set(`${words}/${usage}`, render(words, usage));
// The same frames as one buffer, for the burst pattern.
const burstOf = new Map([...framesBy.values()].map((frames) => [frames, Buffer.from(frames.join(""))]));

/** What the fake reads from a request body. */
interface Asked {
  stream: boolean;
  words: number;
  usage: boolean;
  /** `bench_delay_ms`: a pause between frames, for the slow-stream memory rows. */
  delayMs: number;
  /** Model `bench-burst` (or `bench_burst: true`): every frame in one write, as a fast or cached upstream (or any under load) sends them. */
  burst: boolean;
}

function asked(body: string): Asked {
  const parsed = JSON.parse(body) as {
    stream?: unknown;
    max_tokens?: unknown;
    stream_options?: { include_usage?: unknown };
    bench_delay_ms?: unknown;
    bench_burst?: unknown;
    model?: unknown;
  };
  return {
    stream: parsed.stream === true,
    words: parsed.max_tokens === LONG_STREAM_CHUNKS ? LONG_STREAM_CHUNKS : STREAM_CHUNKS,
    usage: parsed.stream_options?.include_usage === true,
    delayMs: typeof parsed.bench_delay_ms === "number" ? Math.min(10_000, Math.max(0, parsed.bench_delay_ms)) : 0,
    burst: parsed.bench_burst === true || parsed.model === BURST_MODEL,
  };
}

/** Starts the fake upstream on 127.0.0.1 and an ephemeral port. */
export async function startUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      if (req.method !== "POST" || !/^\/(?:v1\/)?chat\/completions\/?$/.test(req.url ?? "")) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found","type":"invalid_request_error"}}');
        return;
      }
      let ask: Asked;
      try {
        ask = asked(Buffer.concat(parts).toString("utf8"));
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"bad json","type":"invalid_request_error"}}');
        return;
      }
      if (!ask.stream) {
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(completionBody) }).end(completionBody);
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      // One frame per event-loop turn, so frames leave as separate writes like a real token stream
      // (without a timer delay, which would hide the gateway's cost behind sleeping).
      const frames = framesBy.get(`${ask.words}/${ask.usage}`) ?? [];
      if (ask.burst) return void res.end(burstOf.get(frames));
      let next = 0;
      const writeNext = () => {
        if (res.destroyed) return;
        const frame = frames[next++];
        if (frame === undefined) return void res.end();
        res.write(frame);
        if (ask.delayMs > 0) setTimeout(writeNext, ask.delayMs);
        else setImmediate(writeNext);
      };
      writeNext();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return server;
}
