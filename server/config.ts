/**
 * Startup configuration: environment variables plus an optional JSON file (`LANGURU_CONFIG`),
 * validated with zod so that a bad config stops startup (or a reload is refused) with a message
 * naming the field.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { formatPath } from "../shared/validation.js";
import { AccessEnv, PricesConfig, accessConfigFrom, type AccessConfig } from "./access/config.js";
import { DEFAULT_RESPONSES_SETTINGS, daysToMs, type ResponsesSettings } from "./doors/responses/settings.js";
import { DEFAULT_WEBSOCKET_LIMITS, type WebSocketLimits } from "./doors/trpc/ws/limits.js";

// Credentials, framing and hop-by-hop headers are the gateway's to set on an upstream call, never a client's.
const UNFORWARDABLE = new Set([
  "authorization",
  "proxy-authorization",
  "api-key",
  "x-api-key",
  "x-goog-api-key",
  "cookie",
  "host",
  "content-length",
  "content-type",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "accept",
  "accept-encoding",
]);

const ModelEntry = z.union([z.string().min(1), z.strictObject({ name: z.string().min(1), upstream: z.string().min(1) })]);

/** The kinds of upstream: any OpenAI-compatible one, and Anthropic and Google Gemini natively. */
export const PROVIDER_KINDS = ["openai-compatible", "anthropic", "gemini"] as const;
/** A provider kind. */
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Where each kind's upstream is when the config names no `baseURL`; an OpenAI-compatible one must name it. */
export const DEFAULT_BASE_URLS: Record<ProviderKind, string | undefined> = {
  "openai-compatible": undefined,
  anthropic: "https://api.anthropic.com/v1",
  gemini: "https://generativelanguage.googleapis.com/v1beta",
};

/** One upstream: OpenAI-compatible (OpenAI, Azure, Ollama, vLLM, Groq, OpenRouter, ...), Anthropic or Gemini. */
export const ProviderConfig = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, "use letters, digits, '_', '-' or '.'"),
  kind: z.enum(PROVIDER_KINDS),
  /** Required for `openai-compatible`; Anthropic and Gemini default to their public APIs. */
  baseURL: z.url().optional(),
  /** Name of the environment variable that holds the key; the key itself never sits in the file. */
  apiKeyEnv: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  /**
   * Client request headers passed on to this upstream (e.g. `OpenAI-Organization`, `OpenAI-Project`,
   * OpenRouter's `X-Title` / `HTTP-Referer`); a header set in `headers` wins over the client's.
   */
  forwardHeaders: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/, "a header name")
        .refine((name) => !UNFORWARDABLE.has(name.toLowerCase()), "this header is the gateway's own (credentials, framing or hop-by-hop)"),
    )
    .max(32)
    .optional(),
  /** Backstop for one upstream call, whatever the model's own timeouts say. */
  timeoutMs: z.int().positive().default(600_000),
  /** Shorthand: each entry is a public model with this provider as its only deployment. */
  models: z.array(ModelEntry).default([]),
  /** Read the provider's `GET /models` at startup and every `intervalMs`, exposing `name/model`. */
  discovery: z.union([z.boolean(), z.strictObject({ intervalMs: z.int().min(1_000).default(60_000) })]).default(false),
});

const Timeouts = z.strictObject({
  /** Until the upstream answered with headers. */
  connectMs: z.int().positive(),
  /** Until the first chunk of a stream (or the whole body of a non-streamed call). */
  firstTokenMs: z.int().positive(),
  /** Longest silence between two chunks. */
  idleMs: z.int().positive(),
  /** The whole upstream call. */
  totalMs: z.int().positive(),
});

const Retry = z.strictObject({
  /** Tries per model, the first included. */
  attempts: z.int().min(1).max(10),
  baseDelayMs: z.int().min(0),
  maxDelayMs: z.int().min(0),
  /** An upstream's `retry-after` is honoured up to this; longer waits are not worth holding a request. */
  maxRetryAfterMs: z.int().min(0),
  /** All tries of one request, fallbacks included, end by this. */
  budgetMs: z.int().positive(),
});

const Cooldown = z.strictObject({
  /** Consecutive failures that take a deployment out of rotation. */
  failures: z.int().min(1),
  cooldownMs: z.int().min(0),
});

const Deployment = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
  weight: z.number().positive().default(1),
});

/** A public model name and the deployments behind it. */
export const ModelConfig = z.strictObject({
  name: z.string().min(1),
  aliases: z.array(z.string().min(1)).default([]),
  deployments: z.array(Deployment).min(1),
  strategy: z.enum(["weighted", "least-busy"]).default("weighted"),
  fallbacks: z.array(z.string().min(1)).default([]),
  contextWindowFallbacks: z.array(z.string().min(1)).default([]),
  timeouts: Timeouts.partial().optional(),
  retry: Retry.partial().optional(),
});

const defaults = {
  timeouts: { connectMs: 10_000, firstTokenMs: 60_000, idleMs: 60_000, totalMs: 600_000 },
  retry: { attempts: 3, baseDelayMs: 250, maxDelayMs: 4_000, maxRetryAfterMs: 10_000, budgetMs: 60_000 },
  cooldown: { failures: 3, cooldownMs: 30_000 },
};

const FileConfig = z
  .strictObject({
    providers: z.array(ProviderConfig).default([]),
    models: z.array(ModelConfig).default([]),
    defaults: z
      .strictObject({ timeouts: Timeouts.partial().default({}), retry: Retry.partial().default({}), cooldown: Cooldown.partial().default({}) })
      .default({ timeouts: {}, retry: {}, cooldown: {} }),
    echo: z.strictObject({ delayMs: z.int().min(0).max(10_000).default(0) }).default({ delayMs: 0 }),
    /** USD per 1M tokens by deployment id or model name, for the usage ledger's cost and spend budgets. */
    prices: PricesConfig,
  })
  .superRefine((file, ctx) => {
    const providers = new Set(file.providers.map((p) => p.name));
    const names = new Set<string>(["echo"]);
    file.providers.forEach((p, i) => {
      for (const m of p.models) names.add(typeof m === "string" ? m : m.name);
      if (!p.baseURL && !DEFAULT_BASE_URLS[p.kind])
        ctx.addIssue({ code: "custom", path: ["providers", i, "baseURL"], message: `required for kind '${p.kind}'` });
      if (file.providers.findIndex((q) => q.name === p.name) !== i)
        ctx.addIssue({ code: "custom", path: ["providers", i, "name"], message: `duplicate provider '${p.name}'` });
    });
    file.models.forEach((m, i) => {
      for (const name of [m.name, ...m.aliases]) {
        if (names.has(name)) ctx.addIssue({ code: "custom", path: ["models", i, "name"], message: `model name '${name}' is defined twice` });
        names.add(name);
      }
      m.deployments.forEach((d, j) => {
        if (!providers.has(d.provider))
          ctx.addIssue({ code: "custom", path: ["models", i, "deployments", j, "provider"], message: `unknown provider '${d.provider}'` });
      });
    });
    file.models.forEach((m, i) => {
      for (const key of ["fallbacks", "contextWindowFallbacks"] as const) {
        m[key].forEach((f, j) => {
          if (!names.has(f)) ctx.addIssue({ code: "custom", path: ["models", i, key, j], message: `unknown model '${f}'` });
        });
      }
    });
  });

/** A provider after its key was read from the environment and its base URL defaulted. */
export type ProviderSettings = Omit<z.output<typeof ProviderConfig>, "baseURL"> & {
  baseURL: string;
  apiKey: string;
  /** `max_tokens` for a kind that requires one (anthropic) when the client sets none: `LANGURU_RESERVE_TOKENS`, what the budget reserves. */
  defaultMaxTokens?: number;
};
/** A configured public model. */
export type ModelSettings = z.output<typeof ModelConfig>;
/** Timeouts of one model. */
export type TimeoutSettings = z.output<typeof Timeouts>;
/** Retry policy of one model. */
export type RetrySettings = z.output<typeof Retry>;
/** Cooldown policy of every deployment. */
export type CooldownSettings = z.output<typeof Cooldown>;

/** Everything the server needs to start. */
export interface Config {
  port: number;
  host: string;
  bodyLimitBytes: number;
  /** Bytes of request bodies being read at once, all connections together (`LANGURU_BODY_BYTES_IN_FLIGHT`); past it a body is refused with a 503. */
  bodyBytesInFlight: number;
  /** Time bounds of a request body (`LANGURU_BODY_TIMEOUT_MS`, `LANGURU_BODY_MIN_RATE`); defaults when absent. */
  body?: { timeoutMs: number; minBytesPerSecond: number };
  /** How long a tRPC generation waits for a (re)connecting subscriber before it is aborted. */
  resumeGraceMs: number;
  /** The most chunk JSON (about its bytes) a tRPC generation keeps for resumption (`LANGURU_RESUME_BUFFER_BYTES`). */
  resumeBufferBytes: number;
  shutdownGraceMs: number;
  echoDelayMs: number;
  /** `Access-Control-Allow-Origin` for browser apps (`LANGURU_CORS_ORIGIN`, default `*`). */
  corsOrigin: string;
  providers: ProviderSettings[];
  models: ModelSettings[];
  routing: { timeouts: TimeoutSettings; retry: RetrySettings; cooldown: CooldownSettings };
  /** API keys, rate limits and the usage ledger (on only with a master key). */
  access: AccessConfig;
  /** Logs and metrics (see the observability block of `Env`). */
  observability: ObservabilitySettings;
  /** Bounds of the Responses door's stored responses (`LANGURU_RESPONSES_*`); the defaults when absent. */
  responses?: ResponsesSettings;
  /** Caps of the tRPC WebSocket door (`LANGURU_WS_*`); the defaults when absent. */
  webSocket?: WebSocketLimits;
  /** The config file, if any, so that SIGHUP can read it again. */
  configPath?: string;
}

// --- Observability (logs, /metrics) -------------------------------------------------------
/** The observability variables: log level and format, and the token that may read `/metrics`. */
export const ObservabilityEnv = z.object({
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** `pretty` needs pino-pretty installed (a dev dependency); without it logs stay JSON. */
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
  /** A token (besides the master key) that may read `/metrics`; with keys off it makes `/metrics` need it. */
  LANGURU_METRICS_TOKEN: z.string().min(16, "use at least 16 characters").optional(),
});

/** Log and metrics settings. */
export interface ObservabilitySettings {
  logLevel: z.output<typeof ObservabilityEnv>["LOG_LEVEL"];
  logFormat: z.output<typeof ObservabilityEnv>["LOG_FORMAT"];
  metricsToken: string | null;
}

/** The log settings alone, read before anything else (the logger exists before the config is loaded); bad values fall back to the defaults. */
export function logSettingsFrom(env: NodeJS.ProcessEnv): Pick<ObservabilitySettings, "logLevel" | "logFormat"> {
  const level = ObservabilityEnv.shape.LOG_LEVEL.safeParse(env.LOG_LEVEL);
  const format = ObservabilityEnv.shape.LOG_FORMAT.safeParse(env.LOG_FORMAT);
  return { logLevel: level.success ? level.data : "info", logFormat: format.success ? format.data : "json" };
}
// --- end of observability ------------------------------------------------------------------

/** Raised for any invalid setting; the message names the field. */
export class ConfigError extends Error {}

const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;

const Env = AccessEnv.extend(ObservabilityEnv.shape).extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(8680),
  HOST: z.string().min(1).default("127.0.0.1"),
  // 32 MiB: a request with a few photos as data URLs (5 MB and more) must pass; OpenAI takes far larger.
  LANGURU_BODY_LIMIT: z.coerce.number().int().positive().default(DEFAULT_BODY_LIMIT),
  // What all request bodies being read at once may hold: the bound that keeps a large limit from being a memory attack.
  LANGURU_BODY_BYTES_IN_FLIGHT: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
  LANGURU_BODY_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  LANGURU_BODY_MIN_RATE: z.coerce.number().int().min(0).default(1_024),
  LANGURU_RESUME_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  LANGURU_RESUME_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(8 * 1024 * 1024),
  LANGURU_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  LANGURU_ECHO_DELAY_MS: z.coerce.number().int().min(0).max(10_000).optional(),
  LANGURU_CONFIG: z.string().min(1).optional(),
  LANGURU_CORS_ORIGIN: z.string().min(1).default("*"),
  // OpenAI keeps stored responses 30 days.
  LANGURU_RESPONSES_TTL_DAYS: z.coerce.number().positive().default(30),
  LANGURU_RESPONSES_MAX_BYTES: z.coerce.number().int().positive().default(DEFAULT_RESPONSES_SETTINGS.maxBytes),
  LANGURU_RESPONSES_MAX_TOTAL_BYTES: z.coerce.number().int().positive().default(DEFAULT_RESPONSES_SETTINGS.maxTotalBytes),
  LANGURU_RESPONSES_MEMORY_BYTES: z.coerce.number().int().positive().default(DEFAULT_RESPONSES_SETTINGS.memoryBytes),
  LANGURU_WS_CALLS_IN_FLIGHT: z.coerce.number().int().positive().default(DEFAULT_WEBSOCKET_LIMITS.callsInFlight),
  LANGURU_WS_CALLS_WITHOUT_KEY: z.coerce.number().int().positive().default(DEFAULT_WEBSOCKET_LIMITS.callsWithoutKey),
  // At least the 1 MiB at which a socket's streams wait: a socket is only ever cut once over it.
  LANGURU_WS_SOCKET_QUEUE_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024, "use at least 1048576 (1 MiB)")
    .default(DEFAULT_WEBSOCKET_LIMITS.socketQueueBytes),
  LANGURU_WS_TOTAL_QUEUE_BYTES: z.coerce
    .number()
    .int()
    .min(1024 * 1024, "use at least 1048576 (1 MiB)")
    .default(DEFAULT_WEBSOCKET_LIMITS.totalQueueBytes),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().default("https://api.openai.com/v1"),
  OPENAI_MODELS: z.string().default("gpt-4o-mini,gpt-4o,gpt-4.1-mini,gpt-4.1"),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url().default(DEFAULT_BASE_URLS.anthropic as string),
  ANTHROPIC_MODELS: z.string().default("claude-opus-5-5,claude-sonnet-5-5,claude-haiku-5-5"),
  GEMINI_API_KEY: z.string().min(1).optional(),
  GEMINI_BASE_URL: z.url().default(DEFAULT_BASE_URLS.gemini as string),
  GEMINI_MODELS: z.string().default("gemini-2.5-flash,gemini-2.5-pro,gemini-2.5-flash-lite,gemini-3-flash-preview,gemini-3.1-pro-preview"),
});

/** Reads and validates the configuration; throws ConfigError naming the bad field. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = check(Env, env, "environment variable ");
  const file = e.LANGURU_CONFIG ? check(FileConfig, readJson(e.LANGURU_CONFIG), `${e.LANGURU_CONFIG}: `) : FileConfig.parse({});
  const providers: ProviderSettings[] = file.providers.map((p, i) => {
    const apiKey = p.apiKeyEnv ? env[p.apiKeyEnv] : undefined;
    if (p.apiKeyEnv && !apiKey) {
      throw new ConfigError(`invalid configuration: ${e.LANGURU_CONFIG}: providers[${i}].apiKeyEnv: environment variable ${p.apiKeyEnv} is not set`);
    }
    return { ...p, baseURL: p.baseURL ?? (DEFAULT_BASE_URLS[p.kind] as string), apiKey: apiKey ?? "none", defaultMaxTokens: e.LANGURU_RESERVE_TOKENS };
  });
  if (e.OPENAI_API_KEY && !providers.some((p) => p.name === "openai")) {
    providers.push({
      name: "openai",
      kind: "openai-compatible",
      baseURL: e.OPENAI_BASE_URL,
      apiKey: e.OPENAI_API_KEY,
      headers: {},
      timeoutMs: 600_000,
      discovery: false,
      models: e.OPENAI_MODELS.split(",")
        .map((m) => m.trim())
        .filter(Boolean),
    });
  }
  if (e.ANTHROPIC_API_KEY && !providers.some((p) => p.name === "anthropic")) {
    providers.push({
      name: "anthropic",
      kind: "anthropic",
      baseURL: e.ANTHROPIC_BASE_URL,
      apiKey: e.ANTHROPIC_API_KEY,
      headers: {},
      timeoutMs: 600_000,
      discovery: false,
      models: e.ANTHROPIC_MODELS.split(",")
        .map((m) => m.trim())
        .filter(Boolean),
      defaultMaxTokens: e.LANGURU_RESERVE_TOKENS,
    });
  }
  if (e.GEMINI_API_KEY && !providers.some((p) => p.name === "gemini")) {
    providers.push({
      name: "gemini",
      kind: "gemini",
      baseURL: e.GEMINI_BASE_URL,
      apiKey: e.GEMINI_API_KEY,
      headers: {},
      timeoutMs: 600_000,
      discovery: false,
      models: e.GEMINI_MODELS.split(",")
        .map((m) => m.trim())
        .filter(Boolean),
    });
  }
  return {
    port: e.PORT,
    host: e.HOST,
    bodyLimitBytes: e.LANGURU_BODY_LIMIT,
    bodyBytesInFlight: e.LANGURU_BODY_BYTES_IN_FLIGHT,
    body: { timeoutMs: e.LANGURU_BODY_TIMEOUT_MS, minBytesPerSecond: e.LANGURU_BODY_MIN_RATE },
    resumeGraceMs: e.LANGURU_RESUME_GRACE_MS,
    resumeBufferBytes: e.LANGURU_RESUME_BUFFER_BYTES,
    shutdownGraceMs: e.LANGURU_SHUTDOWN_GRACE_MS,
    echoDelayMs: e.LANGURU_ECHO_DELAY_MS ?? file.echo.delayMs,
    corsOrigin: e.LANGURU_CORS_ORIGIN,
    providers,
    models: file.models,
    routing: {
      timeouts: { ...defaults.timeouts, ...file.defaults.timeouts },
      retry: { ...defaults.retry, ...file.defaults.retry },
      cooldown: { ...defaults.cooldown, ...file.defaults.cooldown },
    },
    access: accessConfigFrom(e, file.prices),
    observability: { logLevel: e.LOG_LEVEL, logFormat: e.LOG_FORMAT, metricsToken: e.LANGURU_METRICS_TOKEN ?? null },
    responses: {
      ...DEFAULT_RESPONSES_SETTINGS,
      ttlMs: daysToMs(e.LANGURU_RESPONSES_TTL_DAYS),
      maxBytes: e.LANGURU_RESPONSES_MAX_BYTES,
      maxTotalBytes: e.LANGURU_RESPONSES_MAX_TOTAL_BYTES,
      memoryBytes: e.LANGURU_RESPONSES_MEMORY_BYTES,
    },
    webSocket: {
      callsInFlight: e.LANGURU_WS_CALLS_IN_FLIGHT,
      callsWithoutKey: e.LANGURU_WS_CALLS_WITHOUT_KEY,
      socketQueueBytes: e.LANGURU_WS_SOCKET_QUEUE_BYTES,
      totalQueueBytes: e.LANGURU_WS_TOTAL_QUEUE_BYTES,
    },
    configPath: e.LANGURU_CONFIG,
  };
}

const ModuleEnv = z.object({
  LANGURU_SSE_PING_MS: z.coerce.number().int().positive().default(10_000),
  LANGURU_BODY_LIMIT: z.coerce.number().int().positive().default(DEFAULT_BODY_LIMIT),
});

/**
 * Settings some modules need when they load, before any config exists (the tRPC setup's SSE ping
 * interval, the bound on expanded tRPC inputs); read here so that every environment variable is read in this file.
 */
export const moduleSettings = (() => {
  const e = check(ModuleEnv, process.env, "environment variable ");
  return { ssePingMs: e.LANGURU_SSE_PING_MS, bodyLimitBytes: e.LANGURU_BODY_LIMIT };
})();

function check<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ConfigError(`invalid configuration: ${where}${formatPath(issue?.path ?? []) ?? "(root)"}: ${issue?.message ?? "invalid"}`);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`invalid configuration: cannot read ${path}: ${(err as Error).message}`);
  }
}
