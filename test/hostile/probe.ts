/** Helpers of the hostile-input suite: is the event loop still answering, and raw-socket clients. */
import { connect, type Socket } from "node:net";

/** How long a concurrent `GET /v1/models` may take while an attack runs (generous: a loaded 2-core box). */
export const RESPONSIVE_MS = 1_000;

/** Times one `GET /v1/models` (with an optional key). */
export async function modelsLatency(baseURL: string, key?: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${baseURL}/v1/models`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET /v1/models answered ${res.status}`);
  return performance.now() - started;
}

/**
 * Runs `attack` and, meanwhile, probes `GET /v1/models` every 50 ms; returns the attack's result
 * and the slowest probe. The probes start once the attack is under way.
 */
export async function whileProbing<T>(baseURL: string, attack: () => Promise<T>, key?: string): Promise<{ result: T; slowestProbeMs: number }> {
  let running = true;
  let slowest = 0;
  const probing = (async () => {
    await new Promise((r) => setTimeout(r, 20));
    do {
      slowest = Math.max(slowest, await modelsLatency(baseURL, key));
      await new Promise((r) => setTimeout(r, 50));
    } while (running);
  })();
  try {
    const result = await attack();
    return { result, slowestProbeMs: slowest };
  } finally {
    running = false;
    await probing;
  }
}

/** A raw TCP connection to the gateway, with everything it received and when it closed. */
export interface RawConnection {
  socket: Socket;
  received(): string;
  /** Resolves with the ms from open to close. */
  closed: Promise<number>;
}

/** Opens a raw connection to the gateway's host and port. */
export async function rawConnection(baseURL: string): Promise<RawConnection> {
  const url = new URL(baseURL);
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const opened = Date.now();
  let text = "";
  socket.on("data", (d: Buffer) => {
    text += d.toString("latin1");
  });
  socket.on("error", () => undefined);
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now() - opened)));
  return { socket, received: () => text, closed };
}

/** Resolves with `promise`, or rejects after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what = "operation"): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}
