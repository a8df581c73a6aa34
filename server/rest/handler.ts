/**
 * The OpenAI-compatible REST door: `POST /v1/chat/completions` (and `/chat/completions`),
 * `GET /v1/models` (and `/models`, `/v1/models/{id}`). It only translates HTTP to the chat service
 * and errors to OpenAI error bodies.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ChatCompletionRequest, LanguruError, NotFoundError, fromZodError } from "../../shared/index.js";
import type { ChatService } from "../chat/service.js";
import type { RouteInfo } from "../routing/router.js";
import { readJsonBody } from "./body.js";
import { sendError, sendJson } from "./respond.js";
import { writeChunkStream } from "./sse.js";

/** Options of the REST handler. */
export interface RestOptions {
  chat: ChatService;
  bodyLimitBytes: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse, param: string) => Promise<void>;

/** Returns a handler for one request; `false` when the path is not a REST route. */
export function createRestHandler(options: RestOptions) {
  const { chat } = options;

  const completions: Handler = async (req, res) => {
    const parsed = ChatCompletionRequest.safeParse(await readJsonBody(req, options.bodyLimitBytes));
    if (!parsed.success) throw fromZodError(parsed.error);
    const controller = new AbortController();
    // The client leaving (closing the socket before we finished) stops the upstream request and its spend.
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    if (parsed.data.stream === true) {
      const { value, route } = await chat.stream(parsed.data, { signal: controller.signal });
      await writeChunkStream(res, value, routeHeaders(route));
    } else {
      const { value, route } = await chat.complete(parsed.data, { signal: controller.signal });
      sendJson(res, 200, value, routeHeaders(route));
    }
  };

  const listModels: Handler = async (_req, res) => sendJson(res, 200, { object: "list", data: chat.models() });

  const getModel: Handler = async (_req, res, id) => {
    const model = chat.models().find((m) => m.id === id);
    if (!model) throw new NotFoundError(`The model '${id}' does not exist`, { param: "model", code: "model_not_found" });
    sendJson(res, 200, model);
  };

  const listDeployments: Handler = async (_req, res) => sendJson(res, 200, { object: "list", data: chat.deployments() });

  const routes: Array<{ method: string; path: RegExp; handle: Handler }> = [
    { method: "GET", path: /^\/languru\/deployments\/?$/, handle: listDeployments },
    { method: "POST", path: /^\/(?:v1\/)?chat\/completions\/?$/, handle: completions },
    { method: "GET", path: /^\/(?:v1\/)?models\/?$/, handle: listModels },
    { method: "GET", path: /^\/(?:v1\/)?models\/(.+)$/, handle: getModel },
  ];

  return async function handleRest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
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
      await route.handle(req, res, safeDecode(route.path.exec(path)?.[1] ?? ""));
    } catch (err) {
      sendError(res, err);
    }
    return true;
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Which deployment answered, after how many tries. */
function routeHeaders(route: RouteInfo): Record<string, string> {
  return { "x-languru-model": route.model, "x-languru-model-deployment": route.deployment, "x-languru-attempts": String(route.attempts) };
}
