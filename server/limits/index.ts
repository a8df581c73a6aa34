/** Rate limits: per-key RPM and TPM windows, in memory or shared through Redis. */
export { createLimiter, type Limiter, type LimitSpec, type LimiterOptions, type TakeResult, type WindowState } from "./limiter.js";
