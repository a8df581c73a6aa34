/**
 * Every type the SDK exposes: the router (for apps that use tRPC directly) and the request and
 * response shapes. In the repository they come from the server and the shared zod schemas; the
 * published package replaces this file's declarations with flattened ones (`scripts/flatten-types.ts`)
 * so that an app needs neither the server's dependencies nor zod to type-check.
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../server/doors/trpc/routers/_app.js";

export type { AppRouter } from "../server/doors/trpc/routers/_app.js";
export type {
  ChatMessage,
  ChatCompletionParams,
  ChatCompletionRequestInput,
  ChatCompletion,
  ChatCompletionChunk,
  Usage,
  ChoiceLogprobs,
  FinishReason,
  Model,
  ModelList,
} from "../shared/index.js";
export type { RouteInfo } from "../server/routing/router.js";

/** Every procedure's input, by path: `RouterInputs["chat"]["completions"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output, by path: `RouterOutputs["models"]["list"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** A whole completion plus `languru: { model, deployment, attempts }`: which deployment answered. */
export type RoutedChatCompletion = RouterOutputs["chat"]["completions"];
