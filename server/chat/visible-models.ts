/** The one visible-model filter both doors use (`GET /v1/models` and `models.list`). */
import type { Model } from "../../shared/index.js";
import type { Access, Caller } from "../access/index.js";

/** The models a caller may use: all of them with keys off, else those its key's allow-list admits. */
export function visibleModels(models: Model[], access: Access | null, caller: Caller | undefined): Model[] {
  if (!access || !caller) return models;
  return models.filter((m) => access.allows(caller, m.id));
}
