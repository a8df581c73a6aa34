/**
 * The Gemini API's REST shapes (v1beta, `generateContent`), as far as the gateway writes or reads
 * them. Written here rather than imported from `@google/genai` (a dev dependency, for the tests):
 * the server needs no SDK, and the SDK's request types are its own (`config`), not the REST body.
 * `test/providers/gemini-wire.test.ts` holds these to the SDK's types, so they cannot drift.
 */

/** Base64 bytes with their type: images, audio, PDFs sent inline. */
export interface InlineData {
  mimeType: string;
  data: string;
}

/** A function call the model made (`id` only when Gemini gave it one). */
export interface FunctionCall {
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}

/** A tool result sent back to the model. */
export interface FunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
}

/** One part of a content; exactly one of the data fields is set. */
export interface Part {
  text?: string;
  /** A thought summary (`includeThoughts`), never the answer. */
  thought?: boolean;
  /** Opaque; a function call's must come back with it in the next request (Gemini 3 refuses the turn otherwise). */
  thoughtSignature?: string;
  inlineData?: InlineData;
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: FunctionCall;
  functionResponse?: FunctionResponse;
}

/** One turn: `user` (tool results included) or `model`. */
export interface Content {
  role?: "user" | "model";
  parts: Part[];
}

/** A function the model may call; `parametersJsonSchema` takes JSON Schema as OpenAI's `parameters` is. */
export interface FunctionDeclaration {
  name: string;
  description?: string;
  parametersJsonSchema?: unknown;
}

/** Thinking: a token budget (Gemini 2.5) or a level (Gemini 3), and whether thought summaries come back. */
export interface ThinkingConfig {
  includeThoughts?: boolean;
  thinkingBudget?: number;
  thinkingLevel?: "MINIMAL" | "LOW" | "MEDIUM" | "HIGH";
}

/** Sampling and output settings. */
export interface GenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  candidateCount?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseJsonSchema?: unknown;
  thinkingConfig?: ThinkingConfig;
}

/** How the model may use the functions. */
export interface ToolConfig {
  functionCallingConfig: { mode: "AUTO" | "ANY" | "NONE"; allowedFunctionNames?: string[] };
}

/** The body of `POST /models/{model}:generateContent` (and `:streamGenerateContent`). */
export interface GenerateContentRequest {
  contents: Content[];
  systemInstruction?: Content;
  tools?: { functionDeclarations: FunctionDeclaration[] }[];
  toolConfig?: ToolConfig;
  generationConfig?: GenerationConfig;
  safetySettings?: unknown[];
  cachedContent?: string;
}
