/**
 * Issue 16 item 10: state keyed by client-chosen names stays bounded. Every `provider/<name>`
 * address makes a deployment; with Redis each one was also registered for the other replicas'
 * health events and never forgotten (3 × 30k names: +214 MiB while the page showed 1,001). Now a
 * registry releases a registration when it forgets the deployment (eviction, or its retirement
 * after a reload), and a released registration never takes a newer one with it: the deployments
 * still listed keep hearing the other replicas. Real Redis pub/sub (skipped loudly without
 * REDIS_URL), and the same bounds without Redis.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../server/config.js";
import { DeploymentHealth } from "../../server/routing/health.js";
import { createModelRegistry, type ModelRegistry } from "../../server/routing/registry.js";
import { createSharedHealth, type SharedHealth } from "../../server/routing/shared-health.js";
import { upstreamProvider } from "../helpers/gateway.js";

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn("REDIS_URL is not set: the shared deployment-health bounds suite is SKIPPED");

// What a registry remembers of client-chosen addresses (server/routing/registry.ts), plus what is configured.
const MAX_ADDRESSED = 1_000;

/** A config with one provider (never called: resolving a name is what makes its state) serving `models`. */
function configWith(models: string[]): Config {
  const base = loadConfig({});
  return {
    ...base,
    providers: [upstreamProvider("http://127.0.0.1:9/v1", models)],
    routing: { ...base.routing, cooldown: { failures: 2, cooldownMs: 60_000 } },
  };
}

/** Resolves `count` distinct `fake/<name>` addresses, as that many requests would. */
function address(registry: ModelRegistry, round: string, count: number): void {
  for (let i = 0; i < count; i++) registry.resolve(`fake/${round}-${i}`);
}

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const stateOf = (registry: ModelRegistry, id: string) => registry.deployments().find((d) => d.id === id)?.state;

describe.skipIf(!REDIS_URL)("with Redis: shared deployment health", () => {
  const prefix = `languru-shared-state-${randomBytes(4).toString("hex")}`;
  const connections: Redis[] = [];
  /** One replica's shared health, on connections of its own. */
  const replica = (): SharedHealth => {
    const redis = new Redis(REDIS_URL!);
    const subscriber = new Redis(REDIS_URL!);
    connections.push(redis, subscriber);
    return createSharedHealth({ redis, subscriber, prefix, log: pino({ level: "silent" }) });
  };
  /** Resolves once `listener` hears `speaker` (its subscription is up). */
  const hears = async (listener: SharedHealth, speaker: SharedHealth) => {
    const probe = new DeploymentHealth({ failures: 1, cooldownMs: 60_000 });
    const release = listener.register("probe/subscribed", probe);
    await until(() => {
      speaker.publish("probe/subscribed", "failure");
      return probe.cooling();
    }, "subscribed");
    release();
  };
  let here: SharedHealth;
  let there: SharedHealth;
  const registries: ModelRegistry[] = [];
  beforeAll(async () => {
    here = replica();
    there = replica();
    await hears(here, there);
  });
  afterAll(async () => {
    for (const registry of registries) await registry.close();
    for (const connection of connections) connection.disconnect();
  });

  it("3 × 3,000 client-chosen addresses leave at most the registry's bound registered", async () => {
    const registry = createModelRegistry(configWith(["kept"]), { sharedHealth: here });
    registries.push(registry);
    const configured = registry.deployments().length;
    for (const round of ["a", "b", "c"]) address(registry, round, 3_000);
    expect(registry.deployments().length).toBeLessThanOrEqual(MAX_ADDRESSED + configured);
    expect(here.registered()).toBeLessThanOrEqual(MAX_ADDRESSED + configured);

    // What is still listed still hears the other replica: a configured deployment, and the newest address.
    for (const id of ["fake/kept", "fake/c-2999"]) {
      there.publish(id, "failure");
      there.publish(id, "failure");
      await until(() => stateOf(registry, id) === "cooling", `${id} cools from the other replica's failures`);
    }
    // A forgotten address asked for again is registered again and hears them too.
    registry.resolve("fake/a-0");
    there.publish("fake/a-0", "failure");
    there.publish("fake/a-0", "failure");
    await until(() => stateOf(registry, "fake/a-0") === "cooling", "a re-addressed deployment cools");
  });

  it("a reload's retired registry releases what only it had, and not what the new one took over", async () => {
    const before = here.registered();
    const old = createModelRegistry(configWith(["kept", "removed"]), { sharedHealth: here });
    address(old, "old", 1_500);
    const next = createModelRegistry(configWith(["kept", "added"]), { sharedHealth: here, previous: old });
    registries.push(next);
    await old.close();
    // `next` has echo, fake/kept and fake/added: the old addresses and fake/removed are gone.
    expect(here.registered() - before).toBeLessThanOrEqual(next.deployments().length);
    expect(here.registered() - before).toBeLessThanOrEqual(3);
    there.publish("fake/added", "failure");
    there.publish("fake/added", "failure");
    await until(() => stateOf(next, "fake/added") === "cooling", "a deployment the reload added cools");
  });

  it("ten reloads with fresh addresses each leave the registrations bounded", async () => {
    const before = here.registered();
    let current = createModelRegistry(configWith(["kept"]), { sharedHealth: here });
    for (let round = 0; round < 10; round++) {
      address(current, `reload-${round}`, 1_200);
      const next = createModelRegistry(configWith(["kept"]), { sharedHealth: here, previous: current });
      await current.close();
      current = next;
    }
    registries.push(current);
    expect(here.registered() - before).toBeLessThanOrEqual(current.deployments().length);
  });
});

describe("without Redis", () => {
  it("3 × 3,000 addresses and ten reloads keep the deployments and carried state bounded", async () => {
    let current = createModelRegistry(configWith(["kept"]));
    const configured = current.deployments().length;
    for (let round = 0; round < 10; round++) {
      address(current, `r${round}`, 3_000);
      expect(current.deployments().length).toBeLessThanOrEqual(MAX_ADDRESSED + configured);
      const next = createModelRegistry(configWith(["kept"]), { previous: current });
      await current.close();
      current = next;
      expect(current.states().size).toBeLessThanOrEqual(MAX_ADDRESSED + configured);
    }
    await current.close();
  });
});
