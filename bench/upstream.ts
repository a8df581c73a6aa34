/**
 * A minimal fake OpenAI-compatible upstream for the benchmark: `POST /v1/chat/completions` answers a
 * fixed small completion, or a short SSE stream when the body says `stream: true`. It does as little
 * work as it can, so that every row of the bench pays the same, small upstream cost.
 */
import { createServer, type Server } from "node:http";

/** How many content chunks a streamed answer has (plus one final chunk with `finish_reason`). */
export const STREAM_CHUNKS = 20;
/** The words of the fixed answer; the streamed answer sends one per chunk. */
export const ANSWER_WORDS = Array.from({ length: STREAM_CHUNKS }, (_, i) => `w${i}`);
/** The whole fixed answer, as the non-streamed completion carries it. */
export const ANSWER = ANSWER_WORDS.join(" ");

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

// Pre-rendered frames: the first carries the role, the last only `finish_reason`, then `[DONE]`.
const frames: string[] = [
  ...ANSWER_WORDS.map((word, i) => chunk(i === 0 ? { role: "assistant", content: word } : { content: ` ${word}` }, null)),
  chunk({}, "stop"),
  "data: [DONE]\n\n",
];

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
      let stream = false;
      try {
        stream = (JSON.parse(Buffer.concat(parts).toString("utf8")) as { stream?: unknown }).stream === true;
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"bad json","type":"invalid_request_error"}}');
        return;
      }
      if (!stream) {
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(completionBody) }).end(completionBody);
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      // One frame per event-loop turn, so frames leave as separate writes like a real token stream
      // (without a timer delay, which would hide the gateway's cost behind sleeping).
      let next = 0;
      const writeNext = () => {
        if (res.destroyed) return;
        const frame = frames[next++];
        if (frame === undefined) return void res.end();
        res.write(frame);
        setImmediate(writeNext);
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
