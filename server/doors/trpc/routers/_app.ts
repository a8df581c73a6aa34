/** The app router: only merges the feature routers. */
import { router } from "../trpc.js";
import { chatRouter } from "./chat.js";
import { keysRouter } from "./keys.js";
import { modelsRouter } from "./models.js";
import { usageRouter } from "./usage.js";

/** Every tRPC procedure of the gateway. */
export const appRouter = router({ chat: chatRouter, models: modelsRouter, keys: keysRouter, usage: usageRouter });

/** The router's type; the client imports only this. */
export type AppRouter = typeof appRouter;
