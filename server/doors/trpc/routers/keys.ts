/** `keys.*`: API key management, master key only. A key is returned once, by `create`. */
import { z } from "zod";
import { InvalidRequestError } from "../../../../shared/index.js";
import type { Admin } from "../../../access/index.js";
import { adminProcedure, router } from "../trpc.js";

const limit = z.int().positive().nullable().optional();

/** Settings to change; an absent field stays as it is, null clears a limit. */
export const KeyPatchInput = z.strictObject({
  name: z.string().min(1).max(200).nullable().optional(),
  /** Public model names; a trailing `*` matches a prefix (`openai/*`). */
  models: z.array(z.string().min(1)).min(1).nullable().optional(),
  rpm: limit,
  tpm: limit,
  budgetTokens: limit,
  budgetUsd: z.number().positive().nullable().optional(),
  expiresAt: z.coerce.date().nullable().optional(),
});

/** What an admin sets on a new key; an absent field is unlimited / all models / never expires. */
export const KeySettingsInput = KeyPatchInput.transform((p) => ({
  name: p.name ?? null,
  models: p.models ?? null,
  rpm: p.rpm ?? null,
  tpm: p.tpm ?? null,
  budgetTokens: p.budgetTokens ?? null,
  budgetUsd: p.budgetUsd ?? null,
  expiresAt: p.expiresAt ?? null,
}));

const KeyId = z.strictObject({ id: z.string().min(1) });

/** The admin service, or a 400 explaining that keys are off. */
export function adminOf(ctx: { admin: Admin | null }): Admin {
  if (!ctx.admin)
    throw new InvalidRequestError("Access control is off: start the gateway with LANGURU_MASTER_KEY to manage keys.", { code: "access_disabled" });
  return ctx.admin;
}

/** The keys router. */
export const keysRouter = router({
  /** Creates a key: `{ key, record }`; store `key` now, it is never shown again. */
  create: adminProcedure.input(KeySettingsInput).mutation(({ input, ctx }) => adminOf(ctx).createKey(input)),
  /** Every key (revoked ones too), without hashes. */
  list: adminProcedure.query(({ ctx }) => adminOf(ctx).listKeys()),
  /** Changes the given settings; applies on this replica at once, on others within the key cache time. */
  update: adminProcedure.input(KeyId.extend({ patch: KeyPatchInput })).mutation(({ input, ctx }) => adminOf(ctx).updateKey(input.id, input.patch)),
  /** Revokes a key for good (its ledger rows stay). */
  revoke: adminProcedure.input(KeyId).mutation(({ input, ctx }) => adminOf(ctx).revokeKey(input.id)),
});
