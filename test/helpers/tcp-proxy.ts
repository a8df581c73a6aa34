/**
 * A TCP pass-through on a real socket that a test can cut (every connection dropped, new ones
 * refused) and restore: a store outage on demand; or a slow link, each piece of data delayed.
 */
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { pipeTo } from "./tcp-pipe.js";

/** A running proxy. */
export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones. */
  cut(): void;
  restore(): void;
  /** From now on, each piece of data waits `ms` in each direction (0: none). */
  delay(ms: number): void;
  close(): Promise<void>;
}

/** Proxies 127.0.0.1:<random port> to `target`; `delayMs` makes it a slow link from the start. */
export async function startTcpProxy(target: { host: string; port: number }, options: { delayMs?: number } = {}): Promise<TcpProxy> {
  let delayMs = options.delayMs ?? 0;
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    client.on("error", () => undefined);
    if (down) return void client.destroy();
    pipeTo(client, target, sockets, () => delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      down = false;
    },
    delay(ms) {
      delayMs = ms;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
