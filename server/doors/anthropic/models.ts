/**
 * Anthropic's Models API (`GET /v1/models`, `GET /v1/models/{id}`) over the models the gateway
 * routes, for a client that speaks Anthropic (`client.models.list()` / `retrieve()` of the
 * Anthropic SDKs, which send `anthropic-version` on every request; OpenAI clients never do, and
 * get OpenAI's list from the REST door on the same paths). A model is a `ModelInfo` whose
 * display name is its id and whose release date is the one the gateway lists; what the gateway
 * cannot know about a model behind it (capabilities, context window, lifecycle dates) is null,
 * and every model it routes is `active`. Pages as Anthropic pages them: `limit` (1 to 1,000,
 * default 20), `after_id` / `before_id` cursors, `first_id`, `last_id`, `has_more`.
 */
import { InvalidRequestError, type Model } from "../../../shared/index.js";

/** Anthropic's `ModelInfo`, as far as a gateway knows it. */
export interface ModelInfo {
  type: "model";
  id: string;
  display_name: string;
  created_at: string;
  capabilities: null;
  deprecated_at: null;
  lifecycle: "active";
  line: null;
  max_input_tokens: null;
  max_tokens: null;
  retires_at: null;
}

/** One page of `GET /v1/models`. */
export interface ModelPage {
  data: ModelInfo[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1_000;

/** A routed model as Anthropic describes one. */
export function modelInfoOf(model: Model): ModelInfo {
  const seconds = Number.isSafeInteger(model.created) && model.created >= 0 ? model.created : 0;
  return {
    type: "model",
    id: model.id,
    display_name: model.id,
    // RFC 3339, as Anthropic writes it (no milliseconds).
    created_at: new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    capabilities: null,
    deprecated_at: null,
    lifecycle: "active",
    line: null,
    max_input_tokens: null,
    max_tokens: null,
    retires_at: null,
  };
}

/**
 * The page the query asks for. A cursor that names no listed model gives an empty page (the list
 * may have changed under a paginating client: a reload, a key's allow-list); a bad `limit`, or
 * both cursors at once, is a 400.
 */
export function modelPageOf(models: Model[], query: URLSearchParams): ModelPage {
  const limit = limitOf(query.get("limit"));
  const after = query.get("after_id");
  const before = query.get("before_id");
  if (after !== null && before !== null) throw new InvalidRequestError("Pass after_id or before_id, not both.", { param: "before_id" });
  let start = 0;
  let end = models.length;
  if (after !== null) {
    const at = models.findIndex((m) => m.id === after);
    start = at === -1 ? models.length : at + 1;
  }
  if (before !== null) {
    const at = models.findIndex((m) => m.id === before);
    end = at === -1 ? 0 : at;
  }
  // Before a cursor, the page is the `limit` models right before it; more lie further back.
  const from = before !== null ? Math.max(start, end - limit) : start;
  const to = before !== null ? end : Math.min(end, start + limit);
  const data = models.slice(from, to).map(modelInfoOf);
  return {
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: before !== null ? from > 0 : to < models.length,
  };
}

function limitOf(text: string | null): number {
  if (text === null) return DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw new InvalidRequestError(`limit: must be an integer from 1 to ${MAX_LIMIT}.`, { param: "limit" });
  return limit;
}
