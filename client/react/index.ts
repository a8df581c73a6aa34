/**
 * `@languru/client/react`: the React entry (a `useChat` hook). Placeholder reserved by the package
 * layout; the hook replaces this file.
 */
export type { ChatCompletionChunk, ChatCompletionParams, ChatMessage } from "../types.js";
