/**
 * Zod schemas for Chat Completions request messages, after `ChatCompletionRequestMessage` in the
 * OpenAI spec. The gateway reads text (to meter it) and roles, so those are checked; content parts
 * of other kinds (vLLM's `video_url` and `audio_url`) and enum members (`input_audio.format:
 * "flac"`) are the upstream's to judge.
 */
import { z } from "zod";
import { openEnum, otherKind } from "./open.js";

/** A plain text content part. */
export const TextPart = z.looseObject({ type: z.literal("text"), text: z.string() });

/** An image by URL or data URL. */
export const ImagePart = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.looseObject({
    url: z.string().min(1),
    detail: openEnum(["auto", "low", "high"]).optional(),
  }),
});

/** Base64 audio input. */
export const AudioPart = z.looseObject({
  type: z.literal("input_audio"),
  input_audio: z.looseObject({ data: z.string(), format: openEnum(["wav", "mp3"]) }),
});

/** A file by id or inline data. */
export const FilePart = z.looseObject({
  type: z.literal("file"),
  file: z.looseObject({
    filename: z.string().optional(),
    file_data: z.string().optional(),
    file_id: z.string().optional(),
  }),
});

/** A refusal part, only in assistant messages. */
export const RefusalPart = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });

/** A content part of a kind the gateway does not read, passed to the upstream as it is. */
export type OtherContentPart = z.output<ReturnType<typeof otherKind>>;

const textContent = z.union([z.string(), z.array(z.union([TextPart, otherKind(["text"])])).min(1)]);
const userPart = z.union([TextPart, ImagePart, AudioPart, FilePart, otherKind(["text", "image_url", "input_audio", "file"])]);
const assistantPart = z.union([TextPart, RefusalPart, otherKind(["text", "refusal"])]);

/** A function tool call made by the assistant. */
export const FunctionToolCall = z.looseObject({
  id: z.string(),
  type: z.literal("function"),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

/** A custom (free-form input) tool call made by the assistant. */
export const CustomToolCall = z.looseObject({
  id: z.string(),
  type: z.literal("custom"),
  custom: z.looseObject({ name: z.string(), input: z.string() }),
});

/** Either kind of tool call. */
export const ToolCall = z.discriminatedUnion("type", [FunctionToolCall, CustomToolCall]);

/** Developer instructions (newer models' replacement for system). */
export const DeveloperMessage = z.looseObject({
  role: z.literal("developer"),
  content: textContent,
  name: z.string().optional(),
});

/** System instructions. */
export const SystemMessage = z.looseObject({
  role: z.literal("system"),
  content: textContent,
  name: z.string().optional(),
});

/** A user turn: text or multimodal parts. */
export const UserMessage = z.looseObject({
  role: z.literal("user"),
  content: z.union([z.string(), z.array(userPart).min(1)]),
  name: z.string().optional(),
});

/** An earlier assistant turn, possibly with tool calls or a refusal. */
export const AssistantMessage = z.looseObject({
  role: z.literal("assistant"),
  content: z.union([z.string(), z.array(assistantPart).min(1)]).nullish(),
  refusal: z.string().nullish(),
  name: z.string().optional(),
  audio: z.looseObject({ id: z.string() }).nullish(),
  tool_calls: z.array(ToolCall).optional(),
  function_call: z.looseObject({ name: z.string(), arguments: z.string() }).nullish(),
});

/** The result of a tool call. */
export const ToolMessage = z.looseObject({
  role: z.literal("tool"),
  content: textContent,
  tool_call_id: z.string(),
});

/** The deprecated function-result message. */
export const FunctionMessage = z.looseObject({
  role: z.literal("function"),
  content: z.string().nullable(),
  name: z.string(),
});

/** Any message of a conversation, told apart by `role`. */
export const ChatMessage = z.discriminatedUnion("role", [DeveloperMessage, SystemMessage, UserMessage, AssistantMessage, ToolMessage, FunctionMessage]);

/** One message of a conversation. */
export type ChatMessage = z.output<typeof ChatMessage>;
