/** Turns an SDK error into what the page shows: a short title and the gateway's details. */
import type { LanguruError } from "../../client/index.js";

/** What the page says about one error. */
export interface ErrorView {
  title: string;
  detail: string;
  /** `status type code` as the gateway sent them, for people who debug. */
  meta: string;
}

/** Describes an error by its status (names do not survive minification; status and code do). */
export function describeError(error: LanguruError): ErrorView {
  const meta = [error.status || null, error.type, error.code].filter(Boolean).join(" · ");
  const retryAfter = error.headers["retry-after"];
  const title =
    error.status === 0
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
  return { title, detail: error.message, meta };
}
