/** A round-robin TCP load balancer on a real socket: each new connection goes to the next target, no sticky sessions. */
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { pipeTo } from "./tcp-pipe.js";

/** A running balancer. */
export interface Balancer {
  url: string;
  /** How many connections each target received, in target order. */
  counts: number[];
  /** Drops every open connection (the clients reconnect through the balancer). */
  dropAll(): void;
  close(): Promise<void>;
}

/** Balances 127.0.0.1:<random port> over `targets` (`http://host:port` URLs). */
export async function startBalancer(targets: string[]): Promise<Balancer> {
  const parsed = targets.map((t) => new URL(t));
  const counts = parsed.map(() => 0);
  const sockets = new Set<Socket>();
  let next = 0;
  const server = createServer((client) => {
    const index = next++ % parsed.length;
    counts[index]!++;
    const target = parsed[index]!;
    pipeTo(client, { host: target.hostname, port: Number(target.port) }, sockets);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    dropAll() {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
