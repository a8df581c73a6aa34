/**
 * Reads an upstream's error answer, whatever its dialect, into one shape: a message (plain text,
 * never a JSON dump or a status prefix) plus the `type`, `code` and `param` it named. Upstreams
 * disagree on the shape of an error:
 *
 *   OpenAI, Azure, Groq, Mistral  {"error":{"message","type","param","code"}}
 *   vLLM, SGLang                  {"object":"error","message","type","param","code":400}
 *   Anthropic                     {"type":"error","error":{"type":"overloaded_error","message"}}
 *   Google (Gemini)               {"error":{"code":429,"message","status":"RESOURCE_EXHAUSTED"}}
 *   Ollama, TGI, llama.cpp        {"error":"model 'x' not found"}  (TGI adds "error_type")
 *   Mistral, Kong; FastAPI        {"message":"Unauthorized","request_id":...}; {"detail":"..."}
 *   OpenRouter (inside a stream)  {"error":{"code":502,"message","metadata"}, "choices":[...]}
 *   proxies, load balancers       text/plain, or an HTML page
 *
 * Only the named fields are read; nothing else of the body is relayed.
 */
import { isRecord } from "../../shared/index.js";
import { parseJson } from "./answer.js";

/** An upstream's error, as read from its body. */
export interface UpstreamErrorFields {
  /** Human-readable text; empty when the body said nothing usable. */
  message: string;
  type?: string;
  /** A string, or a number written as digits (vLLM's and OpenRouter's codes are numbers). */
  code?: string;
  param?: string;
}

/** The error a JSON value describes, or null when it describes none. */
export function errorFieldsOf(value: unknown): UpstreamErrorFields | null {
  if (!isRecord(value)) return null;
  const inner = value.error;
  // Ollama, TGI: the error is the text itself.
  if (typeof inner === "string") return { message: inner, ...named({ type: value.error_type ?? value.type }) };
  // OpenAI, Anthropic, OpenRouter: the fields sit in `error`; Anthropic's outer `type` is just "error".
  if (isRecord(inner)) return { message: textOf(inner.message), ...named(inner) };
  // vLLM, SGLang: the body itself is the error object.
  if (value.object === "error" || (value.type === "error" && "message" in value)) return { message: textOf(value.message), ...named(value) };
  // Mistral's and Kong's `{"message": ...}`, FastAPI's `{"detail": ...}`: only in an error answer, never in a 200.
  if (typeof value.message === "string") return { message: value.message, ...named(value) };
  if (typeof value.detail === "string") return { message: value.detail };
  return null;
}

/** An error answer's body text read as an error: JSON in any dialect above, else text (an HTML page says only its title). */
export function errorFieldsOfText(text: string, contentType: string | undefined): UpstreamErrorFields {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    const fields = errorFieldsOf(parseJson(trimmed));
    if (fields) return fields;
  }
  if (isHtml(trimmed, contentType)) return { message: htmlTitle(trimmed) };
  return { message: trimmed };
}

function named(source: Record<string, unknown>): Omit<UpstreamErrorFields, "message"> {
  const out: Omit<UpstreamErrorFields, "message"> = {};
  const type = scalar(source.type);
  // Google's `status` (RESOURCE_EXHAUSTED, INVALID_ARGUMENT) names the error; its numeric `code` only repeats the HTTP status.
  const code = googleStatus(source.status) ?? scalar(source.code);
  const param = scalar(source.param);
  if (type) out.type = type;
  if (code) out.code = code;
  if (param) out.param = param;
  return out;
}

function googleStatus(value: unknown): string | undefined {
  return typeof value === "string" && /^[A-Z][A-Z_]{1,40}$/.test(value) ? value : undefined;
}

// A message that is not text (some servers nest an object there) is shown as JSON rather than lost.
function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

function scalar(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function isHtml(text: string, contentType: string | undefined): boolean {
  return contentType?.toLowerCase().includes("html") === true || /^<(!doctype|html)/i.test(text);
}

// Bounded: the page was already cut to the error body limit, and the pattern has no nested repetition.
function htmlTitle(html: string): string {
  const title = /<title[^>]*>([^<]{1,300})<\/title>/i.exec(html)?.[1]?.trim();
  return title ? decodeEntities(title) : "";
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[name] ?? "");
}
