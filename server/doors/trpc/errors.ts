/** The tRPC door's half of the error model: LanguruError <-> TRPCError. */
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError } from "zod";
import { InternalError, LanguruError, errorFromStatus, fromZodError } from "../../../shared/index.js";
import { log } from "../../log.js";

type TRPCCode = TRPCError["code"];

const codeByStatus: Record<number, TRPCCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  408: "TIMEOUT",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE_CONTENT",
  429: "TOO_MANY_REQUESTS",
  500: "INTERNAL_SERVER_ERROR",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
  504: "GATEWAY_TIMEOUT",
};

/** Wraps any error thrown by the chat service into a TRPCError whose cause is the LanguruError. */
export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  if (!(err instanceof LanguruError)) log.error({ err }, "unexpected error in a tRPC procedure");
  const error = err instanceof LanguruError ? err : new InternalError();
  const code = codeByStatus[error.status] ?? (error.status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST");
  return new TRPCError({ code, message: error.message, cause: error });
}

/**
 * What a procedure (or a middleware after this one) threw, as its TRPCError: tRPC wraps anything
 * that is not a TRPCError as INTERNAL_SERVER_ERROR with the thrown value as `cause`; this gives a
 * LanguruError its own code (and so its HTTP status). Called once, by the first middleware.
 */
export function fromProcedureError(error: TRPCError): TRPCError {
  const cause = error.cause;
  if (error.code !== "INTERNAL_SERVER_ERROR" || cause === undefined || cause instanceof TRPCError) return error;
  return toTRPCError(cause);
}

/** The LanguruError behind a TRPCError: ours, a zod input failure, or one of tRPC's own. */
export function languruErrorOf(error: TRPCError): LanguruError {
  const cause = error.cause;
  if (cause instanceof LanguruError) return cause;
  if (cause instanceof ZodError) return fromZodError(cause);
  const status = getHTTPStatusCodeFromError(error);
  return status >= 500 ? new InternalError() : errorFromStatus(status, error.message);
}
