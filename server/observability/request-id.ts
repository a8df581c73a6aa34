/** Request ids: the client's `x-request-id` when it is a sane token, a fresh UUID otherwise. */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

// Bounded and plain, so that a client cannot inject log syntax or megabytes through the header.
const SANE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The id for a request with these headers. */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers["x-request-id"];
  return typeof given === "string" && SANE_ID.test(given) ? given : randomUUID();
}
