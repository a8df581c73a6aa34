/** Cost of a request from configured prices (USD per million tokens). */

/** Price of one model or deployment, USD per 1M tokens. */
export interface Price {
  input: number;
  output: number;
}

/** Prices by deployment id (`provider/upstream-model`) or public model name; the deployment wins. */
export type PriceTable = Record<string, Price>;

/** The cost in USD, or null when neither the deployment nor the model has a price. */
export function costOf(
  prices: PriceTable,
  where: { deployment: string | null; model: string },
  usage: { promptTokens: number; completionTokens: number },
): number | null {
  const price = (where.deployment ? prices[where.deployment] : undefined) ?? prices[where.model];
  if (!price) return null;
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
}
