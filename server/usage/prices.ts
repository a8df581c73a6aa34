/**
 * Cost of a request, in USD, from prices per million tokens: the config file's (by deployment id,
 * then public model name), else the list price of the upstream model (`price-table.ts`). Cached
 * prompt tokens (a prompt-cache hit the upstream reported) are priced at the cached-input rate.
 */
import { listedPrice } from "./price-table.js";

/** Price of one model or deployment, USD per 1M tokens; cached input costs `input` when not given. */
export interface Price {
  input: number;
  output: number;
  cachedInput?: number;
}

/** Prices by deployment id (`provider/upstream-model`) or public model name; the deployment wins. */
export type PriceTable = Record<string, Price>;

/** The token counts a cost is computed from; `cachedTokens` are part of `promptTokens`. */
export interface PricedUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens?: number;
}

/** The cost in USD, or null when no price is known for the deployment or the model. */
export function costOf(prices: PriceTable, where: { deployment: string | null; model: string }, usage: PricedUsage): number | null {
  const price = priceOf(prices, where);
  if (!price) return null;
  const cached = Math.min(Math.max(usage.cachedTokens ?? 0, 0), usage.promptTokens);
  const fresh = usage.promptTokens - cached;
  return (fresh * price.input + cached * (price.cachedInput ?? price.input) + usage.completionTokens * price.output) / 1_000_000;
}

/**
 * The price that applies: configured for the deployment, configured for the model, listed for the
 * deployment's upstream model, listed for the model name (a `provider/model` address's model too).
 * Own keys only: a model named `constructor` must not find Object's.
 */
export function priceOf(prices: PriceTable, where: { deployment: string | null; model: string }): Price | undefined {
  const configured = (key: string | null) => (key !== null && Object.hasOwn(prices, key) ? prices[key] : undefined);
  return (
    configured(where.deployment) ??
    configured(where.model) ??
    (where.deployment ? listedPrice(afterProvider(where.deployment)) : undefined) ??
    listedPrice(where.model) ??
    listedPrice(afterProvider(where.model))
  );
}

// `provider/upstream-model` without its provider; the upstream model may hold a `/` itself.
function afterProvider(id: string): string {
  const slash = id.indexOf("/");
  return slash === -1 ? id : id.slice(slash + 1);
}
