/** The OpenAI Responses door (`/v1/responses`): handler, stored responses and their bounds. */
export { createResponsesHandler, isResponsesPath, type ResponsesDoorOptions } from "./handler.js";
export { memoryResponseRecords } from "./memory-records.js";
export { DEFAULT_RESPONSES_SETTINGS, daysToMs, type ResponsesSettings } from "./settings.js";
export { createResponseStore, type ResponseStore } from "./store.js";
