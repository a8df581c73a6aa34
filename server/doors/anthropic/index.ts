/** The Anthropic door: `POST /v1/messages`, `/v1/messages/count_tokens` and the Models API, over the one chat service. */
export { createAnthropicHandler, isAnthropicRequest, type AnthropicDoorOptions } from "./handler.js";
export { sendAnthropicError } from "./errors.js";
