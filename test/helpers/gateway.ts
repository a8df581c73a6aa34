/** Starts a real gateway on an ephemeral port for one test file. */
import { EventSource } from "eventsource";
import { WebSocket } from "ws";
import { createLanguruClient, type LanguruClientOptions } from "../../client/index.js";
import { loadConfig, type Config, type ProviderSettings } from "../../server/config.js";
import { listen, type Gateway } from "../../server/http.js";

/** A gateway that listens on 127.0.0.1 with a random port. */
export interface TestGateway extends Gateway {
  baseURL: string;
}

/** Starts a gateway with default config plus `overrides`; stop it with `close()`. */
export async function startGateway(overrides: Partial<Config> = {}): Promise<TestGateway> {
  const config: Config = { ...loadConfig({}), port: 0, host: "127.0.0.1", ...overrides };
  const gateway = await listen(config);
  return Object.assign(gateway, { baseURL: gateway.url() });
}

/** A provider entry pointing at a fake upstream. */
export function upstreamProvider(baseURL: string, models: ProviderSettings["models"], extra: Partial<ProviderSettings> = {}): ProviderSettings {
  return {
    name: "fake",
    kind: "openai-compatible",
    baseURL,
    apiKey: "sk-test-secret-key-123456",
    headers: {},
    timeoutMs: 5_000,
    discovery: false,
    models,
    ...extra,
  };
}

/** The typed SDK client for a gateway (WebSocket by default; `transport: "http"` for the fallback), with Node 20's missing globals. */
export function sdk(gateway: TestGateway, options: Partial<LanguruClientOptions> = {}) {
  return createLanguruClient({
    url: gateway.baseURL,
    WebSocket,
    EventSource: EventSource as unknown as typeof globalThis.EventSource,
    ...options,
  });
}
