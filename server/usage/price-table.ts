/**
 * List prices of the common models of OpenAI, Anthropic and Google Gemini, in USD per million
 * tokens: input, cached input (a prompt-cache hit) and output. Used for the ledger's cost and for
 * spend budgets when the config file's `prices` names neither the deployment nor the model; the
 * config always wins (negotiated rates, other providers, new models).
 *
 * Figures: the providers' own pricing pages as of 2026-03 (standard tier, pay as you go):
 *   OpenAI     https://openai.com/api/pricing
 *   Anthropic  https://www.anthropic.com/pricing#api (cached input: a cache read, 0.1x input)
 *   Gemini     https://ai.google.dev/gemini-api/docs/pricing (prompts up to 200k tokens; cached: context caching)
 * What a table of one price per model cannot say is left out, so costs are estimates: Gemini's
 * higher rate past 200k prompt tokens, Anthropic's cache writes (1.25x input) and long-context
 * rates, batch and priority tiers, audio and image tokens.
 */
import type { Price } from "./prices.js";

const p = (input: number, cachedInput: number, output: number): Price => ({ input, cachedInput, output });

/** By the provider's model id (no date suffix: `listedPrice` strips one). */
export const LISTED_PRICES: Readonly<Record<string, Price>> = {
  // OpenAI
  "gpt-5": p(1.25, 0.125, 10),
  "gpt-5.1": p(1.25, 0.125, 10),
  "gpt-5-mini": p(0.25, 0.025, 2),
  "gpt-5-nano": p(0.05, 0.005, 0.4),
  "gpt-4.1": p(2, 0.5, 8),
  "gpt-4.1-mini": p(0.4, 0.1, 1.6),
  "gpt-4.1-nano": p(0.1, 0.025, 0.4),
  "gpt-4o": p(2.5, 1.25, 10),
  "gpt-4o-mini": p(0.15, 0.075, 0.6),
  o3: p(2, 0.5, 8),
  "o4-mini": p(1.1, 0.275, 4.4),
  "o3-mini": p(1.1, 0.55, 4.4),
  // Anthropic
  "claude-opus-4-5": p(5, 0.5, 25),
  "claude-opus-4-1": p(15, 1.5, 75),
  "claude-opus-4-0": p(15, 1.5, 75),
  "claude-sonnet-4-5": p(3, 0.3, 15),
  "claude-sonnet-4-0": p(3, 0.3, 15),
  "claude-haiku-4-5": p(1, 0.1, 5),
  "claude-3-7-sonnet": p(3, 0.3, 15),
  "claude-3-5-haiku": p(0.8, 0.08, 4),
  // Google Gemini
  "gemini-3.1-pro-preview": p(2, 0.2, 12),
  "gemini-3-pro-preview": p(2, 0.2, 12),
  "gemini-3-flash-preview": p(0.5, 0.05, 3),
  "gemini-2.5-pro": p(1.25, 0.125, 10),
  "gemini-2.5-flash": p(0.3, 0.03, 2.5),
  "gemini-2.5-flash-lite": p(0.1, 0.01, 0.4),
  "gemini-2.0-flash": p(0.1, 0.025, 0.4),
  "gemini-2.0-flash-lite": p(0.075, 0.075, 0.3),
};

// A dated or numbered snapshot has its model's price: `-20250929`, `-2024-08-06`, `-001`, `-latest`.
const SNAPSHOT = /-(\d{8}|\d{4}-\d{2}-\d{2}|\d{3}|latest)$/;
// Anthropic's aliases name the major version alone: `claude-sonnet-4` is `claude-sonnet-4-0`.
const MAJOR_ONLY = /^claude-(opus|sonnet)-4$/;

// Looked up twice per admitted call (the budget's worst case, then the settled cost), each time
// for the deployment's model and the requested one: the answers are kept, bounded, since model
// names are few but a client may send any (so the count and each name's length are bounded).
const known = new Map<string, Price | undefined>();
const MAX_KNOWN = 1_024;
const MAX_KNOWN_CHARS = 256;

/** The list price of a provider's model id, if the table has it. */
export function listedPrice(model: string): Price | undefined {
  if (known.has(model)) return known.get(model);
  const price = lookUp(model);
  if (model.length > MAX_KNOWN_CHARS) return price;
  if (known.size >= MAX_KNOWN) known.clear();
  known.set(model, price);
  return price;
}

function lookUp(model: string): Price | undefined {
  const id = model.replace(/^models\//, "");
  const undated = id.replace(SNAPSHOT, "");
  const name = MAJOR_ONLY.test(undated) ? `${undated}-0` : undated;
  for (const key of [id, name]) if (Object.hasOwn(LISTED_PRICES, key)) return LISTED_PRICES[key];
  return undefined;
}
