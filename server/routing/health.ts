/**
 * Cooldown: a deployment that keeps failing is taken out of rotation for a while, then probed
 * again with one request; a success brings it back, a failure cools it down again. "A while" is
 * the policy's `cooldownMs`, or less when the failure that started it said when to come back
 * (a 429, or an overloaded 503, with `retry-after`): a one-second throttle must not become a 30-second outage.
 */
import type { CooldownSettings } from "../config.js";

/** What `GET /v1/deployments` shows of one deployment. */
export interface HealthSnapshot {
  state: "healthy" | "cooling" | "probing";
  consecutiveFailures: number;
  /** When a cooling deployment may be probed again (ISO time), else null. */
  cooldownUntil: string | null;
}

/** What a deployment's own calls report; shared with other replicas when they share health. */
export type HealthEvent = "failure" | "success";

/** The health of one deployment. */
export class DeploymentHealth {
  private failures = 0;
  private cooldownUntil = 0;
  private probing = false;
  /** A probe is out: until it ends, no other request may use the deployment. */
  private probeInFlight = false;

  /** `share` hears this replica's own outcomes (to publish them); `observe` applies other replicas' ones. */
  constructor(
    private policy: CooldownSettings,
    private readonly share: (event: HealthEvent, hintMs: number | null) => void = () => undefined,
  ) {}

  /** Applies an outcome another replica saw, so a deployment failing there cools down here too. */
  observe(event: HealthEvent, now = Date.now(), hintMs: number | null = null): void {
    if (event === "success") this.reset();
    else this.record(now, hintMs);
  }

  /** True while the deployment is out of rotation. */
  cooling(now = Date.now()): boolean {
    return now < this.cooldownUntil;
  }

  /** Milliseconds until it may be tried again (0 when it may now). */
  waitMs(now = Date.now()): number {
    return Math.max(0, this.cooldownUntil - now);
  }

  /** True when a request may use it now: healthy, or back from cooldown with no probe out yet. */
  available(now = Date.now()): boolean {
    return !this.probeInFlight && now >= this.cooldownUntil;
  }

  /** Marks the start of a call; after a cooldown the first call is the probe, and the only one until it ends. */
  begin(now = Date.now()): void {
    if (this.cooldownUntil !== 0 && now >= this.cooldownUntil) {
      this.probing = true;
      this.probeInFlight = true;
    }
  }

  /** A call succeeded. */
  success(): void {
    // Only a change is news: a healthy deployment's every success would flood the other replicas.
    const changed = this.failures > 0 || this.cooldownUntil !== 0;
    this.reset();
    if (changed) this.share("success", null);
  }

  /**
   * A call failed in a way that says something about the deployment (not the caller); true when
   * that started a cooldown. `hintMs`: how long the upstream asked to be left alone, if it did.
   */
  failure(now = Date.now(), hintMs: number | null = null): boolean {
    const started = this.record(now, hintMs);
    this.share("failure", hintMs);
    return started;
  }

  private reset(): void {
    this.failures = 0;
    this.cooldownUntil = 0;
    this.probing = false;
    this.probeInFlight = false;
  }

  private record(now: number, hintMs: number | null): boolean {
    this.failures++;
    this.probeInFlight = false;
    if (!this.probing && this.failures < this.policy.failures) return false;
    const started = !this.cooling(now);
    // The upstream's hint can shorten the cooldown, never lengthen it (an upstream cannot take itself out for a day).
    this.cooldownUntil = now + (hintMs === null ? this.policy.cooldownMs : Math.min(hintMs, this.policy.cooldownMs));
    this.probing = false;
    return started;
  }

  /** A call ended in a way that says nothing about the deployment (the caller's mistake or leaving): a probe may go again. */
  release(): void {
    this.probeInFlight = false;
  }

  /** Takes the policy of a reloaded config, keeping the state. */
  adopt(policy: CooldownSettings): void {
    this.policy = policy;
  }

  /** The visible state. */
  snapshot(now = Date.now()): HealthSnapshot {
    const state = this.cooling(now) ? "cooling" : this.cooldownUntil !== 0 ? "probing" : "healthy";
    return { state, consecutiveFailures: this.failures, cooldownUntil: this.cooling(now) ? new Date(this.cooldownUntil).toISOString() : null };
  }
}
