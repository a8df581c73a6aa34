/**
 * Reads an HTTP message body (a request on the REST door, an upstream's answer) to the end as
 * UTF-8, holding at most `limitBytes`. Read from `data` events: a stream's async iterator costs
 * several promises per chunk. Over the limit, or when the body is cut before its end, the promise
 * rejects with the error the caller makes for it and reading stops (the caller decides what becomes
 * of the rest: a lingering close, or a destroyed upstream socket).
 */
import type { IncomingMessage } from "node:http";

/** The errors a caller gives each way a body can fail to arrive. */
export interface BodyErrors {
  tooLarge(): Error;
  /** The body ended before it was complete (the peer closed, reset, or a deadline cut it). */
  cut(): Error;
}

/** The whole body as text; rejects with `errors.tooLarge()` past `limitBytes`, `errors.cut()` when it does not complete. */
export function readText(body: IncomingMessage, limitBytes: number, errors: BodyErrors): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (part: Buffer) => {
      size += part.length;
      if (size <= limitBytes) return void parts.push(part);
      finish(errors.tooLarge());
    };
    const onEnd = () => finish(null);
    const onCut = () => finish(errors.cut());
    const onClose = () => {
      if (!body.complete) onCut();
    };
    const finish = (err: Error | null) => {
      body.off("data", onData);
      body.off("end", onEnd);
      body.off("error", onCut);
      body.off("close", onClose);
      if (err) {
        body.pause();
        return reject(err);
      }
      resolve(parts.length === 1 ? (parts[0] as Buffer).toString("utf8") : Buffer.concat(parts).toString("utf8"));
    };
    body.on("data", onData);
    body.on("end", onEnd);
    body.on("error", onCut);
    body.on("close", onClose);
  });
}
