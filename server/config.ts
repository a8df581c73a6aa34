/**
 * Startup configuration: environment variables plus an optional JSON file (`LANGURU_CONFIG`),
 * validated with zod so that a bad config stops startup with a message naming the field.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { formatPath } from "../shared/validation.js";

const ModelEntry = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), upstream: z.string().min(1) }),
]);

/** One OpenAI-compatible upstream: OpenAI, Azure, Ollama, vLLM, Groq, OpenRouter, ... */
export const ProviderConfig = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, "use letters, digits, '_', '-' or '.'"),
  kind: z.literal("openai-compatible"),
  baseURL: z.url(),
  /** Name of the environment variable that holds the key; the key itself never sits in the file. */
  apiKeyEnv: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.int().positive().default(120_000),
  models: z.array(ModelEntry).min(1),
});

const FileConfig = z.strictObject({
  providers: z.array(ProviderConfig).default([]),
  echo: z.strictObject({ delayMs: z.int().min(0).max(10_000).default(0) }).default({ delayMs: 0 }),
});

/** A provider after its key was read from the environment. */
export type ProviderSettings = z.output<typeof ProviderConfig> & { apiKey: string };

/** Everything the server needs to start. */
export interface Config {
  port: number;
  host: string;
  bodyLimitBytes: number;
  /** How long a tRPC generation waits for a (re)connecting subscriber before it is aborted. */
  resumeGraceMs: number;
  shutdownGraceMs: number;
  echoDelayMs: number;
  providers: ProviderSettings[];
}

/** Raised for any invalid setting; the message names the field. */
export class ConfigError extends Error {}

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8680),
  HOST: z.string().min(1).default("127.0.0.1"),
  LANGURU_BODY_LIMIT: z.coerce.number().int().positive().default(4 * 1024 * 1024),
  LANGURU_RESUME_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  LANGURU_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  LANGURU_ECHO_DELAY_MS: z.coerce.number().int().min(0).max(10_000).optional(),
  LANGURU_CONFIG: z.string().min(1).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().default("https://api.openai.com/v1"),
  OPENAI_MODELS: z.string().default("gpt-4o-mini,gpt-4o,gpt-4.1-mini,gpt-4.1"),
});

/** Reads and validates the configuration; throws ConfigError naming the bad field. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = check(Env, env, "environment variable ");
  const file = e.LANGURU_CONFIG ? check(FileConfig, readJson(e.LANGURU_CONFIG), `${e.LANGURU_CONFIG}: `) : FileConfig.parse({});
  const providers: ProviderSettings[] = file.providers.map((p, i) => {
    const apiKey = p.apiKeyEnv ? env[p.apiKeyEnv] : undefined;
    if (p.apiKeyEnv && !apiKey) {
      throw new ConfigError(`${e.LANGURU_CONFIG}: providers[${i}].apiKeyEnv: environment variable ${p.apiKeyEnv} is not set`);
    }
    return { ...p, apiKey: apiKey ?? "none" };
  });
  if (e.OPENAI_API_KEY && !providers.some((p) => p.name === "openai")) {
    providers.push({
      name: "openai",
      kind: "openai-compatible",
      baseURL: e.OPENAI_BASE_URL,
      apiKey: e.OPENAI_API_KEY,
      headers: {},
      timeoutMs: 120_000,
      models: e.OPENAI_MODELS.split(",").map((m) => m.trim()).filter(Boolean),
    });
  }
  return {
    port: e.PORT,
    host: e.HOST,
    bodyLimitBytes: e.LANGURU_BODY_LIMIT,
    resumeGraceMs: e.LANGURU_RESUME_GRACE_MS,
    shutdownGraceMs: e.LANGURU_SHUTDOWN_GRACE_MS,
    echoDelayMs: e.LANGURU_ECHO_DELAY_MS ?? file.echo.delayMs,
    providers,
  };
}

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
