/**
 * Reads what an upstream's answer says for metering, without trusting its shape. The types say a
 * chunk has `choices` with a `delta` each; upstreams send chunks without either (Azure's
 * asynchronous content-filter chunk has a choice with no `delta`), `choices` that is no array, and
 * payloads that are no object at all. What is not the expected shape counts nothing here and is
 * passed on as it came: judging it is the client's business.
 */
import { isRecord } from "../../shared/index.js";
import type { TokenTally } from "../access/estimate.js";

/** Adds the generated text of one chunk (content, refusal, tool call arguments) to `tally`. */
export function addChunkText(chunk: unknown, tally: TokenTally): void {
  if (!isRecord(chunk) || !Array.isArray(chunk.choices)) return;
  for (const choice of chunk.choices as unknown[]) if (isRecord(choice)) addMessageText(choice.delta, tally);
}

/** Adds the generated text of a whole completion's choices to `tally`. */
export function addCompletionText(completion: unknown, tally: TokenTally): void {
  if (!isRecord(completion) || !Array.isArray(completion.choices)) return;
  for (const choice of completion.choices as unknown[]) if (isRecord(choice)) addMessageText(choice.message, tally);
}

function addMessageText(message: unknown, tally: TokenTally): void {
  if (!isRecord(message)) return;
  if (typeof message.content === "string") tally.add(message.content);
  if (typeof message.refusal === "string") tally.add(message.refusal);
  if (!Array.isArray(message.tool_calls)) return;
  for (const call of message.tool_calls as unknown[]) {
    const args = isRecord(call) && isRecord(call.function) ? call.function.arguments : undefined;
    if (typeof args === "string") tally.add(args);
  }
}
