/** Turns an SDK error into what the page shows: a short title and the gateway's details. */
import type { LanguruError } from "../../client/index.js";

/** What the page says about one error. */
export interface ErrorView {
  title: string;
  detail: string;
  /** `status type code` as the gateway sent them, for people who debug. */
  meta: string;
}

/** A reply the gateway could not carry on after a restart: what the page says instead of "Not found". */
const cutOffReply: Record<string, { title: string; detail: string }> = {
  // No Redis: a generation lives in the gateway's memory only, so a restart ends it.
  generation_restarted: {
    title: "The gateway restarted",
    detail:
      "The gateway restarted while it wrote this reply, and without Redis a reply in progress does not survive a restart. What arrived is kept above; Retry asks again.",
  },
  // Redis: the chunks were shared, but the process that produced them stopped before the end.
  generation_lost: {
    title: "The gateway stopped mid-reply",
    detail: "The gateway process that wrote this reply stopped before it finished. What arrived is kept above; Retry asks again.",
  },
};

/** Describes an error by its status (names do not survive minification; status and code do). */
export function describeError(error: LanguruError): ErrorView {
  const meta = [error.status || null, error.type, error.code].filter(Boolean).join(" · ");
  const retryAfter = error.headers["retry-after"];
  const cutOff = cutOffReply[error.code ?? ""];
  const title = cutOff
    ? cutOff.title
    : error.status === 0
      ? "Connection lost"
      : error.status === 401
        ? "API key required"
        : error.status === 403
          ? "Not allowed"
          : error.status === 404
            ? "Not found"
            : error.status === 429
              ? `Rate limited${retryAfter ? `: try again in ${retryAfter} s` : ""}`
              : error.status === 502 || error.status === 503
                ? "Upstream unavailable"
                : error.status === 504
                  ? "Upstream timed out"
                  : error.status >= 400 && error.status < 500
                    ? "Invalid request"
                    : "Gateway error";
  // The gateway's own message talks to developers; the page says what it means for this reply.
  return { title, detail: cutOff?.detail ?? error.message, meta };
}
