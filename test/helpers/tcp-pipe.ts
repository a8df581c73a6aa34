/** Joins a client socket to a new connection to `target`, both ends tracked in `sockets` and closed together. */
import { createConnection, type Socket } from "node:net";

/**
 * Pipes `client` to a fresh connection to `target`; either side closing closes the other. With
 * `delayMs` (read for each piece of data), data waits that long in each direction: a slow link.
 * Order is kept while the delay does not shrink.
 */
export function pipeTo(client: Socket, target: { host: string; port: number }, sockets: Set<Socket>, delayMs?: () => number): void {
  const upstream = createConnection(target);
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
  }
  if (delayMs) {
    const later = (from: Socket, to: Socket) =>
      from.on("data", (data: Buffer) => {
        const ms = delayMs();
        if (ms <= 0) to.write(data);
        else setTimeout(() => to.destroyed || to.write(data), ms);
      });
    later(client, upstream);
    later(upstream, client);
  } else client.pipe(upstream).pipe(client);
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
}
