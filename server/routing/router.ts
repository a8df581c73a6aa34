/**
 * The one retry loop: for a model, try its deployments (balanced, skipping cooled ones) with
 * backoff, then its fallbacks in order; a context-window error switches to the context-window
 * fallbacks. Only failures before the first chunk are retried, so streamed content is never
 * duplicated. The caller leaving stops everything, backoffs included.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { InternalError, LanguruError, ServiceUnavailableError, UpstreamError, type ChatCompletionRequest } from "../../shared/index.js";
import type { UpstreamRequest } from "../providers/types.js";
import { pickDeployment } from "./balancer.js";
import type { Deployment } from "./deployment.js";
import type { ModelRegistry, RoutedModel } from "./registry.js";
import { isContextWindowError, isRetryable, retryDelayMs } from "./retry-policy.js";
import { CallerAbortedError } from "./timeouts.js";
import { log } from "../log.js";
import { timeUpstream, upstreamFailed } from "../observability/hooks.js";

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
}

/** Calls one deployment; `completeWithin` or `streamWithin`. */
export type DeploymentCall<T> = (deployment: Deployment, request: UpstreamRequest, signal: AbortSignal, model: RoutedModel) => Promise<T>;

/** Runs `call` with retries and fallbacks for the request's model. */
export async function route<T>(registry: ModelRegistry, request: ChatCompletionRequest, signal: AbortSignal, call: DeploymentCall<T>): Promise<Routed<T>> {
  const first = registry.resolve(request.model);
  const deadline = Date.now() + first.retry.budgetMs;
  const queue: string[] = [first.name, ...first.fallbacks];
  const visited = new Set<string>();
  let attempts = 0;
  let lastError: LanguruError | null = null;

  while (queue.length > 0) {
    const name = queue.shift()!;
    if (visited.has(name)) continue;
    visited.add(name);
    const model = name === first.name ? first : registry.resolve(name);
    const tried = new Set<Deployment>();
    for (let attempt = 1; attempt <= model.retry.attempts; attempt++) {
      const deployment = pickDeployment(model.deployments, model.strategy, tried);
      if (!deployment) {
        const wait = Math.min(...model.deployments.map((d) => d.health.waitMs()));
        lastError ??= new ServiceUnavailableError(`every deployment of '${model.name}' is cooling down after repeated failures`, {
          headers: { "retry-after": String(Math.max(1, Math.ceil(wait / 1000))) },
        });
        break;
      }
      tried.add(deployment);
      attempts++;
      deployment.health.begin();
      try {
        const value = await call(deployment, toUpstream(request, deployment.upstreamModel), signal, model);
        deployment.health.success();
        return { value, route: { model: model.name, deployment: deployment.id, attempts } };
      } catch (err) {
        if (signal.aborted || err instanceof CallerAbortedError) throw new CallerAbortedError();
        const error = err instanceof LanguruError ? err : new UpstreamError(`upstream '${deployment.id}' failed`);
        upstreamFailed(deployment.id, error);
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
        deployment.health.failure();
        lastError = error;
        if (attempt === model.retry.attempts) break;
        const delay = retryDelayMs(error, attempt, model.retry);
        if (Date.now() + delay >= deadline) {
          queue.length = 0;
          break;
        }
        await timeUpstream(sleep(delay, undefined, { signal }).catch(() => undefined));
        if (signal.aborted) throw new CallerAbortedError();
      }
    }
    if (Date.now() >= deadline) break;
  }
  throw lastError ?? new InternalError();
}

/** The seed document's `prompt` shorthand becomes one user message; `model` becomes the upstream's name. */
export function toUpstream(request: ChatCompletionRequest, upstreamModel: string): UpstreamRequest {
  const { prompt, messages, ...rest } = request;
  return { ...rest, model: upstreamModel, messages: messages ?? [{ role: "user", content: prompt ?? "" }] };
}
