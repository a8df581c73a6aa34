/**
 * `POST /v1/responses/input_tokens`: the input token count of a Responses request, as OpenAI's
 * `client.responses.inputTokens.count` asks it. An estimate, not the model's own count: the request
 * is translated as for a reply (instructions, the stored conversation of `previous_response_id`,
 * input, tools) and counted with the gateway's tokenizer (o200k_base, the one limits and budgets
 * reserve with), so it answers for any model, offline, with no upstream call; the answer says so
 * in `x-languru-token-count`, as the Anthropic door's count does.
 */
import { z } from "zod";
import { estimatePromptTokens, loadTokenizer } from "../../access/index.js";
import type { ChatMessage } from "../../../shared/index.js";
import { chatRequestOf } from "./request.js";
import { ResponsesRequest } from "./types.js";

/** The body of a count: a Responses request whose `model` and `input` may be left out (`TokenCountsBody`). */
export const InputTokensRequest = ResponsesRequest.extend({ model: z.string().min(1).nullish() });

/** OpenAI's `TokenCountsResource`. */
export interface InputTokens {
  object: "response.input_tokens";
  input_tokens: number;
}

// The tokenizer counts the same for every model; the chat shape still needs a name.
const ANY_MODEL = "count";

/** Counts a validated request's input; `history` is the stored conversation it continues, if any. */
export async function countInputTokens(request: z.output<typeof InputTokensRequest>, history: ChatMessage[]): Promise<InputTokens> {
  // Background mode only changes how the reply is fetched (and would be refused as unsupported).
  const { background: _background, ...rest } = request;
  const asked = { ...rest, model: request.model ?? ANY_MODEL, input: request.input ?? [] };
  const { chat } = chatRequestOf(asked, history);
  // Loaded once per process (~0.5 s the first time; already loaded when keys are on).
  await loadTokenizer();
  return { object: "response.input_tokens", input_tokens: estimatePromptTokens(chat) };
}
