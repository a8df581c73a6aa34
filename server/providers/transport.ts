/**
 * The lean HTTP transport to an upstream: undici's `Pool.request` (one connection pool per provider,
 * Node streams, no WHATWG `Request`/`Response` per call). Measured against the `openai` SDK over
 * `fetch` in `bench/upstream-clients.ts`; the numbers are in BENCHMARKS.md. Timers are not here: the
 * attempt pipeline owns one set per call and aborts through the signal.
 */
import { Pool, type Dispatcher } from "undici";

/** What an upstream answered: status, headers, and the body still to be read. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Dispatcher.ResponseData["body"];
}

/** Options of one POST. */
export interface PostOptions {
  /** Path below the base URL, e.g. `/chat/completions`. */
  path: string;
  body: string;
  signal: AbortSignal;
}

/** One upstream origin with its connection pool and the headers every call carries. */
export interface Transport {
  /** Sends a JSON POST; settles once the response headers arrived. */
  post(options: PostOptions): Promise<UpstreamResponse>;
  /** Sends a GET; settles once the response headers arrived. */
  get(path: string, signal: AbortSignal): Promise<UpstreamResponse>;
  /** Closes every connection (shutdown or a reload retiring the provider). */
  close(): Promise<void>;
}

/** Options of `createTransport`. */
export interface TransportOptions {
  baseURL: string;
  /** Sent with every request: authorization and the provider's configured headers. */
  headers: Record<string, string>;
  /** Most connections open at once to this origin. */
  connections?: number;
}

// Idle keep-alive connections are reused for this long; a server's shorter `Keep-Alive: timeout` wins.
const KEEP_ALIVE_MS = 10_000;
const DEFAULT_CONNECTIONS = 256;

/** Creates the transport for one base URL. */
export function createTransport(options: TransportOptions): Transport {
  const base = new URL(options.baseURL);
  const prefix = base.pathname.replace(/\/+$/, "");
  const pool = new Pool(base.origin, {
    connections: options.connections ?? DEFAULT_CONNECTIONS,
    keepAliveTimeout: KEEP_ALIVE_MS,
    // The attempt pipeline's timers bound every phase; undici's own would be a second set.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const common = lowerCased(options.headers);
  const postHeaders = { ...common, "content-type": "application/json", accept: "application/json, text/event-stream" };
  const getHeaders = { ...common, accept: "application/json" };
  const search = base.search;

  const send = async (request: Dispatcher.RequestOptions): Promise<UpstreamResponse> => {
    const res = await pool.request(request);
    return { status: res.statusCode, headers: flatHeaders(res.headers), body: res.body };
  };

  return {
    post: ({ path, body, signal }) => send({ method: "POST", path: `${prefix}${path}${search}`, headers: postHeaders, body, signal }),
    get: (path, signal) => send({ method: "GET", path: `${prefix}${path}${search}`, headers: getHeaders, signal }),
    close: () => pool.close(),
  };
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}
