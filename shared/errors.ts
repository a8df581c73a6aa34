/**
 * The one error model of Languru: a base class and one subclass per meaning.
 * Each door maps it once: REST to an OpenAI error body and status, tRPC to a TRPCError code.
 * Server and client both import it, so the client SDK throws the same classes the server does.
 */

/** The OpenAI error body: `{ error: { message, type, param, code } }`. */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** What an error carries besides its message. */
export interface ErrorDetails {
  type?: string;
  param?: string | null;
  code?: string | null;
  /** Response headers that belong to the error, such as `retry-after`. */
  headers?: Record<string, string>;
}

/** Base class: an HTTP status plus the fields of an OpenAI error body. */
export class LanguruError extends Error {
  // Each class spells its name out: `new.target.name` would be a minifier's `rr` in a browser bundle.
  override name = "LanguruError";
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, details: ErrorDetails = {}) {
    super(message);
    this.status = status;
    this.type = details.type ?? defaultType(status);
    this.param = details.param ?? null;
    this.code = details.code ?? null;
    this.headers = details.headers ?? {};
  }

  /** The OpenAI-shaped body for this error. */
  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: the request is malformed; `param` names the field. */
export class InvalidRequestError extends LanguruError {
  override name = "InvalidRequestError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(400, message, d);
  }
}
/** 401: no key, or a key that is not valid. */
export class AuthenticationError extends LanguruError {
  override name = "AuthenticationError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(401, message, { code: "invalid_api_key", ...d });
  }
}
/** 403: the key may not do this. */
export class PermissionDeniedError extends LanguruError {
  override name = "PermissionDeniedError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(403, message, d);
  }
}
/** 404: no such model (or generation). */
export class NotFoundError extends LanguruError {
  override name = "NotFoundError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(404, message, d);
  }
}
/** 413: the body is over the configured limit. */
export class PayloadTooLargeError extends LanguruError {
  override name = "PayloadTooLargeError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(413, message, d);
  }
}
/** 415: the body is not JSON. */
export class UnsupportedMediaTypeError extends LanguruError {
  override name = "UnsupportedMediaTypeError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(415, message, d);
  }
}
/** 429: over a rate limit or out of quota; `headers` carries `retry-after`. */
export class RateLimitError extends LanguruError {
  override name = "RateLimitError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(429, message, { code: "rate_limit_exceeded", ...d });
  }
}
/**
 * 429 `insufficient_quota`: the key's token or spend budget is used up; retrying will not help, so
 * it says `x-should-retry: false`, which the openai and Anthropic SDKs honour instead of retrying a 429.
 */
export class InsufficientQuotaError extends LanguruError {
  override name = "InsufficientQuotaError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(429, message, { type: "insufficient_quota", code: "insufficient_quota", ...d, headers: { "x-should-retry": "false", ...d.headers } });
  }
}
/** 502: the upstream failed, answered 5xx or dropped the connection. */
export class UpstreamError extends LanguruError {
  override name = "UpstreamError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(502, message, { code: "upstream_error", ...d });
  }
}
/** 503: every deployment of the model is cooling down; `retry-after` says when to come back. */
export class ServiceUnavailableError extends LanguruError {
  override name = "ServiceUnavailableError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(503, message, { code: "service_unavailable", ...d });
  }
}
/** 504: the upstream did not answer in time. */
export class TimeoutError extends LanguruError {
  override name = "TimeoutError";
  constructor(message: string, d: ErrorDetails = {}) {
    super(504, message, { code: "upstream_timeout", ...d });
  }
}
/** 500: a bug of ours; the message never carries internals. */
export class InternalError extends LanguruError {
  override name = "InternalError";
  constructor(message = "internal error", d: ErrorDetails = {}) {
    super(500, message, d);
  }
}

function defaultType(status: number): string {
  if (status === 429) return "rate_limit_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

const byStatus: Record<number, new (message: string, d?: ErrorDetails) => LanguruError> = {
  400: InvalidRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  413: PayloadTooLargeError,
  415: UnsupportedMediaTypeError,
  429: RateLimitError,
  502: UpstreamError,
  503: ServiceUnavailableError,
  504: TimeoutError,
  500: InternalError,
};

/** Builds the subclass that matches a status, keeping the body's fields; the one constructor both sides use. */
export function errorFromStatus(status: number, message: string, details: ErrorDetails = {}): LanguruError {
  // The one status shared by two meanings: quota (final) and rate limit (retry later).
  const Class = status === 429 && details.code === "insufficient_quota" ? InsufficientQuotaError : byStatus[status];
  return Class ? new Class(message, details) : new LanguruError(status, message, details);
}

/** Reads an OpenAI error body (or anything) back into a LanguruError. */
export function errorFromBody(status: number, body: unknown, headers: Record<string, string> = {}): LanguruError {
  const e = isRecord(body) && isRecord(body.error) ? body.error : {};
  const message = typeof e.message === "string" ? e.message : `request failed with status ${status}`;
  return errorFromStatus(status, message, {
    type: typeof e.type === "string" ? e.type : undefined,
    param: typeof e.param === "string" ? e.param : null,
    code: typeof e.code === "string" ? e.code : typeof e.code === "number" ? String(e.code) : null,
    headers,
  });
}

/** True for plain objects. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
