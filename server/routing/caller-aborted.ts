/** The caller went away: never retried, never the upstream's fault. */
import { UpstreamError } from "../../shared/index.js";

/** Raised when the caller aborted (client disconnect, `chat.cancel`, shutdown); a class, so nothing matches on strings. */
export class CallerAbortedError extends UpstreamError {
  constructor() {
    super("the client closed the request", { code: "aborted" });
  }
}
