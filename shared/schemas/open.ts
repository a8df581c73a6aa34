/**
 * Values the upstream judges, typed for the SDK but not closed by the gateway. An enum of the spec
 * (`reasoning_effort`, `input_audio.format`, ...) grows faster than any gateway release, and vLLM,
 * Groq or OpenRouter accept members OpenAI does not; the gateway checks the type and lets the
 * upstream refuse a member it does not know. The known members still complete in an editor.
 */
import { z } from "zod";

/**
 * A string schema typed as one of `members` or any other string (`string & {}` keeps the members
 * visible to editors); any string passes. Spelled out rather than a named alias, so that the SDK's
 * flattened declarations print the members themselves.
 */
export function openEnum<const T extends readonly string[]>(_members: T) {
  return z.custom<T[number] | (string & {})>((value) => typeof value === "string", { message: "Invalid input: expected string" });
}

/**
 * An object of a kind (`type`) the gateway does not read: vLLM's `video_url` part, a provider's own
 * tool type. Only `type` is checked; the upstream judges the rest. Kinds in `known` have their own
 * schema and are refused here, so a malformed known kind reports its own field.
 */
export function otherKind(known: readonly string[]) {
  return z.looseObject({
    // Aborting, so that a union reports the known kind's own issue (a missing `text`) rather than this one.
    type: z.string().refine((type) => !known.includes(type), { message: "does not match this kind's fields", abort: true }),
  });
}
