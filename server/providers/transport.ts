/**
 * The lean HTTP transport to an upstream: `node:http`/`node:https` with a keep-alive agent per
 * provider. Chosen by measurement (`bench/upstream-clients.ts`, numbers in BENCHMARKS.md): it costs
 * the least CPU per call of the options tried (the `openai` SDK over `fetch`, undici's
 * `Pool.request`), and aborting a request closes its socket and nothing else, where undici (fetch or
 * `Pool`) opens a fresh, never-used connection for every aborted one. Timers are not here: the
 * attempt pipeline owns one set per call and aborts through the signal.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { requestTargetOf } from "./request-target.js";

/** What an upstream answered: status, headers, and the body still to be read. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: IncomingMessage;
}

/** Options of one POST. */
export interface PostOptions {
  /** Path below the base URL, e.g. `/chat/completions`; its own query joins the base URL's (`request-target.ts`). */
  path: string;
  body: string;
  signal: AbortSignal;
  /** Headers of this call only (forwarded client headers); the transport's own headers win over them. */
  headers?: Record<string, string>;
}

/** One upstream origin with its connection pool and the headers every call carries. */
export interface Transport {
  /** Sends a JSON POST; settles once the response headers arrived. */
  post(options: PostOptions): Promise<UpstreamResponse>;
  /** Sends a GET; settles once the response headers arrived. */
  get(path: string, signal: AbortSignal): Promise<UpstreamResponse>;
  /** Closes every connection (shutdown, or a reload retiring the provider once its calls ended). */
  close(): Promise<void>;
}

/** Options of `createTransport`. */
export interface TransportOptions {
  baseURL: string;
  /** Sent with every request: authorization and the provider's configured headers. */
  headers: Record<string, string>;
  /** Most connections open at once to this origin (default: no cap; the upstream sets its own). */
  connections?: number;
}

// An idle keep-alive connection is closed after this long (a server's shorter timeout wins).
const IDLE_SOCKET_MS = 10_000;
// Idle connections kept for reuse; more than this are closed when they turn idle.
const MAX_IDLE_CONNECTIONS = 256;

/** Creates the transport for one base URL. */
export function createTransport(options: TransportOptions): Transport {
  const base = new URL(options.baseURL);
  const secure = base.protocol === "https:";
  const agentOptions = {
    keepAlive: true,
    // No cap by default: a queue here would hold streams back behind others for their whole length.
    maxSockets: options.connections ?? Number.POSITIVE_INFINITY,
    maxFreeSockets: MAX_IDLE_CONNECTIONS,
    timeout: IDLE_SOCKET_MS,
    scheduling: "lifo" as const,
  };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  const requestTarget = requestTargetOf(base);
  const protocol = base.protocol;
  const hostname = base.hostname.replace(/^\[|\]$/g, "");
  const port = base.port || undefined;
  const common = lowerCased(options.headers);
  const getHeaders = { ...common, accept: "application/json" };

  const exchange = (method: string, path: string, headers: OutgoingHttpHeaders, signal: AbortSignal, body?: string) =>
    new Promise<UpstreamResponse>((resolve, reject) => {
      if (signal.aborted) return reject(abortError(signal));
      // Written out, not spread from a shared object: with the spread, every exchange's request
      // objects survived the young-generation collections (~0.15 MB promoted per scavenge in a loop
      // of calls; none written out), the same way `test/perf-gc.test.ts` measures.
      const req = send({ protocol, hostname, port, agent, method, path: requestTarget(path), headers });
      // One listener for the whole exchange, instead of the `signal` option (which also attaches
      // end-of-stream watchers to the request): an abort destroys the request, its socket with it.
      const onAbort = () => req.destroy(abortError(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      req.once("close", () => signal.removeEventListener("abort", onAbort));
      req.once("response", (res) => {
        // Whoever reads the body sees its errors; one left unread (a consumer gone) must not crash the process.
        res.on("error", ignore);
        resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res.headers), body: res });
      });
      // Kept after the response: a later abort or reset emits here too, and is the body's reader's business.
      req.on("error", reject);
      req.end(body);
    });

  return {
    post: ({ path, body, signal, headers }) =>
      exchange(
        "POST",
        path,
        {
          ...headers,
          ...common,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "content-length": Buffer.byteLength(body),
        },
        signal,
        body,
      ),
    get: (path, signal) => exchange("GET", path, getHeaders, signal),
    async close() {
      agent.destroy();
    },
  };
}

function ignore(): void {}

/** What an aborted exchange fails with, as Node's own `signal` option words it. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error("The operation was aborted", { cause: signal.reason }), { name: "AbortError", code: "ABORT_ERR" });
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function flatHeaders(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}
