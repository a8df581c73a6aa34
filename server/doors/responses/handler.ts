/**
 * The OpenAI Responses door: `POST /v1/responses` (whole or streamed), `GET` and `DELETE
 * /v1/responses/{id}` for stored ones, `POST /v1/responses/input_tokens` for a count. It translates
 * to the one chat service (request.ts) and back (response.ts, stream.ts); keys, limits, budgets, routing and metering are the service's, as for
 * every door. Errors are OpenAI error bodies, as the REST door sends them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type FinishReason, LanguruError, NotFoundError, ServiceUnavailableError, fromZodError } from "../../../shared/index.js";
import { keyFromHeaders, type Access, type Caller } from "../../access/index.js";
import type { ChatService } from "../../chat/service.js";
import type { RequestRecord } from "../../observability/request.js";
import { decodeSegment } from "../../lib/decode-segment.js";
import { servedHeaders } from "../served-headers.js";
import { COUNT_HEADER, assertCountable } from "../token-counts.js";
import { abortOnLeave } from "../abort-on-leave.js";
import { readJsonBody } from "../../http-body/read-json.js";
import { asLanguruError, sendError, sendJson } from "../openai/respond.js";
import { openEvents } from "./events.js";
import { chatRequestOf } from "./request.js";
import { assistantTurn, finished, inProgress, newId, outputOf } from "./response.js";
import { firstChoice } from "./upstream-message.js";
import { InputTokensRequest, countInputTokens } from "./input-tokens.js";
import { ownerOf, type Owner, type ResponseStore } from "./store.js";
import { writeResponseEvents, type StreamFailure } from "./stream.js";
import { ResponsesRequest, type ResponseObject } from "./types.js";

/** Options of the Responses door. */
export interface ResponsesDoorOptions {
  chat: ChatService;
  /** Null when keys are off. */
  access: Access | null;
  bodyLimitBytes: number;
  store: ResponseStore;
  /** Aborted when the shutdown grace is over; streams still running end with `response.failed`. */
  shutdown?: AbortSignal;
}

type Handler = (req: IncomingMessage, res: ServerResponse, id: string, caller: Caller | undefined, record: RequestRecord | undefined) => Promise<void>;

const RESPONSES_PATH = /^\/(?:v1\/)?responses(?:\/|$)/;

/** True for the paths this door answers (every other goes on to the REST door). */
export function isResponsesPath(path: string): boolean {
  return RESPONSES_PATH.test(path.split("?")[0]!);
}

/** Returns the door's handler for one request on a `/v1/responses` path. */
export function createResponsesHandler(options: ResponsesDoorOptions) {
  const { chat, access, store } = options;

  // The stored response a request continues (`previous_response_id`), if it names one; a 404 if it is gone.
  const previousOf = async (owner: Owner, id: string | null | undefined) => {
    if (!id) return null;
    const previous = await store.load(owner, id);
    if (!previous) throw new NotFoundError(`Previous response with id '${id}' not found.`, { param: "previous_response_id" });
    return previous;
  };

  const create: Handler = async (req, res, _id, caller, record) => {
    const parsed = ResponsesRequest.safeParse(await readJsonBody(req, options.bodyLimitBytes));
    if (!parsed.success) throw fromZodError(parsed.error);
    const request = parsed.data;
    const owner = ownerOf(caller);
    const previous = await previousOf(owner, request.previous_response_id);
    const { chat: chatRequest, turn } = chatRequestOf(request, previous?.history ?? []);
    const conversation = [...(previous?.history ?? []), ...turn];
    const base = inProgress({ id: newId("resp"), createdAt: Math.floor(Date.now() / 1000), request, store: request.store !== false });
    const keep = async (response: ResponseObject): Promise<ResponseObject> => {
      if (request.store === false) return response;
      const kept = await store.save(owner, { response, history: [...conversation, ...assistantTurn(response.output)] });
      return kept ? response : { ...response, store: false };
    };

    const call = { signal: abortOnLeave(res, options.shutdown), caller, record, clientHeaders: req.headers };
    if (request.stream === true) {
      const streamed = { ...chatRequest, stream: true, stream_options: { include_usage: true } };
      const { value, route, headers, upstreamHeaders } = await chat.stream(streamed, call);
      const events = openEvents(res, servedHeaders({ route, headers, upstreamHeaders }));
      await writeResponseEvents(events, value, base, keep, (err) => failureOf(err, options.shutdown));
      if (!res.destroyed) res.end();
    } else {
      const { value, route, headers, upstreamHeaders } = await chat.complete(chatRequest, call);
      const reason = firstChoice(value.choices)?.finish_reason;
      const finishReason = typeof reason === "string" ? (reason as FinishReason) : null;
      const incomplete = finishReason === "length" || finishReason === "content_filter";
      const response = await keep(finished(base, outputOf(value, incomplete), finishReason, value.usage));
      sendJson(res, 200, response, servedHeaders({ route, headers, upstreamHeaders }));
    }
  };

  const count: Handler = async (req, res, _id, caller, record) => {
    const parsed = InputTokensRequest.safeParse(await readJsonBody(req, options.bodyLimitBytes));
    if (!parsed.success) throw fromZodError(parsed.error);
    const request = parsed.data;
    if (request.model != null) assertCountable(chat, access, caller, request.model, record);
    const previous = await previousOf(ownerOf(caller), request.previous_response_id);
    sendJson(res, 200, await countInputTokens(request, previous?.history ?? []), COUNT_HEADER);
  };

  const retrieve: Handler = async (req, res, id, caller) => {
    if (new URL(req.url ?? "/", "http://x").searchParams.get("stream") === "true") {
      throw new LanguruError(400, "Streaming a stored response again is not supported by Languru.", { param: "stream", code: "unsupported_parameter" });
    }
    const stored = await store.load(ownerOf(caller), id);
    if (!stored) throw notFound(id);
    sendJson(res, 200, stored.response);
  };

  const remove: Handler = async (_req, res, id, caller) => {
    if (!(await store.remove(ownerOf(caller), id))) throw notFound(id);
    sendJson(res, 200, { id, object: "response", deleted: true });
  };

  const unsupported =
    (what: string): Handler =>
    async () => {
      throw new LanguruError(400, `${what} is not supported by Languru.`, { code: "unsupported_endpoint" });
    };

  const routes: Array<{ method: string; path: RegExp; handle: Handler }> = [
    { method: "POST", path: /^\/(?:v1\/)?responses\/?$/, handle: create },
    { method: "POST", path: /^\/(?:v1\/)?responses\/input_tokens\/?$/, handle: count },
    { method: "GET", path: /^\/(?:v1\/)?responses\/([^/]+)\/?$/, handle: retrieve },
    { method: "DELETE", path: /^\/(?:v1\/)?responses\/([^/]+)\/?$/, handle: remove },
    { method: "POST", path: /^\/(?:v1\/)?responses\/[^/]+\/cancel\/?$/, handle: unsupported("Cancelling a response (background mode)") },
    { method: "GET", path: /^\/(?:v1\/)?responses\/[^/]+\/input_items\/?$/, handle: unsupported("Listing a response's input items") },
  ];

  // Runs before the body is read, so an unauthenticated client cannot make the gateway read megabytes.
  const authenticate = async (req: IncomingMessage): Promise<Caller | undefined> => (access ? access.authenticate(keyFromHeaders(req.headers)) : undefined);

  return async function handleResponses(req: IncomingMessage, res: ServerResponse, record?: RequestRecord): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!;
    const matching = routes.filter((r) => r.path.test(path));
    const method = req.method === "HEAD" ? "GET" : req.method;
    const route = matching.find((r) => r.method === method);
    try {
      if (matching.length === 0) throw new NotFoundError(`Unknown path ${path}`, { code: "unknown_url" });
      if (!route) {
        res.setHeader("allow", matching.map((r) => r.method).join(", "));
        throw new LanguruError(405, `Method ${req.method} is not allowed on ${path}.`, { code: "method_not_allowed" });
      }
      const caller = await authenticate(req);
      record?.noteCaller(caller);
      await route.handle(req, res, decodeSegment(route.path.exec(path)?.[1] ?? ""), caller, record);
    } catch (err) {
      sendError(res, err, record);
    }
  };
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Response with id '${id}' not found.`, { param: "response_id" });
}

/** An error after the stream started, as the `error` event and `response.failed` tell it. */
function failureOf(err: unknown, shutdown: AbortSignal | undefined): StreamFailure {
  const error = shutdown?.aborted
    ? new ServiceUnavailableError("The gateway is shutting down; send the request again.", { code: "shutting_down" })
    : asLanguruError(err);
  return {
    code: error.code ?? error.type,
    message: error.message,
    param: error.param,
    responseCode: error.status === 429 ? "rate_limit_exceeded" : "server_error",
  };
}
