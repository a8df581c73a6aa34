/** Writing REST responses: JSON bodies and OpenAI error bodies. */
import type { ServerResponse } from "node:http";
import { InternalError, LanguruError } from "../../../shared/index.js";
import { log } from "../../log.js";
import { jsonTextOf } from "../../providers/json-text.js";
import type { RequestRecord } from "../../observability/request.js";

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = jsonTextOf(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}

/** Sends an error as an OpenAI error body with its status and headers (`retry-after`, ...), noting it on the request's record. */
export function sendError(res: ServerResponse, err: unknown, record?: RequestRecord): void {
  const error = asLanguruError(err);
  record?.noteError(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // After a 413 the rest of the body is not read; closing the connection keeps it from being parsed as a request.
  const headers = error.status === 413 ? { ...error.headers, connection: "close" } : error.headers;
  sendJson(res, error.status, error.toBody(), headers);
}

/** Anything thrown, as a LanguruError; what is not one is a bug and says nothing about internals. */
export function asLanguruError(err: unknown): LanguruError {
  if (err instanceof LanguruError) return err;
  log.error({ err }, "unexpected error in the REST adapter");
  return new InternalError();
}
