/** Joins a client socket to a new connection to `target`, both ends tracked in `sockets` and closed together. */
import { createConnection, type Socket } from "node:net";

/** Pipes `client` to a fresh connection to `target`; either side closing closes the other. */
export function pipeTo(client: Socket, target: { host: string; port: number }, sockets: Set<Socket>): void {
  const upstream = createConnection(target);
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
  }
  client.pipe(upstream).pipe(client);
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
}
