/** `usage.*`: the usage ledger, master key only. */
import { z } from "zod";
import { adminProcedure, router } from "../trpc.js";
import { adminOf } from "./keys.js";

/** Which rows: by key, model and time range (`from` inclusive, `to` exclusive). */
export const UsageQueryInput = z
  .strictObject({
    keyId: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    limit: z.int().min(0).max(10_000).optional(),
  })
  .default({});

/** The usage router. */
export const usageRouter = router({
  /** Ledger rows (newest first, up to `limit`, default 1000) and totals over every matching row. */
  query: adminProcedure.input(UsageQueryInput).query(({ input, ctx }) => adminOf(ctx).usage(input)),
});
