/** Number formats of the reply stats line. */
import type { ReplyStats } from "../../client/react/index.js";

/** `12 tokens · 95 ms to first token · 41.3 tokens/s` plus prompt/total when usage came (`≈` when estimated: a stopped reply). */
export function formatStats(stats: ReplyStats): string[] {
  const parts: string[] = [];
  if (stats.usage) {
    parts.push(`${stats.usage.completion_tokens} tokens`, `prompt ${stats.usage.prompt_tokens}`, `total ${stats.usage.total_tokens}`);
  } else if (stats.estimatedUsage) {
    const estimate = stats.estimatedUsage;
    parts.push(`≈${estimate.completion_tokens} tokens (estimated)`, `prompt ≈${estimate.prompt_tokens}`, `total ≈${estimate.total_tokens}`);
  }
  if (stats.timeToFirstTokenMs !== null) parts.push(`first token ${Math.round(stats.timeToFirstTokenMs)} ms`);
  if (stats.tokensPerSecond !== null) parts.push(`${stats.tokensPerSecond.toFixed(1)} tokens/s`);
  if (stats.finishReason && stats.finishReason !== "stop") parts.push(`finish: ${stats.finishReason}`);
  return parts;
}
