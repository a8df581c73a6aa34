/**
 * The Anthropic Messages door: `POST /v1/messages`, `POST /v1/messages/count_tokens` and, for
 * Anthropic clients, the Models API (`models.ts`), over the one chat service (the same keys, limits, budgets, routing, metering, logs and metrics as the
 * other doors). It only translates: the request to a chat request (`request.ts`, carrying the
 * client's own body for an Anthropic deployment: `providers/messages-body.ts`), the answer to a
 * Message (`response.ts`) or to Anthropic's events (`stream.ts`, `sse.ts`), errors to Anthropic's
 * error bodies (`errors.ts`). Keys come as `x-api-key` (the Anthropic SDKs, Claude Code's
 * `ANTHROPIC_API_KEY`) or `Authorization: Bearer` (`ANTHROPIC_AUTH_TOKEN`); `anthropic-version`
 * and `anthropic-beta` are taken as sent (an Anthropic provider may forward them).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { LanguruError, NotFoundError, fromZodError, isRecord } from "../../../shared/index.js";
import { keyFromHeaders, type Access, type Caller } from "../../access/index.js";
import type { ChatService } from "../../chat/service.js";
import { visibleModels } from "../../chat/visible-models.js";
import { decodeSegment } from "../../lib/decode-segment.js";
import type { RequestRecord } from "../../observability/request.js";
import { rawMessageOf, withMessagesBody } from "../../providers/messages-body.js";
import { servedHeaders } from "../served-headers.js";
import { COUNT_HEADER, assertCountable } from "../token-counts.js";
import { abortOnLeave } from "../abort-on-leave.js";
import { readJsonBody } from "../../http-body/read-json.js";
import { sendJson } from "../openai/respond.js";
import { countTokens } from "./count-tokens.js";
import { modelInfoOf, modelPageOf } from "./models.js";
import { sendAnthropicError, withRequestId } from "./errors.js";
import { chatRequestOf } from "./request.js";
import { messageOf } from "./response.js";
import { CountTokensRequest, MessagesRequest } from "./schema.js";
import { writeEventStream } from "./sse.js";
import { MessageEvents } from "./stream.js";

/** Options of the Anthropic door. */
export interface AnthropicDoorOptions {
  chat: ChatService;
  /** Null when keys are off. */
  access: Access | null;
  bodyLimitBytes: number;
  /** Aborted when the shutdown grace is over; streams still running end with an `overloaded_error` event. */
  shutdown?: AbortSignal;
  /** Silence (ms) after which a stream sends a `ping`. */
  pingMs?: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse, caller: Caller | undefined, record: RequestRecord | undefined, param: string) => Promise<void>;

const MESSAGES = /^\/v1\/messages\/?$/;
const COUNT_TOKENS = /^\/v1\/messages\/count_tokens\/?$/;
const MODELS = /^\/v1\/models\/?$/;
const MODEL = /^\/v1\/models\/([^/]+)\/?$/;

/**
 * Whether a request is this door's: the Messages paths, and the models paths when it speaks
 * Anthropic (`anthropic-version`, which the Anthropic SDKs send on every request; the OpenAI
 * clients' `GET /v1/models` goes on to the REST door).
 */
export function isAnthropicRequest(req: Pick<IncomingMessage, "url" | "headers">): boolean {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (MESSAGES.test(path) || COUNT_TOKENS.test(path)) return true;
  return req.headers["anthropic-version"] !== undefined && (MODELS.test(path) || MODEL.test(path));
}

/** Returns the door's handler; call it only for a request `isAnthropicRequest` accepts. */
export function createAnthropicHandler(options: AnthropicDoorOptions) {
  const { chat, access } = options;

  const messages: Handler = async (req, res, caller, record) => {
    const body = withoutThread(await readJsonBody(req, options.bodyLimitBytes));
    const parsed = MessagesRequest.safeParse(body);
    if (!parsed.success) throw fromZodError(parsed.error);
    const request = parsed.data;
    const stream = request.stream === true;
    const chatRequest = withMessagesBody(chatRequestOf(request, stream), body as Record<string, unknown>);
    const stops = request.stop_sequences ?? [];
    const call = { signal: abortOnLeave(res, options.shutdown), caller, record, clientHeaders: req.headers };
    if (stream) {
      const { value, route, headers, upstreamHeaders } = await chat.stream(chatRequest, call);
      const sent = withRequestId(servedHeaders({ route, headers, upstreamHeaders }), record);
      await writeEventStream(res, value, new MessageEvents(request.model, stops), { headers: sent, shutdown: options.shutdown, pingMs: options.pingMs });
    } else {
      const { value, route, headers, upstreamHeaders } = await chat.complete(chatRequest, call);
      const sent = withRequestId(servedHeaders({ route, headers, upstreamHeaders }), record);
      // An Anthropic upstream's own Message, when its provider relays it, goes out as it came.
      sendJson(res, 200, rawMessageOf(value) ?? messageOf(value, request.model, stops), sent);
    }
  };

  const count: Handler = async (req, res, caller, record) => {
    const parsed = CountTokensRequest.safeParse(await readJsonBody(req, options.bodyLimitBytes));
    if (!parsed.success) throw fromZodError(parsed.error);
    assertCountable(chat, access, caller, parsed.data.model, record);
    sendJson(res, 200, await countTokens(parsed.data), withRequestId(COUNT_HEADER, record));
  };

  const visible = (caller: Caller | undefined) => visibleModels(chat.models(), access, caller);

  const listModels: Handler = async (req, res, caller, record) => {
    const page = modelPageOf(visible(caller), new URL(req.url ?? "/", "http://x").searchParams);
    sendJson(res, 200, page, withRequestId({}, record));
  };

  const getModel: Handler = async (_req, res, caller, record, id) => {
    const model = visible(caller).find((m) => m.id === id);
    if (!model) throw new NotFoundError(`model: ${id.slice(0, 256)}`, { param: "model", code: "model_not_found" });
    sendJson(res, 200, modelInfoOf(model), withRequestId({}, record));
  };

  const routes: Array<{ method: string; path: RegExp; handle: Handler }> = [
    { method: "POST", path: MESSAGES, handle: messages },
    { method: "POST", path: COUNT_TOKENS, handle: count },
    { method: "GET", path: MODELS, handle: listModels },
    { method: "GET", path: MODEL, handle: getModel },
  ];

  return async function handleAnthropic(req: IncomingMessage, res: ServerResponse, record?: RequestRecord): Promise<void> {
    const path = (req.url ?? "/").split("?")[0]!;
    try {
      const matching = routes.filter((r) => r.path.test(path));
      // HEAD is GET without a body; node:http drops the body for it.
      const method = req.method === "HEAD" ? "GET" : req.method;
      const route = matching.find((r) => r.method === method);
      if (!route) {
        res.setHeader("allow", matching.map((r) => r.method).join(", "));
        throw new LanguruError(405, `Method ${req.method} is not allowed on ${path}.`, { code: "method_not_allowed" });
      }
      // Before the body is read, so an unauthenticated client cannot make the gateway read megabytes.
      const caller = access ? await access.authenticate(keyFromHeaders(req.headers)) : undefined;
      record?.noteCaller(caller);
      await route.handle(req, res, caller, record, decodeSegment(route.path.exec(path)?.[1] ?? ""));
    } catch (err) {
      sendAnthropicError(res, err, record);
    }
  };
}

/**
 * Anthropic's message threads (`thread`, which the SDK's tool runner sends): the server keeps the
 * conversation and a later turn sends only what is new. The gateway keeps none, so a turn that
 * continues a thread is refused as Anthropic refuses one it lost (404, `thread_not_found`), on
 * which the SDK replays the whole conversation; a turn that creates one is served as any other,
 * with no `thread` passed on (an upstream would keep a thread nobody continues).
 */
function withoutThread(body: unknown): unknown {
  if (!isRecord(body) || !("thread" in body)) return body;
  const { thread, ...rest } = body;
  if (isRecord(thread) && thread.type === "continue") {
    throw new NotFoundError("This gateway keeps no message threads: send the whole conversation, with thread: { type: 'create' } or none.", {
      code: "thread_not_found",
    });
  }
  return rest;
}
