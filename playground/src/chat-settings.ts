/**
 * What the person chose for the next turns, and how it becomes the request's fields. Fields are
 * kept as typed (strings), so a half-typed number is not lost; an empty one means the model's default.
 */
import type { ChatParams } from "../../client/react/index.js";

/** The settings panel's values. */
export interface ChatSettings {
  model: string;
  /** True when `model` was typed (`provider/model`) rather than picked from the gateway's list. */
  customModel: boolean;
  system: string;
  temperature: number;
  maxTokens: string;
  topP: string;
  /** Stop sequences, one per line (at most 4, as OpenAI takes). */
  stop: string;
  seed: string;
  /** `response_format: { type: "json_object" }`. */
  jsonMode: boolean;
  /** A JSON object sent as `extra_body` (vendor fields, e.g. `{"echo_delay_ms": 5}`); empty: none. */
  extra: string;
}

/** A fresh page's settings. */
export function defaultSettings(): ChatSettings {
  return { model: "", customModel: false, system: "", temperature: 1, maxTokens: "", topP: "", stop: "", seed: "", jsonMode: false, extra: "" };
}

/** The request fields, or why they cannot be sent (`error` names the field and what is wrong). */
export function toChatParams(settings: ChatSettings): { params: ChatParams; error: string | null } {
  const params: ChatParams = { temperature: settings.temperature };
  const maxTokens = Number.parseInt(settings.maxTokens, 10);
  if (maxTokens > 0) params.max_tokens = maxTokens;
  if (settings.topP.trim() !== "") {
    const topP = Number(settings.topP);
    if (!(topP >= 0 && topP <= 1)) return { params, error: "Top P must be a number from 0 to 1." };
    params.top_p = topP;
  }
  const stop = settings.stop.split("\n").filter((s) => s !== "");
  if (stop.length > 4) return { params, error: "At most 4 stop sequences." };
  if (stop.length > 0) params.stop = stop;
  if (settings.seed.trim() !== "") {
    if (!/^-?\d{1,15}$/.test(settings.seed.trim())) return { params, error: "Seed must be a whole number." };
    params.seed = Number(settings.seed.trim());
  }
  if (settings.jsonMode) params.response_format = { type: "json_object" };
  if (settings.extra.trim() !== "") {
    let extra: unknown;
    try {
      extra = JSON.parse(settings.extra);
    } catch {
      return { params, error: "Extra fields must be JSON." };
    }
    if (typeof extra !== "object" || extra === null || Array.isArray(extra))
      return { params, error: 'Extra fields must be a JSON object, e.g. {"echo_delay_ms": 5}.' };
    params.extra_body = extra as Record<string, unknown>;
  }
  return { params, error: null };
}
