/**
 * OpenAI tools as Gemini's: function tools become one `functionDeclarations` list (the JSON Schema
 * of `parameters` as `parametersJsonSchema`), `tool_choice` the `functionCallingConfig` mode
 * (`auto` AUTO, `none` NONE, `required` ANY, a named function ANY limited to it). Custom tools and
 * other kinds have no Gemini form: a 400.
 */
import { InvalidRequestError, isRecord } from "../../../shared/index.js";
import type { UpstreamRequest } from "../types.js";
import type { FunctionDeclaration, GenerateContentRequest, ToolConfig } from "./wire.js";

/** The request's tools, or undefined when it has none. */
export function toolsOf(tools: UpstreamRequest["tools"]): GenerateContentRequest["tools"] {
  if (!tools || tools.length === 0) return undefined;
  const declarations = tools.map((tool, i): FunctionDeclaration => {
    if (tool.type !== "function" || !isRecord(tool.function)) {
      throw new InvalidRequestError(`tools[${i}]: Gemini models take function tools only.`, { param: `tools[${i}]`, code: "unsupported_tool" });
    }
    const fn = tool.function as { name: string; description?: string | null; parameters?: Record<string, unknown> | null };
    const declaration: FunctionDeclaration = { name: fn.name };
    if (fn.description) declaration.description = fn.description;
    if (fn.parameters && Object.keys(fn.parameters).length > 0) declaration.parametersJsonSchema = fn.parameters;
    return declaration;
  });
  return [{ functionDeclarations: declarations }];
}

/** `tool_choice` as a tool config, or undefined for none given. */
export function toolChoiceOf(choice: UpstreamRequest["tool_choice"]): ToolConfig | undefined {
  if (choice == null) return undefined;
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } };
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } };
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } };
  if (isRecord(choice) && choice.type === "function" && isRecord(choice.function) && typeof choice.function.name === "string")
    return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.function.name] } };
  if (isRecord(choice) && choice.type === "allowed_tools" && isRecord(choice.allowed_tools) && choice.allowed_tools.mode === "required") {
    const names = Array.isArray(choice.allowed_tools.tools) ? choice.allowed_tools.tools.flatMap(functionName) : [];
    return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: names } };
  }
  throw new InvalidRequestError("this tool_choice is not supported by Gemini models (use auto, none, required or a named function).", {
    param: "tool_choice",
  });
}

function functionName(tool: unknown): string[] {
  return isRecord(tool) && isRecord(tool.function) && typeof tool.function.name === "string" ? [tool.function.name] : [];
}
