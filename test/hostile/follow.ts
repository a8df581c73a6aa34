/**
 * Clients of the HTTP generation path for the hostile suite, written by hand: `chat.start` as a
 * POST, `chat.stream` as tRPC's SSE GET (read whole, or opened on a raw socket that never reads),
 * and the error event a follow ends with.
 */
import { connect, type Socket } from "node:net";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";

/** What `chat.start` returned. */
export interface Started {
  id: string;
  token: string;
}

/** What a follow input carries. */
export interface FollowInput {
  id: string;
  token?: string;
  lastEventId?: string;
}

/** Starts a generation over HTTP (`chat.start`, a tRPC mutation) and returns its id and follow token. */
export async function startGeneration(baseURL: string, input: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Started> {
  const res = await fetch(`${baseURL}/trpc/chat.start`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ json: input }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`chat.start answered ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { result: { data: { json: Started } } }).result.data.json;
}

/** The path and query of a `chat.stream` follow. */
export function followPath(input: FollowInput): string {
  return `/trpc/chat.stream?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
}

/** How a follow ended: its data events' event ids, and the error it ended with (null when it completed). */
export interface FollowResult {
  ids: string[];
  error: { status: number; code: string | null; param: string | null } | null;
  bytes: number;
}

/** Follows a generation to its end, reading everything. */
export async function followAll(baseURL: string, input: FollowInput): Promise<FollowResult> {
  const res = await fetch(`${baseURL}${followPath(input)}`, { headers: { accept: "text/event-stream" } });
  const text = await res.text();
  return { ...parseEvents(text), bytes: Buffer.byteLength(text) };
}

/** Reads tRPC's SSE text: the ids of data events, and the `serialized-error` event's error, if any. */
export function parseEvents(text: string): Omit<FollowResult, "bytes"> {
  const ids: string[] = [];
  let error: FollowResult["error"] = null;
  for (const block of text.split("\n\n")) {
    const lines = block.split("\n");
    const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
    const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
    const id = lines.find((l) => l.startsWith("id: "))?.slice(4);
    if (event === "serialized-error" && data) {
      const shape = (JSON.parse(data) as { json: { data: { status: number; error: { code: string | null; param: string | null } } } }).json;
      error = { status: shape.data.status, code: shape.data.error.code, param: shape.data.error.param };
    } else if (event === undefined && id !== undefined && id !== "") ids.push(id);
  }
  return { ids, error };
}

/** A follower on a raw socket that sends its request and then never reads a byte. */
export async function stalledFollower(baseURL: string, input: FollowInput): Promise<Socket> {
  const url = new URL(baseURL);
  const socket = connect(Number(url.port), url.hostname);
  socket.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.pause();
  socket.write(`GET ${followPath(input)} HTTP/1.1\r\nhost: ${url.host}\r\naccept: text/event-stream\r\n\r\n`);
  return socket;
}

/** The heap in use after a full collection (in-process gateways: their heap is this process's). */
export function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Polls `check` every 20 ms until it is true, or throws after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Follows until `count` data events (or an error) arrived, then leaves; `ms` bounds the wait. */
export async function followFirst(baseURL: string, input: FollowInput, count: number, ms = 5_000): Promise<Omit<FollowResult, "bytes">> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  let text = "";
  try {
    const res = await fetch(`${baseURL}${followPath(input)}`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    const decoder = new TextDecoder();
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(part, { stream: true });
      // Only whole events: the last one may still be arriving.
      const seen = parseEvents(text.slice(0, text.lastIndexOf("\n\n") + 1));
      if (seen.error || seen.ids.length >= count) return seen;
    }
    return parseEvents(text);
  } catch (err) {
    if (controller.signal.aborted) throw new Error(`the follow did not get ${count} chunks or an error within ${ms} ms (got: ${text.slice(0, 200)})`);
    throw err;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
