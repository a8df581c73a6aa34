/** Picks the deployment for the next try: weighted random or least busy, skipping cooled ones. */
import type { Deployment } from "./deployment.js";

/** How a model spreads requests over its deployments. */
export type Strategy = "weighted" | "least-busy";

/**
 * Returns a deployment that may take a request (not cooling, no probe out), preferring those not yet
 * tried by this request, or null when none may.
 */
export function pickDeployment(deployments: Deployment[], strategy: Strategy, tried: ReadonlySet<Deployment>, random = Math.random): Deployment | null {
  const now = Date.now();
  const ready = deployments.filter((d) => d.health.available(now));
  if (ready.length === 0) return null;
  const fresh = ready.filter((d) => !tried.has(d));
  const pool = fresh.length > 0 ? fresh : ready;
  if (strategy === "least-busy") {
    const least = Math.min(...pool.map((d) => d.load.inFlight));
    return weighted(
      pool.filter((d) => d.load.inFlight === least),
      random,
    );
  }
  return weighted(pool, random);
}

function weighted(pool: Deployment[], random: () => number): Deployment {
  const total = pool.reduce((sum, d) => sum + d.weight, 0);
  let point = random() * total;
  for (const d of pool) {
    point -= d.weight;
    if (point < 0) return d;
  }
  return pool[pool.length - 1]!;
}
