/** A deployment: one provider serving one upstream model, with its load and health. */
import type { Provider } from "../providers/types.js";
import type { DeploymentHealth, HealthSnapshot } from "./health.js";

/** One place a model can be served from. */
export interface Deployment {
  /** `provider/upstream-model`, as `x-languru-model-deployment` names it. */
  id: string;
  provider: Provider;
  upstreamModel: string;
  /** This model's share of traffic for it; the same deployment may carry other weights elsewhere. */
  weight: number;
  /** Requests in flight now (least-busy balancing reads it); shared by every model using the deployment. */
  load: { inFlight: number };
  /** Requests in flight on this registry's instance (a reload retires the old one once it reaches 0). */
  active: { count: number };
  health: DeploymentHealth;
}

/** What the deployments endpoint shows of one deployment. */
export interface DeploymentSnapshot extends HealthSnapshot {
  id: string;
  model: string;
  inFlight: number;
}
