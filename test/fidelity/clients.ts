/**
 * The clients of the fidelity suite, each reduced to what an app using it would see, as plain JSON
 * so that "through the gateway" and "straight at the upstream" compare with one `toStrictEqual`:
 * raw `fetch` (status, headers that matter, and every SSE `data:` payload byte for byte), the official
 * `openai` client, the AI SDK's OpenAI-compatible provider, LangChain's `ChatOpenAI`, and our SDK over
 * both transports (which only talks to a gateway, so it is held against the openai client's chunks
 * straight at the upstream). No client retries: one request is one upstream call.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { ChatOpenAI } from "@langchain/openai";
import type { AIMessageChunk } from "@langchain/core/messages";
import { streamText } from "ai";
import OpenAI from "openai";
import { LanguruError } from "../../client/index.js";
import { sdk, type TestGateway } from "../helpers/gateway.js";

/** Where a client sends its requests: the gateway's or the upstream's `/v1` base URL, and a key. */
export interface Door {
  baseURL: string;
  key: string;
}

/** An error as a client reports it. */
export interface SeenError {
  name: string;
  status: number | null;
  message: string;
  type: string | null;
  code: string | null;
}

/** What a streamed request came to: the client's items (chunks, parts, payloads) and how it ended. */
export interface Seen {
  items: unknown[];
  error: SeenError | null;
}

const messages = [{ role: "user" as const, content: "Say hello." }];
const TIMEOUT_MS = 10_000;

/** The body of a chat request for a fixture (`asked`: with `stream_options.include_usage`). */
export function chatBody(model: string, stream: boolean, asked = false): Record<string, unknown> {
  return { model, messages, ...(stream ? { stream: true } : {}), ...(asked ? { stream_options: { include_usage: true } } : {}) };
}

/** Raw fetch: for a stream every `data:` payload as sent (comments are not data); else the body parsed. */
export async function viaFetch(door: Door, body: Record<string, unknown>): Promise<{ status: number; contentType: string; payloads: string[]; json: unknown }> {
  const res = await fetch(`${door.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${door.key}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  const contentType = res.headers.get("content-type") ?? "";
  if (!contentType.startsWith("text/event-stream")) return { status: res.status, contentType, payloads: [], json: parseJson(text) };
  return { status: res.status, contentType, payloads: dataPayloads(text), json: null };
}

/** The `data:` payloads of an SSE body (multi-line data joined with `\n`, as the SSE spec says). */
export function dataPayloads(text: string): string[] {
  return text
    .split(/\r\n\r\n|\n\n|\r\r/)
    .map((event) => event.split(/\r\n|\n|\r/).filter((line) => line.startsWith("data:")))
    .filter((lines) => lines.length > 0)
    .map((lines) => lines.map((line) => line.slice(line.startsWith("data: ") ? 6 : 5)).join("\n"));
}

function openai(door: Door): OpenAI {
  return new OpenAI({ baseURL: door.baseURL, apiKey: door.key, maxRetries: 0, timeout: TIMEOUT_MS });
}

/** The openai client: every chunk of a stream, or the completion, and the error it threw. */
export async function viaOpenAI(door: Door, body: Record<string, unknown>): Promise<Seen> {
  const items: unknown[] = [];
  try {
    if (body.stream === true) {
      const stream = await openai(door).chat.completions.create({ ...(body as unknown as OpenAI.ChatCompletionCreateParamsStreaming) });
      for await (const chunk of stream) items.push(chunk);
    } else {
      items.push(await openai(door).chat.completions.create({ ...(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming) }));
    }
    return { items: plain(items), error: null };
  } catch (err) {
    return { items: plain(items), error: openaiError(err) };
  }
}

function openaiError(err: unknown): SeenError {
  if (err instanceof OpenAI.APIError)
    return { name: err.constructor.name, status: err.status ?? null, message: err.message, type: stringOrNull(err.type), code: stringOrNull(err.code) };
  return unknownError(err);
}

/** The AI SDK (`streamText` over `@ai-sdk/openai-compatible`): every part of `fullStream`, errors included. */
export async function viaAiSdk(door: Door, model: string): Promise<Seen> {
  const provider = createOpenAICompatible({ name: "fidelity", baseURL: door.baseURL, apiKey: door.key });
  const items: unknown[] = [];
  let error: SeenError | null = null;
  const result = streamText({
    model: provider.chatModel(model),
    messages,
    maxRetries: 0,
    abortSignal: AbortSignal.timeout(TIMEOUT_MS),
    onError: () => undefined,
  });
  for await (const part of result.fullStream) {
    if (part.type === "error") error = aiSdkError(part.error);
    else items.push(withoutTransportDetails(part));
  }
  return { items: plain(items), error };
}

function aiSdkError(err: unknown): SeenError {
  if (err instanceof Error) {
    const e = err as Error & { statusCode?: number; data?: { error?: { type?: unknown; code?: unknown } } };
    return { name: e.name, status: e.statusCode ?? null, message: e.message, type: stringOrNull(e.data?.error?.type), code: stringOrNull(e.data?.error?.code) };
  }
  // An error inside a stream reaches the app as the chunk's `error` object itself.
  const e = (typeof err === "object" && err !== null ? err : {}) as { message?: unknown; type?: unknown; code?: unknown };
  return {
    name: "stream error",
    status: null,
    message: typeof e.message === "string" ? e.message : JSON.stringify(err),
    type: stringOrNull(e.type),
    code: stringOrNull(e.code),
  };
}

// Response headers, the request URL and timing are transport details, not what the model said.
function withoutTransportDetails(part: unknown): unknown {
  return JSON.parse(JSON.stringify(part, (key, value) => (key === "headers" || key === "url" || key === "rawValue" ? undefined : value)));
}

/** LangChain's `ChatOpenAI` (Chat Completions): every chunk's message fields, and the error. */
export async function viaLangChain(door: Door, model: string): Promise<Seen> {
  const chat = new ChatOpenAI({
    model,
    apiKey: door.key,
    configuration: { baseURL: door.baseURL },
    maxRetries: 0,
    useResponsesApi: false,
    timeout: TIMEOUT_MS,
  });
  const items: unknown[] = [];
  try {
    for await (const chunk of await chat.stream(messages)) items.push(messageFields(chunk));
    return { items: plain(items), error: null };
  } catch (err) {
    // LangChain wraps the openai client's error (its `cause`) in a class of its own naming.
    const cause = err instanceof Error && err.cause instanceof OpenAI.APIError ? err.cause : err;
    return { items: plain(items), error: cause instanceof OpenAI.APIError ? openaiError(cause) : unknownError(err) };
  }
}

function messageFields(chunk: AIMessageChunk): unknown {
  return {
    id: chunk.id,
    content: chunk.content,
    additional_kwargs: chunk.additional_kwargs,
    tool_call_chunks: chunk.tool_call_chunks,
    usage_metadata: chunk.usage_metadata,
    response_metadata: chunk.response_metadata,
  };
}

/** Our SDK through the gateway: every chunk `chat.stream` yields (or the completion), and the error. */
export async function viaLanguru(gateway: TestGateway, key: string, transport: "websocket" | "http", body: Record<string, unknown>): Promise<Seen> {
  const client = sdk(gateway, { apiKey: key, transport });
  const items: unknown[] = [];
  const { stream, ...request } = body;
  try {
    const typed = request as unknown as Parameters<typeof client.chat.completions>[0];
    if (stream === true) for await (const chunk of client.chat.stream(typed, { signal: AbortSignal.timeout(TIMEOUT_MS) })) items.push(chunk);
    else items.push(withoutRoute(await client.chat.completions(typed, { signal: AbortSignal.timeout(TIMEOUT_MS) })));
    return { items: plain(items), error: null };
  } catch (err) {
    const error =
      err instanceof LanguruError
        ? { name: err.name, status: err.status, message: err.message, type: stringOrNull(err.type), code: stringOrNull(err.code) }
        : unknownError(err);
    return { items: plain(items), error };
  } finally {
    await client.close();
  }
}

// The SDK's completion also says which deployment answered; the upstream's own fields are the rest.
function withoutRoute(completion: object): unknown {
  const { languru: _route, ...rest } = completion as { languru?: unknown };
  return rest;
}

function unknownError(err: unknown): SeenError {
  return { name: err instanceof Error ? err.name : "thrown", status: null, message: err instanceof Error ? err.message : String(err), type: null, code: null };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : null;
}

// What JSON carries: `undefined` fields and class instances compare as the plain data they hold.
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
