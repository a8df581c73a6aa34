/**
 * The typed door's request: the same fields as `ChatCompletionRequest`, but closed, so a misspelled
 * field (`temprature`) is a compile error in a typed client and a 400 at runtime. Provider-specific
 * fields travel in `extra_body` (as in the openai SDKs) and are merged into the upstream body.
 */
import { z } from "zod";
import { InvalidRequestError } from "../errors.js";
import { ChatCompletionRequest, IntegerSeed, crossFieldRules, requestFields } from "./request.js";

/** Provider-specific fields, sent to the upstream as top-level body fields. */
export const ExtraBody = z.record(z.string(), z.unknown());

/**
 * The input of `chat.completions`, `chat.start` and `chat.generate`: known fields only, extras in
 * `extra_body`. The seed is a plain integer: tRPC's JSON has no exact form for one beyond ±2^53.
 */
export const ChatCompletionParams = z
  .strictObject({ ...requestFields, seed: IntegerSeed.nullish(), extra_body: ExtraBody.optional() })
  .superRefine(crossFieldRules);

/** A request as a typed client writes it. */
export type ChatCompletionParams = z.input<typeof ChatCompletionParams>;

/** The request the chat service runs: `extra_body` spread into the top level, known fields untouched. */
export function requestFromParams(params: z.output<typeof ChatCompletionParams>): ChatCompletionRequest {
  const { extra_body, ...known } = params;
  if (!extra_body) return known;
  for (const field of Object.keys(extra_body)) {
    // An extra may add a field, never override a validated one (`n`, `model`, `max_tokens`...).
    if (Object.hasOwn(ChatCompletionRequest.shape, field)) {
      throw new InvalidRequestError(`'extra_body.${field}' is a known field; set '${field}' itself`, { param: `extra_body.${field}` });
    }
  }
  return { ...extra_body, ...known };
}
