/**
 * The OpenAI-compatible REST door: `POST /v1/chat/completions` (and `/chat/completions`),
 * `GET /v1/models` (and `/models`, `/v1/models/{id}`). It only translates HTTP to the chat service
 * and errors to OpenAI error bodies.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ChatCompletionRequest, LanguruError, NotFoundError, fromZodError } from "../../../shared/index.js";
import { keyFromHeaders, type Access, type Caller } from "../../access/index.js";
import type { ChatService } from "../../chat/service.js";
import type { RequestRecord } from "../../observability/request.js";
import { visibleModels } from "../../chat/visible-models.js";
import { decodeSegment } from "../../lib/decode-segment.js";
import { servedHeaders } from "../served-headers.js";
import { abortOnLeave } from "../abort-on-leave.js";
import { readJsonBody } from "../../http-body/read-json.js";
import { sendError, sendJson } from "./respond.js";
import { writeChunkStream } from "./sse.js";

/** Options of the REST handler. */
export interface RestOptions {
  chat: ChatService;
  /** Null when keys are off. */
  access: Access | null;
  bodyLimitBytes: number;
  /** Aborted when the shutdown grace is over; streams still running end with a `shutting_down` error frame. */
  shutdown?: AbortSignal;
}

/** Who may call a route when keys are on. */
type Audience = "key" | "master";
type Handler = (req: IncomingMessage, res: ServerResponse, param: string, caller: Caller | undefined, record: RequestRecord | undefined) => Promise<void>;

/** Returns a handler for one request; `false` when the path is not a REST route. */
export function createRestHandler(options: RestOptions) {
  const { chat, access } = options;

  // Runs before the body is read, so an unauthenticated client cannot make the gateway read megabytes.
  const authenticate = async (req: IncomingMessage, audience: Audience): Promise<Caller | undefined> => {
    if (!access) return undefined;
    const token = keyFromHeaders(req.headers);
    return audience === "key" ? access.authenticate(token) : access.authenticateMaster(token);
  };

  const completions: Handler = async (req, res, _param, caller, record) => {
    const parsed = ChatCompletionRequest.safeParse(await readJsonBody(req, options.bodyLimitBytes));
    if (!parsed.success) throw fromZodError(parsed.error);
    const call = { signal: abortOnLeave(res, options.shutdown), caller, record, clientHeaders: req.headers };
    if (parsed.data.stream === true) {
      const { value, route, headers, upstreamHeaders } = await chat.stream(parsed.data, call);
      await writeChunkStream(res, value, servedHeaders({ route, headers, upstreamHeaders }), options.shutdown);
    } else {
      const { value, route, headers, upstreamHeaders } = await chat.complete(parsed.data, call);
      sendJson(res, 200, value, servedHeaders({ route, headers, upstreamHeaders }));
    }
  };

  const visible = (caller: Caller | undefined) => visibleModels(chat.models(), access, caller);

  const listModels: Handler = async (_req, res, _param, caller) => sendJson(res, 200, { object: "list", data: visible(caller) });

  const getModel: Handler = async (_req, res, id, caller) => {
    const model = visible(caller).find((m) => m.id === id);
    if (!model) throw new NotFoundError(`The model '${id}' does not exist`, { param: "model", code: "model_not_found" });
    sendJson(res, 200, model);
  };

  const listDeployments: Handler = async (_req, res) => sendJson(res, 200, { object: "list", data: chat.deployments() });

  const routes: Array<{ method: string; path: RegExp; handle: Handler; audience: Audience }> = [
    { method: "GET", path: /^\/languru\/deployments\/?$/, handle: listDeployments, audience: "master" },
    { method: "POST", path: /^\/(?:v1\/)?chat\/completions\/?$/, handle: completions, audience: "key" },
    { method: "GET", path: /^\/(?:v1\/)?models\/?$/, handle: listModels, audience: "key" },
    { method: "GET", path: /^\/(?:v1\/)?models\/(.+)$/, handle: getModel, audience: "key" },
  ];

  return async function handleRest(req: IncomingMessage, res: ServerResponse, record?: RequestRecord): Promise<boolean> {
    const path = (req.url ?? "/").split("?")[0]!;
    const matching = routes.filter((r) => r.path.test(path));
    if (matching.length === 0) return false;
    // HEAD is GET without a body; node:http drops the body for it.
    const method = req.method === "HEAD" ? "GET" : req.method;
    const route = matching.find((r) => r.method === method);
    try {
      if (!route) {
        res.setHeader("allow", matching.map((r) => r.method).join(", "));
        throw new LanguruError(405, `Method ${req.method} is not allowed on ${path}.`, { code: "method_not_allowed" });
      }
      const caller = await authenticate(req, route.audience);
      record?.noteCaller(caller);
      await route.handle(req, res, decodeSegment(route.path.exec(path)?.[1] ?? ""), caller, record);
    } catch (err) {
      sendError(res, err, record);
    }
    return true;
  };
}
