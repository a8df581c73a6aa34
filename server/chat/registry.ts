/** The model registry: which public model name goes to which provider and upstream model. */
import { NotFoundError, type Model } from "../../shared/index.js";
import type { Config } from "../config.js";
import { createEchoProvider } from "../providers/echo.js";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible.js";
import type { Provider } from "../providers/types.js";

/** Where one public model name goes. */
export interface Route {
  provider: Provider;
  upstreamModel: string;
}

/** Resolves model names and lists what is routable. */
export interface ModelRegistry {
  /** The route for a model name; throws NotFoundError (404 `model_not_found`) for an unknown one. */
  resolve(model: string): Route;
  /** Every routable model, as `GET /v1/models` lists it. */
  list(): Model[];
}

/** Builds the registry: the built-in `echo` model plus every configured provider's models. */
export function createModelRegistry(config: Config): ModelRegistry {
  const routes = new Map<string, Route>();
  const created = Math.floor(Date.now() / 1000);
  routes.set("echo", { provider: createEchoProvider({ delayMs: config.echoDelayMs }), upstreamModel: "echo" });
  for (const settings of config.providers) {
    const provider = createOpenAICompatibleProvider(settings);
    for (const entry of settings.models) {
      const [name, upstreamModel] = typeof entry === "string" ? [entry, entry] : [entry.name, entry.upstream];
      routes.set(name, { provider, upstreamModel });
    }
  }
  const models: Model[] = [...routes].map(([id, route]) => ({ id, object: "model", created, owned_by: route.provider.name }));

  return {
    resolve(model) {
      const route = routes.get(model);
      if (!route) {
        throw new NotFoundError(`The model '${model}' does not exist or you do not have access to it.`, {
          param: "model",
          code: "model_not_found",
        });
      }
      return route;
    },
    list: () => models,
  };
}
