/**
 * The attempt pipeline: for a model, try its deployments (balanced, skipping cooled ones) with
 * backoff, then its fallbacks in order; a context-window error switches to the context-window
 * fallbacks. Only failures before the first chunk are retried, so streamed content is never
 * duplicated. Only upstream faults count toward a deployment's cooldown. The caller leaving stops
 * everything, backoffs included.
 */
import type { IncomingHttpHeaders } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import {
  InternalError,
  LanguruError,
  ServiceUnavailableError,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
} from "../../shared/index.js";
import { log } from "../log.js";
import { relayedUpstreamHeaders } from "../providers/relayed-headers.js";
import { cooldownStarted, timeUpstream, upstreamFailed } from "../observability/hooks.js";
import type { RequestRecord } from "../observability/request.js";
import { attemptCompletion, attemptStream, type AttemptInput, type StreamObserver } from "./attempt.js";
import { pickDeployment } from "./balancer.js";
import { CallerAbortedError } from "./caller-aborted.js";
import type { Deployment } from "./deployment.js";
import { encodeRequest } from "./encode.js";
import type { ModelRegistry, RoutedModel } from "./registry.js";
import { isContextWindowError, isRetryable, isUpstreamFault, retryAfterMs, retryDelayMs } from "./retry-policy.js";
import { attemptLimits } from "./timers.js";

/** Which deployment answered, after how many tries. */
export interface RouteInfo {
  /** The public model that answered (a fallback's name when one did). */
  model: string;
  /** `provider/upstream-model`. */
  deployment: string;
  attempts: number;
}

/** A result and the route that produced it. */
export interface Routed<T> {
  value: T;
  route: RouteInfo;
  /** The answering upstream's headers a client may read (`relayed-headers.ts`); the door decides what it sends. */
  upstreamHeaders?: Record<string, string>;
}

/** Options of one routed call. */
export interface RouteOptions {
  signal: AbortSignal;
  /** The request it serves, for the access log and metrics. */
  record?: RequestRecord;
  /** The client's request headers, of which each provider forwards those it is configured to. */
  clientHeaders?: IncomingHttpHeaders;
}

/** Options of one routed stream: the observer sees every chunk (metering). */
export interface StreamRouteOptions extends RouteOptions {
  observer?: StreamObserver | null;
}

/** One whole completion, with retries and fallbacks. */
export function routeCompletion(registry: ModelRegistry, request: ChatCompletionRequest, options: RouteOptions): Promise<Routed<ChatCompletion>> {
  return route(registry, request, {
    signal: options.signal,
    record: options.record,
    clientHeaders: options.clientHeaders,
    stream: false,
    attempt: attemptCompletion,
  });
}

/** A stream that delivered its first chunk, with retries and fallbacks before it. */
export function routeStream(
  registry: ModelRegistry,
  request: ChatCompletionRequest,
  options: StreamRouteOptions,
): Promise<Routed<AsyncIterable<ChatCompletionChunk>>> {
  const observer = options.observer ?? null;
  return route(registry, request, {
    signal: options.signal,
    record: options.record,
    clientHeaders: options.clientHeaders,
    stream: true,
    attempt: (d, input) => attemptStream(d, input, observer),
  });
}

interface Plan<T> {
  signal: AbortSignal;
  record: RequestRecord | undefined;
  clientHeaders?: IncomingHttpHeaders;
  stream: boolean;
  attempt: (deployment: Deployment, input: AttemptInput) => Promise<T>;
}

async function route<T>(registry: ModelRegistry, request: ChatCompletionRequest, plan: Plan<T>): Promise<Routed<T>> {
  const { signal, record } = plan;
  const first = registry.resolve(request.model);
  const encoded = encodeRequest(request, plan.stream);
  const deadline = Date.now() + first.retry.budgetMs;
  const queue: string[] = [first.name, ...first.fallbacks];
  const visited = new Set<string>();
  let attempts = 0;
  let lastError: LanguruError | null = null;
  let answered: Record<string, string> | undefined;
  const call = {
    clientHeaders: plan.clientHeaders,
    answered: (headers: Record<string, string>) => {
      answered = headers;
    },
  };

  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (visited.has(name)) continue;
    visited.add(name);
    const model = name === first.name ? first : registry.resolve(name);
    const tried = new Set<Deployment>();
    for (let attempt = 1; attempt <= model.retry.attempts; attempt++) {
      const deployment = pickDeployment(model.deployments, model.strategy, tried);
      if (!deployment) {
        lastError ??= unavailable(model);
        break;
      }
      tried.add(deployment);
      attempts++;
      // Synchronous with the pick: a deployment back from cooldown lets exactly one probe through.
      deployment.health.begin();
      let error: LanguruError;
      try {
        const input = {
          request: encoded.request(deployment.upstreamModel),
          body: encoded.body(deployment.upstreamModel),
          signal,
          record,
          limits: attemptLimits(model.timeouts, deployment.provider.timeoutMs, plan.stream),
          call,
        };
        const value = await plan.attempt(deployment, input);
        deployment.health.success();
        const route = { model: model.name, deployment: deployment.id, attempts };
        return answered ? { value, route, upstreamHeaders: relayedUpstreamHeaders(answered) } : { value, route };
      } catch (err) {
        error = classify(err, signal);
        if (!(error instanceof CallerAbortedError)) upstreamFailed(record, deployment.id, error);
      }
      if (!isUpstreamFault(error)) deployment.health.release();
      else if (deployment.health.failure(Date.now(), cooldownHint(error))) cooldownStarted(record, deployment.id);
      if (error instanceof CallerAbortedError) throw error;
      if (isContextWindowError(error)) {
        lastError = error;
        queue.splice(0, queue.length, ...model.contextWindowFallbacks);
        break;
      }
      log.warn(
        { model: model.name, deployment: deployment.id, attempt, status: error.status, code: error.code, message: error.message },
        "upstream attempt failed",
      );
      if (!isRetryable(error)) throw error;
      lastError = error;
      if (attempt === model.retry.attempts) break;
      const delay = retryDelayMs(error, attempt, model.retry);
      if (Date.now() + delay >= deadline) {
        queue.length = 0;
        break;
      }
      await timeUpstream(
        record,
        sleep(delay, undefined, { signal }).catch(() => undefined),
      );
      if (signal.aborted) throw new CallerAbortedError();
    }
    if (Date.now() >= deadline) break;
  }
  throw lastError ?? new InternalError();
}

// What an attempt threw, in the one error model: anything not ours is a bug, not the upstream's fault.
function classify(err: unknown, signal: AbortSignal): LanguruError {
  if (signal.aborted || err instanceof CallerAbortedError) return err instanceof CallerAbortedError ? err : new CallerAbortedError();
  if (err instanceof LanguruError) return err;
  log.error({ err }, "unexpected error during an upstream attempt");
  return new InternalError();
}

// A rate limit (429) or an overloaded upstream (503) that said when to come back is not broken, only
// busy until then: that wait may shorten its cooldown. A failing upstream's retry-after does not.
function cooldownHint(error: LanguruError): number | null {
  return error.status === 429 || error.status === 503 ? retryAfterMs(error.headers) : null;
}

function unavailable(model: RoutedModel): ServiceUnavailableError {
  const wait = Math.min(...model.deployments.map((d) => d.health.waitMs()));
  return new ServiceUnavailableError(`every deployment of '${model.name}' is cooling down after repeated failures`, {
    headers: { "retry-after": String(Math.max(1, Math.ceil(wait / 1000))) },
  });
}
