/**
 * `POST /v1/messages/count_tokens`: an estimate, not the model's own count. The conversation is
 * translated as for a reply and counted with the gateway's tokenizer (o200k_base, the one the
 * limits and budgets reserve with: `server/access/estimate.ts`), so it answers for any model,
 * offline, and costs no upstream call. Counts of Claude's own tokenizer run higher (more so for
 * code and non-English text); the answer says it is an estimate in `x-languru-token-count`.
 */
import { estimatePromptTokens, loadTokenizer } from "../../access/index.js";
import { chatRequestOf } from "./request.js";
import type { CountTokensRequest } from "./schema.js";

/** Anthropic's count-tokens answer for a request. */
export async function countTokens(request: CountTokensRequest): Promise<{ input_tokens: number }> {
  // Loaded once per process (~0.5 s the first time; already loaded when keys are on).
  await loadTokenizer();
  return { input_tokens: estimatePromptTokens(chatRequestOf(request, false)) };
}
