/**
 * The page side of test/browser.test.ts: bundled with esbuild for the browser, it drives the real
 * client SDK (native WebSocket, or fetch and EventSource) and exposes each scenario on `window.languru`.
 */
import { createLanguruClient, type ChatCompletionParams, type Usage } from "../../client/index.js";

/** The messages of a request, as a caller writes them. */
export type Messages = NonNullable<ChatCompletionParams["messages"]>;

/** The SDK's transports. */
export type Transport = "websocket" | "http";

/** What a finished stream gave the page. */
export interface StreamResult {
  content: string;
  contentChunks: number;
  usage: Usage | null;
  finishReason: string | null;
}

/** What a non-streamed completion gave the page. */
export interface CompletionResult {
  content: string | null;
  usage: Usage | null;
  models: string[];
}

/** How an aborted stream ended. */
export interface AbortResult {
  chunksBeforeAbort: number;
  chunksAfterAbort: number;
  errorName: string;
  elapsedMs: number;
}

/** The scenarios the test runs with `page.evaluate`. */
export interface BrowserScenarios {
  stream(url: string, messages: Messages, transport: Transport): Promise<StreamResult>;
  complete(url: string, text: string, transport: Transport): Promise<CompletionResult>;
  abort(url: string, text: string, abortAfter: number, transport: Transport): Promise<AbortResult>;
}

declare global {
  interface Window {
    languru: BrowserScenarios;
  }
}

async function stream(url: string, messages: Messages, transport: Transport): Promise<StreamResult> {
  const client = createLanguruClient({ url, transport });
  const request: ChatCompletionParams = { model: "echo", messages, stream_options: { include_usage: true } };
  const result: StreamResult = { content: "", contentChunks: 0, usage: null, finishReason: null };
  for await (const chunk of client.chat.stream(request)) {
    const choice = chunk.choices[0];
    if (choice?.delta.content) {
      result.content += choice.delta.content;
      result.contentChunks += 1;
    }
    if (choice?.finish_reason) result.finishReason = choice.finish_reason;
    if (chunk.usage) result.usage = chunk.usage;
  }
  return result;
}

async function complete(url: string, text: string, transport: Transport): Promise<CompletionResult> {
  const client = createLanguruClient({ url, transport });
  const completion = await client.chat.completions({ model: "echo", messages: [{ role: "user", content: text }] });
  const models = await client.models.list();
  return { content: completion.choices[0]?.message.content ?? null, usage: completion.usage ?? null, models: models.data.map((m) => m.id) };
}

async function abort(url: string, text: string, abortAfter: number, transport: Transport): Promise<AbortResult> {
  const client = createLanguruClient({ url, transport });
  const controller = new AbortController();
  // `echo_delay_ms` is a provider field the echo model reads (a pause before each word), so it goes in `extra_body`.
  const request: ChatCompletionParams = { model: "echo", messages: [{ role: "user", content: text }], extra_body: { echo_delay_ms: 50 } };
  const started = performance.now();
  let chunksBeforeAbort = 0;
  let chunksAfterAbort = 0;
  try {
    for await (const chunk of client.chat.stream(request, { signal: controller.signal })) {
      if (!chunk.choices[0]?.delta.content) continue;
      if (controller.signal.aborted) chunksAfterAbort += 1;
      else if (++chunksBeforeAbort === abortAfter) controller.abort();
    }
  } catch (err) {
    return { chunksBeforeAbort, chunksAfterAbort, errorName: nameOf(err), elapsedMs: performance.now() - started };
  }
  return { chunksBeforeAbort, chunksAfterAbort, errorName: "none: the loop ended without an error", elapsedMs: performance.now() - started };
}

// A DOMException is an Error in current browsers, but read `name` structurally to be sure.
function nameOf(err: unknown): string {
  return typeof err === "object" && err !== null && "name" in err && typeof err.name === "string" ? err.name : String(err);
}

window.languru = { stream, complete, abort };
