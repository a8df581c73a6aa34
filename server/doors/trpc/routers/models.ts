/** `models.*`: what the gateway can route. */
import { visibleModels } from "../../../chat/visible-models.js";
import { adminProcedure, keyProcedure, router } from "../trpc.js";

/** The models router. */
export const modelsRouter = router({
  /** Every routable model the caller may use, as `GET /v1/models` lists it. */
  list: keyProcedure.query(({ ctx }) => ({ object: "list" as const, data: visibleModels(ctx.chat.models(), ctx.access, ctx.caller) })),
  /** Health (healthy, cooling, probing) and load of every deployment, as `GET /languru/deployments`; master key only when keys are on. */
  deployments: adminProcedure.query(({ ctx }) => ({ object: "list" as const, data: ctx.chat.deployments() })),
});
