/**
 * The response headers of a served chat call, the same on every HTTP door: the gateway's own
 * (rate limits), which deployment answered after how many tries, and the upstream's relayed ones.
 */
import type { Served } from "../chat/service.js";
import { withUpstreamHeaders } from "../providers/relayed-headers.js";

/** Headers for a call the chat service served. */
export function servedHeaders({ route, headers, upstreamHeaders }: Pick<Served<unknown>, "route" | "headers" | "upstreamHeaders">): Record<string, string> {
  const routed = { "x-languru-model": route.model, "x-languru-model-deployment": route.deployment, "x-languru-attempts": String(route.attempts) };
  return withUpstreamHeaders({ ...headers, ...routed }, upstreamHeaders);
}
