/** `models.*`: what the gateway can route. */
import { adminProcedure, keyProcedure, router } from "../trpc.js";

/** The models router. */
export const modelsRouter = router({
  /** Every routable model the caller may use, as `GET /v1/models` lists it. */
  list: keyProcedure.query(({ ctx }) => {
    const { access, caller } = ctx;
    const data = ctx.chat.models().filter((m) => !access || !caller || access.allows(caller, m.id));
    return { object: "list" as const, data };
  }),
  /** Health (healthy, cooling, probing) and load of every deployment, as `GET /languru/deployments`; master key only when keys are on. */
  deployments: adminProcedure.query(({ ctx }) => ({ object: "list" as const, data: ctx.chat.deployments() })),
});
