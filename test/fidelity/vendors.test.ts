/**
 * Issue 17 (tests): every vendor fixture through every client, keys off and on, equal through the
 * gateway and straight at the upstream (keys on, for a client that did not ask for usage: equal to
 * the metered view, `metered-view.ts`).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { errorCases, streamCases } from "./cases.js";
import { startFidelityEnv, type FidelityEnv } from "./env.js";

let env: FidelityEnv;
beforeAll(async () => {
  env = await startFidelityEnv();
});
afterAll(() => env?.close());

describe("vendor streams: through the gateway as straight at the upstream", () => {
  for (const c of streamCases) it(c.name, () => c.run(env));
});

describe("vendor error bodies: the vendor's status and words, or the generic wording for a hidden failure", () => {
  for (const c of errorCases) it(c.name, () => c.run(env));
});
