/**
 * The one chat service behind both doors (tRPC and REST). The doors only translate; every
 * decision (normalizing, routing, retries, fallbacks, timeouts) lives here once. A reload swaps
 * the registry for new requests while in-flight ones finish on the old one.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, Model } from "../../shared/index.js";
import type { Caller } from "../access/index.js";
import type { Config } from "../config.js";
import type { RequestRecord } from "../observability/request.js";
import type { StreamObserver } from "../routing/attempt.js";
import type { DeploymentSnapshot } from "../routing/deployment.js";
import { createModelRegistry, type ModelRegistry, type RegistryOptions } from "../routing/registry.js";
import { routeCompletion, routeStream, type Routed } from "../routing/router.js";

/** Options of one call; the signal comes from the door and reaches the upstream request. */
export interface CallOptions {
  signal: AbortSignal;
  /** Who is calling, once a door authenticated them; required when keys are on (see `meterChat`). */
  caller?: Caller;
  /** Sees a stream's chunks as they pass and its end (metering); ignored for whole completions. */
  observer?: StreamObserver | null;
  /** The request this call serves (access log, metrics); absent outside a tracked request. */
  record?: RequestRecord;
  /** The client's request headers (providers forward those they are configured to). */
  clientHeaders?: IncomingHttpHeaders;
}

/** A routed result plus the response headers the door should send (`x-ratelimit-*`). */
export type Served<T> = Routed<T> & { headers?: Record<string, string> };

/** Chat completions for any routable model. */
export interface ChatService {
  /** One whole completion, and the route that produced it. */
  complete(request: ChatCompletionRequest, options: CallOptions): Promise<Served<ChatCompletion>>;
  /** Opens a stream; settles once its first chunk arrived, so every earlier failure was retryable and is a plain error. */
  stream(request: ChatCompletionRequest, options: CallOptions): Promise<Served<AsyncIterable<ChatCompletionChunk>>>;
  /** Every routable model. */
  models(): Model[];
  /** Whether a chat call for `name` would be routed: a listed model, an alias, or a `provider/model` address. */
  routable(name: string): boolean;
  /** Health and load of every deployment. */
  deployments(): DeploymentSnapshot[];
  /** Resolves once model discovery had its first round. */
  ready(): Promise<void>;
  /** Takes a new config for new requests; the old registry closes once its requests are done. */
  reload(config: Config): Promise<void>;
  /** Closes every provider connection. */
  close(): Promise<void>;
}

/** Creates the chat service for a config. */
export function createChatService(config: Config, options: Pick<RegistryOptions, "sharedHealth"> = {}): ChatService {
  let registry: ModelRegistry = createModelRegistry(config, options);

  return {
    complete: (request, { signal, record, clientHeaders }) => routeCompletion(registry, request, { signal, record, clientHeaders }),
    stream: (request, { signal, observer, record, clientHeaders }) => routeStream(registry, request, { signal, observer, record, clientHeaders }),
    models: () => registry.list(),
    routable(name) {
      try {
        registry.resolve(name);
        return true;
      } catch {
        return false;
      }
    },
    deployments: () => registry.deployments(),
    ready: () => registry.ready,
    async reload(next) {
      const old = registry;
      registry = createModelRegistry(next, { ...options, previous: old });
      await registry.ready;
      void retire(old, next.shutdownGraceMs);
    },
    close: () => registry.close(),
  };
}

// Waits for the old registry's in-flight requests (bounded), then closes its connections.
async function retire(old: ModelRegistry, boundMs: number): Promise<void> {
  const until = Date.now() + boundMs;
  while (old.inFlight() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100).unref());
  await old.close();
}
