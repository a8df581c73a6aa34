/**
 * An OpenAI chat request as a Gemini `generateContent` call. Only what Gemini knows is sent: each
 * OpenAI field is translated, ignored (metadata that changes nothing Gemini does) or refused with
 * a 400 naming it; a field nobody listed is refused too, so nothing unknown reaches Gemini. Gemini's
 * own settings travel as Google's OpenAI-compatible endpoint takes them, in `extra_body.google`
 * (`thinking_config`, `cached_content`, `safety_settings`).
 */
import { InvalidRequestError, isRecord } from "../../../shared/index.js";
import type { UpstreamRequest } from "../types.js";
import { contentsOf } from "./contents.js";
import { toolChoiceOf, toolsOf } from "./tools.js";
import type { GenerateContentRequest, GenerationConfig, ThinkingConfig } from "./wire.js";

/** One Gemini call: where it goes and what it sends. */
export interface GeminiCall {
  /** The path below the base URL: `/models/{model}:generateContent`, or `:streamGenerateContent?alt=sse`. */
  path: string;
  body: GenerateContentRequest;
  /** The client asked for usage in the stream (`stream_options.include_usage`). */
  includeUsage: boolean;
}

// Translated below.
const TRANSLATED = new Set([
  "model",
  "messages",
  "prompt",
  "temperature",
  "top_p",
  "top_k",
  "max_tokens",
  "max_completion_tokens",
  "stop",
  "n",
  "seed",
  "presence_penalty",
  "frequency_penalty",
  "response_format",
  "tools",
  "tool_choice",
  "reasoning_effort",
  "stream",
  "stream_options",
  "google",
]);
// Accepted and not sent: they label or store the call, or ask for what Gemini does anyway (parallel calls).
const IGNORED = new Set([
  "user",
  "metadata",
  "store",
  "safety_identifier",
  "prompt_cache_key",
  "prompt_cache_retention",
  "service_tier",
  "parallel_tool_calls",
]);

/** Translates `request` for a deployment whose Gemini model is `request.model`; throws a 400 for what Gemini cannot do. */
export function geminiCallOf(request: UpstreamRequest, stream: boolean): GeminiCall {
  for (const [field, value] of Object.entries(request)) {
    // `false` and null ask for nothing (`logprobs: false` is OpenAI's default).
    if (value === undefined || value === null || value === false || TRANSLATED.has(field) || IGNORED.has(field)) continue;
    throw new InvalidRequestError(`'${field.slice(0, 64)}' is not supported by Gemini models.`, { param: field, code: "unsupported_parameter" });
  }
  const { contents, systemInstruction } = contentsOf(request.messages);
  const body: GenerateContentRequest = { contents };
  if (systemInstruction) body.systemInstruction = systemInstruction;
  const tools = toolsOf(request.tools);
  if (tools) body.tools = tools;
  const toolConfig = toolChoiceOf(request.tool_choice);
  if (toolConfig) body.toolConfig = toolConfig;
  const generationConfig = generationConfigOf(request);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  Object.assign(body, googleSettingsOf(request.google, generationConfig));
  const model = modelPath(request.model);
  return {
    path: stream ? `${model}:streamGenerateContent?alt=sse` : `${model}:generateContent`,
    body,
    includeUsage: request.stream_options?.include_usage === true,
  };
}

function generationConfigOf(request: UpstreamRequest): GenerationConfig {
  const config: GenerationConfig = {};
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  if (typeof request.top_k === "number") config.topK = request.top_k;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (request.stop != null) config.stopSequences = typeof request.stop === "string" ? [request.stop] : request.stop;
  if (request.n != null) config.candidateCount = request.n;
  if (request.seed != null) {
    if (typeof request.seed !== "number") throw new InvalidRequestError("'seed' must be a 32-bit integer for Gemini models.", { param: "seed" });
    config.seed = request.seed;
  }
  if (request.presence_penalty != null) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) config.frequencyPenalty = request.frequency_penalty;
  Object.assign(config, responseFormatOf(request.response_format));
  const thinking = thinkingOf(request.reasoning_effort, request.model);
  if (thinking) config.thinkingConfig = thinking;
  return config;
}

function responseFormatOf(format: UpstreamRequest["response_format"]): GenerationConfig {
  if (format == null || format.type === "text") return {};
  if (format.type === "json_object") return { responseMimeType: "application/json" };
  if (format.type === "json_schema" && isRecord(format.json_schema)) {
    const schema = format.json_schema.schema;
    // JSON Schema as OpenAI takes it: Gemini's `responseJsonSchema`, not the OpenAPI subset of `responseSchema`.
    return schema ? { responseMimeType: "application/json", responseJsonSchema: schema } : { responseMimeType: "application/json" };
  }
  throw new InvalidRequestError(`response_format '${String(format.type).slice(0, 64)}' is not supported by Gemini models.`, { param: "response_format" });
}

// OpenAI's effort as Gemini's thinking, as Google's OpenAI-compatible endpoint maps it: a token
// budget for Gemini 2.x, a level for Gemini 3 and later. Thought summaries come back (as
// `reasoning_content`) whenever the client asked for thinking.
const BUDGETS: Record<string, number> = { none: 0, minimal: 1_024, low: 1_024, medium: 8_192, high: 24_576, xhigh: 24_576 };
const LEVELS: Record<string, ThinkingConfig["thinkingLevel"]> = {
  none: "MINIMAL",
  minimal: "MINIMAL",
  low: "LOW",
  medium: "MEDIUM",
  high: "HIGH",
  xhigh: "HIGH",
};

function thinkingOf(effort: string | null | undefined, model: string): ThinkingConfig | undefined {
  if (effort == null) return undefined;
  const major = Number(/^(?:models\/)?gemini-(\d+)/.exec(model)?.[1] ?? 0);
  const include = effort !== "none";
  if (major >= 3) {
    const level = LEVELS[effort];
    if (level) return { thinkingLevel: level, includeThoughts: include };
  } else {
    const budget = BUDGETS[effort];
    if (budget !== undefined) return { thinkingBudget: budget, includeThoughts: include };
  }
  throw new InvalidRequestError(`reasoning_effort '${effort.slice(0, 32)}' is not supported by Gemini models.`, { param: "reasoning_effort" });
}

/** `extra_body.google`, Google's own extension of the OpenAI request: Gemini settings with no OpenAI field. */
function googleSettingsOf(google: unknown, config: GenerationConfig): Partial<GenerateContentRequest> {
  if (google === undefined || google === null) return {};
  if (!isRecord(google)) throw new InvalidRequestError("'google' must be an object.", { param: "google" });
  const out: Partial<GenerateContentRequest> = {};
  for (const [key, value] of Object.entries(google)) {
    if (key === "thinking_config" && isRecord(value)) config.thinkingConfig = { ...config.thinkingConfig, ...(camelCased(value) as ThinkingConfig) };
    else if (key === "cached_content" && typeof value === "string") out.cachedContent = value;
    else if (key === "safety_settings" && Array.isArray(value)) out.safetySettings = value.map(camelCased);
    else throw new InvalidRequestError(`'google.${key.slice(0, 64)}' is not a Gemini setting the gateway knows.`, { param: `google.${key}` });
  }
  // `generationConfig` was made before; an added thinking config must be in it.
  if (config.thinkingConfig) out.generationConfig = config;
  return out;
}

function camelCased(value: unknown): unknown {
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), inner]));
}

// The model as a path: `gemini-2.5-flash` and `models/gemini-2.5-flash` are `/models/gemini-2.5-flash`,
// a tuned model keeps its own collection; the name is encoded, so it cannot add a query or a segment.
function modelPath(model: string): string {
  const tuned = model.startsWith("tunedModels/");
  const id = model.replace(/^(models|tunedModels)\//, "");
  return `/${tuned ? "tunedModels" : "models"}/${encodeURIComponent(id)}`;
}
