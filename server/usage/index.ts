/** The usage ledger: batched writes of one row per request, and prices. */
export { createLedger, type Ledger, type LedgerOptions, type LedgerStats } from "./ledger.js";
export { costOf, type Price, type PriceTable } from "./prices.js";
