/** The Anthropic Messages door: `POST /v1/messages` and `/v1/messages/count_tokens` over the one chat service. */
export { createAnthropicHandler, isAnthropicRequest, type AnthropicDoorOptions } from "./handler.js";
export { sendAnthropicError } from "./errors.js";
