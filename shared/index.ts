/** What server and client both import: schemas, inferred types and the error model. */
export * from "./schemas/messages.js";
export * from "./schemas/request.js";
export * from "./schemas/response.js";
export * from "./schemas/params.js";
export * from "./errors.js";
export { fromZodError, formatPath } from "./validation.js";
