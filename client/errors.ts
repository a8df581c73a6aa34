/** Turns what the tRPC client throws into the shared LanguruError classes. */
import { TRPCClientError } from "@trpc/client";
import { LanguruError, errorFromBody, isRecord } from "../shared/errors.js";

/** The gateway could not be reached, or the connection kept failing. */
export class ConnectionError extends LanguruError {
  // Spelled out: a minifier renames classes, and apps compare `err.name`.
  override name = "ConnectionError";
  constructor(message: string) {
    super(0, message, { type: "connection_error", code: "connection_error" });
  }
}

/** True when the error came from the gateway itself (it carries an OpenAI error body). */
export function isGatewayError(err: unknown): boolean {
  return err instanceof TRPCClientError && isRecord(err.data) && isRecord(err.data.error);
}

/** Any error from a tRPC call, as the matching LanguruError subclass. */
export function toLanguruError(err: unknown): LanguruError {
  if (err instanceof LanguruError) return err;
  if (err instanceof TRPCClientError && isRecord(err.data) && isRecord(err.data.error)) {
    const status = typeof err.data.status === "number" ? err.data.status : 500;
    const headers = isRecord(err.data.headers) ? (err.data.headers as Record<string, string>) : {};
    return errorFromBody(status, { error: err.data.error }, headers);
  }
  return new ConnectionError(err instanceof Error ? err.message : String(err));
}
