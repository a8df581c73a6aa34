/**
 * One syscall per event-loop turn instead of one per frame. A stream's chunks often arrive
 * together (one upstream read carries several SSE events; one WebSocket carries many streams),
 * and each frame written alone costs a `writev`: in the bench profiles the largest single item of
 * the gateway's CPU. Corking the socket while a turn writes, and uncorking it at the turn's end
 * (`setImmediate`), sends them together; the frames themselves, and their order, are unchanged.
 */

/** The part of a socket (`net.Socket`) this needs. */
interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed?: boolean;
}

const held = new WeakSet<Corkable>();

/** Holds the socket's writes until the end of this event-loop turn; call before each write. */
export function coalesceWrites(socket: Corkable | null | undefined): void {
  if (!socket || held.has(socket) || socket.destroyed) return;
  held.add(socket);
  socket.cork();
  setImmediate(release, socket);
}

function release(socket: Corkable): void {
  held.delete(socket);
  socket.uncork();
}
