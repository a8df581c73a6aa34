/**
 * What the two token-count endpoints (Anthropic's `POST /v1/messages/count_tokens`, OpenAI's
 * `POST /v1/responses/input_tokens`) share: which models they count for, and the header that says
 * the count is the gateway tokenizer's estimate, not the model's own.
 */
import { NotFoundError } from "../../shared/index.js";
import type { Access, Caller } from "../access/index.js";
import type { ChatService } from "../chat/service.js";
import type { RequestRecord } from "../observability/request.js";

/** The header on every count: made with the gateway's tokenizer, not the model's. */
export const COUNT_HEADER = { "x-languru-token-count": "estimate" };

/**
 * Refuses a count for a model a chat call could not use: any model the door would route (a
 * `provider/model` address too), as far as the key may use it; a 404 `model_not_found` otherwise.
 */
export function assertCountable(chat: ChatService, access: Access | null, caller: Caller | undefined, model: string, record: RequestRecord | undefined): void {
  if (record) record.noted.model = model;
  if (chat.routable(model) && !(access && caller && !access.allows(caller, model))) return;
  throw new NotFoundError(`The model '${model.slice(0, 256)}' does not exist or you do not have access to it.`, { param: "model", code: "model_not_found" });
}
