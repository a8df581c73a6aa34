/**
 * The provider's own Gemini wire types (`server/providers/gemini/wire.ts`) held to `@google/genai`'s:
 * every field the gateway writes is a field of the SDK's type of the same thing, and every enum
 * value it writes is one of the SDK's. A field renamed or removed in the API fails `tsc` here.
 */
import type * as sdk from "@google/genai";
import { describe, expect, it } from "vitest";
import type * as wire from "../../server/providers/gemini/wire.js";

/** `true` only when `Ours` has no key `Theirs` lacks. */
type KeysWithin<Ours, Theirs> = Exclude<keyof Ours, keyof Theirs> extends never ? true : false;
/** `true` only when every value of `Ours` is a value of the string enum `Theirs`. */
type ValuesWithin<Ours, Theirs extends string> = Exclude<Ours, `${Theirs}`> extends never ? true : false;

const checks: true[] = [
  true satisfies KeysWithin<wire.Part, sdk.Part>,
  true satisfies KeysWithin<wire.Content, sdk.Content>,
  true satisfies KeysWithin<wire.FunctionCall, sdk.FunctionCall>,
  true satisfies KeysWithin<wire.FunctionResponse, sdk.FunctionResponse>,
  true satisfies KeysWithin<wire.InlineData, sdk.Blob>,
  true satisfies KeysWithin<NonNullable<wire.Part["fileData"]>, sdk.FileData>,
  true satisfies KeysWithin<wire.FunctionDeclaration, sdk.FunctionDeclaration>,
  true satisfies KeysWithin<wire.GenerationConfig, sdk.GenerationConfig>,
  true satisfies KeysWithin<wire.ThinkingConfig, sdk.ThinkingConfig>,
  true satisfies KeysWithin<wire.ToolConfig, sdk.ToolConfig>,
  true satisfies KeysWithin<wire.ToolConfig["functionCallingConfig"], sdk.FunctionCallingConfig>,
  true satisfies ValuesWithin<wire.ToolConfig["functionCallingConfig"]["mode"], sdk.FunctionCallingConfigMode>,
  true satisfies ValuesWithin<NonNullable<wire.ThinkingConfig["thinkingLevel"]>, sdk.ThinkingLevel>,
  // The request's top level: contents and generationConfig are the REST body's; the rest the SDK keeps in its config.
  true satisfies KeysWithin<Omit<wire.GenerateContentRequest, "contents" | "generationConfig">, sdk.GenerateContentConfig>,
  true satisfies KeysWithin<NonNullable<wire.GenerateContentRequest["tools"]>[number], sdk.Tool>,
];

describe("Gemini wire types", () => {
  it("are the SDK's (checked by tsc)", () => {
    expect(checks.every(Boolean)).toBe(true);
  });
});
