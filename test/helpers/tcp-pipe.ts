/** Joins a client socket to a new connection to `target`, both ends tracked in `sockets` and closed together. */
import { createConnection, type Socket } from "node:net";

/**
 * Pipes `client` to a fresh connection to `target`; either side closing closes the other. With
 * `delayMs`, every piece of data waits that long in each direction (a slow link; order is kept).
 */
export function pipeTo(client: Socket, target: { host: string; port: number }, sockets: Set<Socket>, delayMs = 0): void {
  const upstream = createConnection(target);
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
  }
  if (delayMs > 0) {
    const later = (from: Socket, to: Socket) => from.on("data", (data: Buffer) => setTimeout(() => to.destroyed || to.write(data), delayMs));
    later(client, upstream);
    later(upstream, client);
  } else client.pipe(upstream).pipe(client);
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
}
