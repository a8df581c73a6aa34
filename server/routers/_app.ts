/** The app router: only merges the feature routers. */
import { router } from "../trpc.js";
import { chatRouter } from "./chat.js";
import { modelsRouter } from "./models.js";

/** Every tRPC procedure of the gateway. */
export const appRouter = router({ chat: chatRouter, models: modelsRouter });

/** The router's type; the client imports only this. */
export type AppRouter = typeof appRouter;
