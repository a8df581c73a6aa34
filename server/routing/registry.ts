/**
 * The model registry: public names (and aliases) to deployments, `provider/model` addressing for
 * any model of a configured provider, and optional discovery of a provider's own model list.
 */
import { InvalidRequestError, NotFoundError, type Model } from "../../shared/index.js";
import type { Config, ModelSettings, ProviderSettings, RetrySettings, TimeoutSettings } from "../config.js";
import { log } from "../log.js";
import { createEchoProvider } from "../providers/echo.js";
import { createProvider } from "../providers/index.js";
import type { Provider } from "../providers/types.js";
import { rememberSecrets } from "../providers/upstream-errors.js";
import type { Strategy } from "./balancer.js";
import type { Deployment, DeploymentSnapshot } from "./deployment.js";
import { DeploymentHealth } from "./health.js";
import { settledWithin } from "../lib/settled-within.js";
import type { SharedHealth } from "./shared-health.js";

/** A public model as the router sees it. */
export interface RoutedModel {
  name: string;
  deployments: Deployment[];
  strategy: Strategy;
  fallbacks: string[];
  contextWindowFallbacks: string[];
  timeouts: TimeoutSettings;
  retry: RetrySettings;
}

/** What a deployment carries over a reload. */
export interface CarriedState {
  load: Deployment["load"];
  health: Deployment["health"];
  /** The public model it was listed under. */
  model: string;
}

/** Resolves model names, lists what is routable, and shows deployment health. */
export interface ModelRegistry {
  /** The model for a name, alias or `provider/model`; throws NotFoundError (404 `model_not_found`). */
  resolve(name: string): RoutedModel;
  /** Every routable model, as `GET /v1/models` lists it. */
  list(): Model[];
  /** Health and load of every deployment. */
  deployments(): DeploymentSnapshot[];
  /** Requests in flight on this registry (not those of a newer one sharing a deployment's state). */
  inFlight(): number;
  /** Every deployment's load and health by id, which a reloaded registry takes over. */
  states(): Map<string, CarriedState>;
  /** Resolves once the first discovery round ended (at most a few seconds). */
  ready: Promise<void>;
  /** Stops discovery, stops hearing other replicas' health events for its deployments, and closes the providers' connections. */
  close(): Promise<void>;
}

const DISCOVERY_STARTUP_WAIT_MS = 3_000;
// Client-chosen names must not grow state or logs: a bounded length, and the least recently used
// `provider/model` addresses are forgotten (with their health) past this many.
const MAX_MODEL_NAME_LENGTH = 256;
const MAX_ADDRESSED = 1_000;

/** What a registry is built with besides its config. */
export interface RegistryOptions {
  /** Deployment health shared through Redis; absent, each replica keeps its own. */
  sharedHealth?: SharedHealth;
  /**
   * The registry a reload replaces: a deployment that still exists keeps its in-flight count and
   * cooldown state, so old streams stay visible and a sick upstream stays out.
   */
  previous?: ModelRegistry;
}

/** Builds the registry from a config. */
export function createModelRegistry(config: Config, options: RegistryOptions = {}): ModelRegistry {
  const shared = options.sharedHealth;
  const previous = options.previous;
  const created = Math.floor(Date.now() / 1000);
  rememberSecrets(config.providers.flatMap((p) => [p.apiKey, ...Object.values(p.headers)]));
  const providers = new Map<string, { provider: Provider; settings: ProviderSettings | null }>();
  providers.set("languru", { provider: createEchoProvider({ delayMs: config.echoDelayMs }), settings: null });
  for (const settings of config.providers) providers.set(settings.name, { provider: createProvider(settings), settings });

  // One Deployment object per provider/model, so health and load are shared by every name using it.
  const deploymentsById = new Map<string, Deployment>();
  // Taken once: holding `previous` itself would chain every registry ever loaded.
  const carry = previous?.states() ?? new Map<string, CarriedState>();
  const active = { count: 0 };
  // Each deployment's subscription to the other replicas' health events, released when this registry forgets it.
  const registrations = new Map<string, () => void>();
  const deployment = (providerName: string, upstreamModel: string, weight = 1): Deployment => {
    const id = `${providerName}/${upstreamModel}`;
    let d = deploymentsById.get(id);
    if (!d) {
      const provider = providers.get(providerName)!.provider;
      const carried = carry.get(id);
      carried?.health.adopt(config.routing.cooldown);
      const load = carried?.load ?? { inFlight: 0 };
      const health =
        carried?.health ?? new DeploymentHealth(config.routing.cooldown, shared ? (event, hintMs) => shared.publish(id, event, hintMs) : undefined);
      if (shared) registrations.set(id, shared.register(id, health));
      d = { id, provider, upstreamModel, weight, load, health, active };
      deploymentsById.set(id, d);
    }
    return weight === d.weight ? d : { ...d, weight };
  };
  const model = (name: string, deployments: Deployment[], settings?: ModelSettings): RoutedModel => ({
    name,
    deployments,
    strategy: settings?.strategy ?? "weighted",
    fallbacks: settings?.fallbacks ?? [],
    contextWindowFallbacks: settings?.contextWindowFallbacks ?? [],
    timeouts: { ...config.routing.timeouts, ...settings?.timeouts },
    retry: { ...config.routing.retry, ...settings?.retry },
  });

  const models = new Map<string, RoutedModel>();
  models.set("echo", model("echo", [deployment("languru", "echo")]));
  for (const settings of config.providers) {
    for (const entry of settings.models) {
      const [name, upstream] = typeof entry === "string" ? [entry, entry] : [entry.name, entry.upstream];
      models.set(name, model(name, [deployment(settings.name, upstream)]));
    }
  }
  for (const settings of config.models) {
    const routed = model(
      settings.name,
      settings.deployments.map((d) => deployment(d.provider, d.model, d.weight)),
      settings,
    );
    for (const name of [settings.name, ...settings.aliases]) models.set(name, routed);
  }

  const forget = (id: string) => {
    deploymentsById.delete(id);
    registrations.get(id)?.();
    registrations.delete(id);
  };

  const discovered = new Map<string, Set<string>>();
  const configured = new Set(deploymentsById.keys());
  const addressed = new Map<string, RoutedModel>();
  const byAddress = (name: string): RoutedModel | undefined => {
    const slash = name.indexOf("/");
    if (slash <= 0 || slash === name.length - 1) return undefined;
    const providerName = name.slice(0, slash);
    if (providerName === "languru" || !providers.has(providerName)) return undefined;
    let routed = addressed.get(name);
    if (routed) addressed.delete(name);
    else routed = model(name, [deployment(providerName, name.slice(slash + 1))]);
    addressed.set(name, routed);
    if (addressed.size > MAX_ADDRESSED) {
      const [oldest, evicted] = addressed.entries().next().value as [string, RoutedModel];
      addressed.delete(oldest);
      for (const d of evicted.deployments) if (!configured.has(d.id)) forget(d.id);
    }
    return routed;
  };

  const modelNames = () => {
    const names = new Map<string, string>();
    for (const routed of [...models.values(), ...addressed.values()]) for (const d of routed.deployments) names.set(d.id, routed.name);
    return names;
  };

  const abort = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const discover = async (name: string, provider: Provider) => {
    try {
      const ids = await provider.listModels?.(AbortSignal.any([abort.signal, AbortSignal.timeout(10_000)]));
      if (ids) discovered.set(name, new Set(ids));
    } catch (err) {
      if (!abort.signal.aborted) log.warn({ provider: name, err: (err as Error).message }, "model discovery failed; keeping the last list");
    }
  };
  const rounds: Promise<void>[] = [];
  for (const settings of config.providers) {
    if (settings.discovery === false) continue;
    const { provider } = providers.get(settings.name)!;
    const intervalMs = settings.discovery === true ? 60_000 : settings.discovery.intervalMs;
    rounds.push(discover(settings.name, provider));
    const timer = setInterval(() => void discover(settings.name, provider), intervalMs);
    timer.unref();
    timers.push(timer);
  }
  const ready = settledWithin(Promise.all(rounds), DISCOVERY_STARTUP_WAIT_MS);

  return {
    resolve(name) {
      if (name.length > MAX_MODEL_NAME_LENGTH) {
        throw new InvalidRequestError(`The model name is longer than ${MAX_MODEL_NAME_LENGTH} characters.`, { param: "model", code: "model_name_too_long" });
      }
      const routed = models.get(name) ?? byAddress(name);
      if (!routed) {
        throw new NotFoundError(`The model '${name}' does not exist or you do not have access to it.`, { param: "model", code: "model_not_found" });
      }
      return routed;
    },
    list() {
      const out = new Map<string, Model>();
      const add = (id: string, ownedBy: string) => out.has(id) || out.set(id, { id, object: "model", created, owned_by: ownedBy });
      for (const [name, routed] of models) add(name, routed.deployments[0]!.provider.name);
      for (const settings of config.providers) {
        for (const entry of settings.models) add(`${settings.name}/${typeof entry === "string" ? entry : entry.upstream}`, settings.name);
        for (const id of discovered.get(settings.name) ?? []) add(`${settings.name}/${id}`, settings.name);
      }
      return [...out.values()];
    },
    deployments() {
      const names = modelNames();
      const own = [...deploymentsById.values()].map((d) => ({
        id: d.id,
        model: names.get(d.id) ?? d.upstreamModel,
        inFlight: d.load.inFlight,
        ...d.health.snapshot(),
      }));
      // Deployments the reload removed still show while their old requests run.
      const leaving = [...carry].filter(([id, state]) => !deploymentsById.has(id) && state.load.inFlight > 0);
      return [...own, ...leaving.map(([id, state]) => ({ id, model: state.model, inFlight: state.load.inFlight, ...state.health.snapshot() }))];
    },
    inFlight: () => active.count,
    states() {
      const names = modelNames();
      const out = new Map<string, CarriedState>();
      for (const [id, state] of carry) if (state.load.inFlight > 0) out.set(id, state);
      for (const d of deploymentsById.values()) out.set(d.id, { load: d.load, health: d.health, model: names.get(d.id) ?? d.upstreamModel });
      return out;
    },
    ready,
    async close() {
      abort.abort();
      // A registration a newer registry made for the same deployment stays: releasing a replaced one does nothing.
      for (const release of registrations.values()) release();
      registrations.clear();
      for (const timer of timers) clearInterval(timer);
      await Promise.all([...providers.values()].map(({ provider }) => provider.close?.()));
    },
  };
}
