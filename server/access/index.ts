/** Access control: key format and hashing, the access service, token estimates, rate-limit headers. */
export { createAccess, type Access, type AccessOptions, type Caller, type Outcome, type Reservation } from "./service.js";
export { accessConfigFrom, AccessEnv, PricesConfig, type AccessConfig } from "./config.js";
export { generateKey, hashKey, keyFromHeaders, keyIdOf, redactKey } from "./keys.js";
export { estimatePromptTokens, loadTokenizer, tokensOf } from "./estimate.js";
export { formatDuration, rateLimitHeaders } from "./headers.js";
export { createAdmin, type Admin, type KeyView } from "./admin.js";
export { openAccess, type AccessRuntime } from "./setup.js";
