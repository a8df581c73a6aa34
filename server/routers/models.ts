/** `models.*`: what the gateway can route. */
import { publicProcedure, router } from "../trpc.js";

/** The models router. */
export const modelsRouter = router({
  /** Every routable model, as `GET /v1/models` lists it. */
  list: publicProcedure.query(({ ctx }) => ({ object: "list" as const, data: ctx.chat.models() })),
  /** Health (healthy, cooling, probing) and load of every deployment, as `GET /languru/deployments`. */
  deployments: publicProcedure.query(({ ctx }) => ({ object: "list" as const, data: ctx.chat.deployments() })),
});
