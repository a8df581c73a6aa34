/**
 * An OpenAI chat request as an Anthropic Messages API body (`POST /v1/messages`). Only fields the
 * Messages API knows are sent: each OpenAI field is translated, dropped when it cannot change the
 * reply, or refused with a 400 naming it when it asks for something the Messages API cannot do
 * (`n` > 1, logprobs, penalties, audio). A field the OpenAI schema does not know passes only when it
 * is one of the Messages API's own (`thinking`, `top_k`, `cache_control`...); any other is refused,
 * so a typo or another vendor's field never reaches Anthropic as a confusing error.
 */
import { InvalidRequestError, isRecord } from "../../../shared/index.js";
import type { UpstreamRequest } from "../types.js";
import { messagesOf } from "./messages.js";

/** `max_tokens` is required by the Messages API; a request that sets none gets this (the budget reservation's default too). */
export const DEFAULT_MAX_TOKENS = 4_096;

/** The Messages API's own top-level fields a client may set (through `extra_body` or as extra REST fields). */
const NATIVE_FIELDS = new Set([
  "thinking",
  "top_k",
  "cache_control",
  "container",
  "context_management",
  "diagnostics",
  "inference_geo",
  "mcp_servers",
  "output_config",
  "speed",
]);

/** OpenAI fields that tune OpenAI's own services and cannot change a Claude reply: accepted and not sent. */
const DROPPED_FIELDS = new Set(["model", "messages", "stream", "stream_options", "prompt_cache_key", "prompt_cache_retention", "prompt_cache_options"]);

/** OpenAI fields that are refused unless they hold their neutral value (what not setting them means). */
const NEUTRAL: Record<string, (value: unknown) => boolean> = {
  n: (v) => v === 1,
  logprobs: (v) => v === false,
  top_logprobs: (v) => v === 0,
  frequency_penalty: (v) => v === 0,
  presence_penalty: (v) => v === 0,
  logit_bias: (v) => isRecord(v) && Object.keys(v).length === 0,
  store: (v) => v === false,
  modalities: (v) => Array.isArray(v) && v.every((m) => m === "text"),
  seed: () => false,
  audio: () => false,
  prediction: () => false,
  web_search_options: () => false,
  verbosity: () => false,
  moderation: () => false,
  functions: () => false,
  function_call: () => false,
};

const WHY_REFUSED: Record<string, string> = {
  n: "the Messages API returns one choice; send 'n' requests instead",
  functions: "use 'tools'",
  function_call: "use 'tool_choice'",
};

/** Options of the translation. */
export interface RequestOptions {
  /** `max_tokens` when the client sets none. */
  defaultMaxTokens: number;
  stream: boolean;
}

/** The Messages API body for `request`; throws InvalidRequestError naming a field it cannot send. */
export function messagesRequestOf(request: UpstreamRequest, options: RequestOptions): Record<string, unknown> {
  const source = request as Record<string, unknown>;
  const body: Record<string, unknown> = { model: request.model };
  const { system, messages } = messagesOf(request.messages);
  if (system !== undefined) body.system = system;
  body.messages = messages;
  body.max_tokens = request.max_completion_tokens ?? request.max_tokens ?? options.defaultMaxTokens;
  for (const [field, value] of Object.entries(source)) {
    if (value === null || value === undefined || DROPPED_FIELDS.has(field)) continue;
    const neutral = NEUTRAL[field];
    if (neutral) {
      if (!neutral(value)) refuse(field, WHY_REFUSED[field] ?? "the Anthropic Messages API has no such setting");
      continue;
    }
    if (TRANSLATED.has(field)) continue;
    if (!NATIVE_FIELDS.has(field)) refuse(field, "it is not a field of the OpenAI or the Anthropic Messages API");
    body[field] = value;
  }
  if (request.temperature != null) {
    if (request.temperature > 1) refuse("temperature", "Anthropic takes 0 to 1");
    body.temperature = request.temperature;
  }
  if (request.top_p != null) body.top_p = request.top_p;
  if (request.stop != null) body.stop_sequences = typeof request.stop === "string" ? [request.stop] : request.stop;
  const userId = request.safety_identifier ?? request.user ?? (isRecord(request.metadata) ? request.metadata.user_id : undefined);
  if (typeof userId === "string") body.metadata = { user_id: userId };
  if (request.service_tier != null) body.service_tier = serviceTierOf(request.service_tier);
  addTools(body, request);
  addOutputConfig(body, request, source.output_config);
  if (options.stream) body.stream = true;
  return body;
}

// Fields read by name below (or by `messagesOf`), so the loop above leaves them alone.
const TRANSLATED = new Set([
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "stop",
  "user",
  "safety_identifier",
  "metadata",
  "service_tier",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "reasoning_effort",
  "output_config",
]);

function addTools(body: Record<string, unknown>, request: UpstreamRequest): void {
  if (request.tools && request.tools.length > 0) body.tools = request.tools.map(toolOf);
  const choice = toolChoiceOf(request.tool_choice);
  if (request.parallel_tool_calls === false && body.tools) {
    const base = choice ?? { type: "auto" };
    // `none` has no parallelism to turn off.
    body.tool_choice = base.type === "none" ? base : { ...base, disable_parallel_tool_use: true };
  } else if (choice) body.tool_choice = choice;
}

/** An OpenAI tool as an Anthropic one: a function's `parameters` become `input_schema`; Anthropic's own tool kinds pass as they are. */
function toolOf(tool: NonNullable<UpstreamRequest["tools"]>[number], index: number): Record<string, unknown> {
  if (tool.type === "custom") refuse(`tools[${index}]`, "Anthropic has no custom (free-form) tools; use a function tool");
  if (tool.type !== "function") return tool as Record<string, unknown>;
  const fn = (tool as { function: { name: string; description?: string | null; parameters?: Record<string, unknown> | null; strict?: boolean | null } })
    .function;
  const out: Record<string, unknown> = { name: fn.name, input_schema: fn.parameters ?? { type: "object", properties: {} } };
  if (fn.description) out.description = fn.description;
  if (fn.strict != null) out.strict = fn.strict;
  const cacheControl = (tool as Record<string, unknown>).cache_control;
  if (cacheControl != null) out.cache_control = cacheControl;
  return out;
}

function toolChoiceOf(choice: UpstreamRequest["tool_choice"]): { type: string; name?: string } | undefined {
  if (choice == null) return undefined;
  if (choice === "auto" || choice === "none") return { type: choice };
  if (choice === "required") return { type: "any" };
  if (isRecord(choice) && choice.type === "function" && isRecord(choice.function) && typeof choice.function.name === "string")
    return { type: "tool", name: choice.function.name };
  return refuse("tool_choice", "Anthropic takes 'auto', 'none', 'required' or one named function");
}

/** `response_format` and `reasoning_effort` both land in `output_config`, merged over the client's own. */
function addOutputConfig(body: Record<string, unknown>, request: UpstreamRequest, native: unknown): void {
  const config: Record<string, unknown> = isRecord(native) ? { ...native } : {};
  const format = request.response_format;
  if (format && format.type === "json_schema") {
    const schema = (format as { json_schema: { schema?: Record<string, unknown> | null } }).json_schema.schema;
    if (!schema) refuse("response_format.json_schema.schema", "Anthropic's structured outputs need the schema itself");
    config.format = { type: "json_schema", schema };
  } else if (format && format.type !== "text") {
    refuse("response_format", "Anthropic has no JSON mode; use 'json_schema' with a schema");
  }
  const effort = request.reasoning_effort;
  if (effort != null) {
    // `none` turns thinking off; any other level turns adaptive thinking on at that effort (OpenAI's `minimal` is Anthropic's `low`).
    if (body.thinking === undefined) body.thinking = effort === "none" ? { type: "disabled" } : { type: "adaptive" };
    if (effort !== "none") config.effort = effort === "minimal" ? "low" : effort;
  }
  if (Object.keys(config).length > 0) body.output_config = config;
}

function serviceTierOf(tier: string): string {
  if (tier === "auto") return "auto";
  if (tier === "default") return "standard_only";
  return refuse("service_tier", "Anthropic takes 'auto' or 'default' (standard capacity only)");
}

function refuse(field: string, why: string): never {
  throw new InvalidRequestError(`'${field}' cannot be sent to an Anthropic model: ${why}.`, { param: field, code: "unsupported_parameter" });
}
