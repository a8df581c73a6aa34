/** Rate limits and budget reservations: per-key RPM and TPM windows and worst-case budget holds, in memory or shared through Redis. */
export { createLimiter, type Limiter, type LimitSpec, type LimiterOptions, type TakeResult, type WindowState } from "./limiter.js";
export { createBudgets, type BudgetHold, type Budgets } from "./budget.js";
export { assertBoundedJson, MAX_INPUT_DEPTH } from "./json-bounds.js";
