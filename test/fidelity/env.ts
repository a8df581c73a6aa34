/**
 * The fidelity suite's setting: one replay upstream serving the whole vendor corpus, and two real
 * gateways in front of it, keys off and keys on (SQLite in memory, a key allowed every model). Every
 * fixture id is a model of one provider. One try per call and no cooldown: each request is one
 * upstream exchange, and a fixture that fails on purpose does not cool the deployment for the next.
 */
import { errorFixtures, streamFixtures } from "../fixtures/vendors/index.js";
import { createKey, startKeyedGateway } from "../helpers/access.js";
import { startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { startReplayUpstream, type ReplayUpstream } from "../helpers/replay-upstream.js";
import { loadConfig, type Config } from "../../server/config.js";
import type { Door } from "./clients.js";
import { meteredView } from "./metered-view.js";

/** The running setting. */
export interface FidelityEnv {
  replay: ReplayUpstream;
  /** Straight at the replay (it ignores the key). */
  upstream: Door;
  keysOff: { gateway: TestGateway; door: Door };
  keysOn: { gateway: TestGateway; door: Door };
  close(): Promise<void>;
}

export async function startFidelityEnv(): Promise<FidelityEnv> {
  // Each stream fixture also as the keys-on gateway should show it to a client that did not ask for usage.
  const replay = await startReplayUpstream([...streamFixtures, ...streamFixtures.map(meteredView)], errorFixtures);
  const { routing } = loadConfig({});
  const models = [...streamFixtures, ...errorFixtures].map((f) => f.id);
  const config: Partial<Config> = {
    routing: { ...routing, retry: { ...routing.retry, attempts: 1 }, cooldown: { failures: 1_000_000, cooldownMs: 0 } },
    providers: [upstreamProvider(replay.baseURL, models, { name: "replay" })],
  };
  const open = await startGateway(config);
  const keyed = await startKeyedGateway({}, config);
  const { key } = await createKey(keyed);
  return {
    replay,
    upstream: { baseURL: replay.baseURL, key: "sk-straight-at-the-replay" },
    keysOff: { gateway: open, door: { baseURL: `${open.baseURL}/v1`, key: "unused" } },
    keysOn: { gateway: keyed, door: { baseURL: `${keyed.baseURL}/v1`, key } },
    async close() {
      await Promise.all([open.close(100), keyed.close(100)]);
      await replay.close();
    },
  };
}
