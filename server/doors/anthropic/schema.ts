/**
 * Zod schema of an Anthropic Messages API request (`POST /v1/messages`), after Anthropic's
 * `MessageCreateParams`. As the chat schema does, it checks what the door translates (roles, block
 * kinds it reads, `max_tokens`, the sampling ranges) and lets the upstream judge the rest: blocks,
 * tools and fields of kinds it does not read pass unchanged (`otherKind`, loose objects), so an
 * Anthropic upstream gets them and any other upstream refuses them in its own words.
 */
import { z } from "zod";
import { openEnum, otherKind } from "../../../shared/schemas/open.js";

const CacheControl = z.looseObject({ type: z.string() }).nullish();

/** A text block. */
export const TextBlock = z.looseObject({ type: z.literal("text"), text: z.string(), cache_control: CacheControl });

/** An image: base64 data with its media type, or a URL. */
export const ImageBlock = z.looseObject({
  type: z.literal("image"),
  source: z.union([
    z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal("url"), url: z.string().min(1) }),
    otherKind(["base64", "url"]),
  ]),
  cache_control: CacheControl,
});

/** A document (a PDF as base64, plain text, or a URL). */
export const DocumentBlock = z.looseObject({ type: z.literal("document"), source: z.looseObject({ type: z.string() }), cache_control: CacheControl });

/** A tool call the assistant made in an earlier turn. */
export const ToolUseBlock = z.looseObject({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown(), cache_control: CacheControl });

const ToolResultContent = z.union([z.string(), z.array(z.union([TextBlock, ImageBlock, DocumentBlock, otherKind(["text", "image", "document"])]))]);

/** What a tool call returned, sent in the next user turn. */
export const ToolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: ToolResultContent.nullish(),
  is_error: z.boolean().nullish(),
  cache_control: CacheControl,
});

/** Extended thinking of an earlier assistant turn, with the signature Anthropic checks. */
export const ThinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() });

/** Thinking Anthropic encrypted. */
export const RedactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() });

const READ_KINDS = ["text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking"];

/** Any content block of a message; kinds the door does not read (search results, server tool blocks) pass as they are. */
export const ContentBlock = z.union([
  TextBlock,
  ImageBlock,
  DocumentBlock,
  ToolUseBlock,
  ToolResultBlock,
  ThinkingBlock,
  RedactedThinkingBlock,
  otherKind(READ_KINDS),
]);

/** One turn of the conversation. */
export const InputMessage = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(ContentBlock)]),
});

/** A client tool (`type` absent or `custom`), or one of Anthropic's server tools, passed as it is. */
export const Tool = z.union([
  z.looseObject({
    type: z.literal("custom").nullish(),
    name: z.string().min(1),
    description: z.string().nullish(),
    input_schema: z.record(z.string(), z.unknown()),
    cache_control: CacheControl,
  }),
  otherKind(["custom"]),
]);

const parallel = { disable_parallel_tool_use: z.boolean().nullish() };

/** `auto`, `any`, a named tool, or `none`. */
export const ToolChoice = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("auto"), ...parallel }),
  z.looseObject({ type: z.literal("any"), ...parallel }),
  z.looseObject({ type: z.literal("tool"), name: z.string(), ...parallel }),
  z.looseObject({ type: z.literal("none") }),
]);

/** Extended thinking: on with a token budget, off, or adaptive. */
export const Thinking = z.union([
  z.looseObject({ type: z.literal("enabled"), budget_tokens: z.int().min(1) }),
  z.looseObject({ type: z.literal("disabled") }),
  z.looseObject({ type: z.literal("adaptive") }),
  otherKind(["enabled", "disabled", "adaptive"]),
]);

const fields = {
  model: z.string().min(1),
  messages: z.array(InputMessage).min(1),
  system: z.union([z.string(), z.array(TextBlock)]).nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.int().min(0).nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  tools: z.array(Tool).nullish(),
  tool_choice: ToolChoice.nullish(),
  thinking: Thinking.nullish(),
  service_tier: openEnum(["auto", "standard_only"]).nullish(),
};

/** The body of `POST /v1/messages`; fields it does not know are kept. */
export const MessagesRequest = z.looseObject({ ...fields, max_tokens: z.int().min(1), stream: z.boolean().nullish() });

/** The body of `POST /v1/messages/count_tokens`: the same conversation, no `max_tokens`. */
export const CountTokensRequest = z.looseObject(fields);

/** A Messages request after validation. */
export type MessagesRequest = z.output<typeof MessagesRequest>;
/** A count-tokens request after validation. */
export type CountTokensRequest = z.output<typeof CountTokensRequest>;
/** One content block after validation. */
export type ContentBlock = z.output<typeof ContentBlock>;
