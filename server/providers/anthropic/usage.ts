/**
 * Anthropic's usage and stop reasons in OpenAI's terms. Anthropic counts `input_tokens` without the
 * cached ones: OpenAI's `prompt_tokens` is the sum of input, cache writes and cache reads, and the
 * reads are `prompt_tokens_details.cached_tokens` (the writes `cache_creation_tokens` beside them).
 * Counts are read with `tokenCount`: a usage with a count that is not one is no usage at all (the
 * call is then settled at its estimate), never a sum of garbage.
 */
import { isRecord, type FinishReason, type Usage } from "../../../shared/index.js";
import { tokenCount } from "../upstream-usage.js";

/** The counts of one reply as Anthropic reports them, each null until known. */
export interface AnthropicCounts {
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  cacheCreation: number | null;
  thinking: number | null;
  /** A field held something that is not a count. */
  broken: boolean;
}

/** No counts yet. */
export function emptyCounts(): AnthropicCounts {
  return { input: null, output: null, cacheRead: null, cacheCreation: null, thinking: null, broken: false };
}

/** `counts` updated with an Anthropic `usage` object (a message's, or a stream's cumulative `message_delta` one); absent fields keep their value. */
export function addCounts(counts: AnthropicCounts, usage: unknown): AnthropicCounts {
  if (!isRecord(usage)) return counts;
  const read = (value: unknown, before: number | null): number | null => {
    if (value === undefined || value === null) return before;
    const count = tokenCount(value);
    if (count === null) counts.broken = true;
    return count ?? before;
  };
  counts.input = read(usage.input_tokens, counts.input);
  counts.output = read(usage.output_tokens, counts.output);
  counts.cacheRead = read(usage.cache_read_input_tokens, counts.cacheRead);
  counts.cacheCreation = read(usage.cache_creation_input_tokens, counts.cacheCreation);
  if (isRecord(usage.output_tokens_details)) counts.thinking = read(usage.output_tokens_details.thinking_tokens, counts.thinking);
  return counts;
}

/** The OpenAI usage of `counts`, or undefined when Anthropic sent no usable counts. */
export function usageOf(counts: AnthropicCounts): Usage | undefined {
  if (counts.broken || counts.input === null || counts.output === null) return undefined;
  const cacheRead = counts.cacheRead ?? 0;
  const cacheCreation = counts.cacheCreation ?? 0;
  const prompt = counts.input + cacheRead + cacheCreation;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: counts.output,
    total_tokens: prompt + counts.output,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_creation_tokens: cacheCreation },
  };
  if (counts.thinking !== null) usage.completion_tokens_details = { reasoning_tokens: counts.thinking };
  return usage;
}

const FINISH_REASONS: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  pause_turn: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

/** OpenAI's `finish_reason` for Anthropic's `stop_reason`; a reason this table does not know passes as Anthropic wrote it. */
export function finishReasonOf(stopReason: unknown): FinishReason {
  if (typeof stopReason !== "string" || stopReason === "") return "stop";
  return FINISH_REASONS[stopReason] ?? stopReason.slice(0, 64);
}
