/** Languru for React: the `useChat` hook, built on the SDK's public client. */
export { useChat, type ChatItem, type ChatParams, type ChatStatus, type UseChat, type UseChatOptions } from "./use-chat.js";
export type { ReplyStats } from "./reply-meter.js";
export type { ReasoningPart, RefusalPart, ReplyPart, TextPart, ToolCallPart } from "./reply-parts.js";
