/** Key management and usage reports for the admin procedures (master key only). */
import { LanguruError, NotFoundError, ServiceUnavailableError } from "../../shared/index.js";
import type { KeyRecord, KeySettings, Store, UsageFilter, UsageReport } from "../store/index.js";
import type { Ledger } from "../usage/index.js";
import { generateKey } from "./keys.js";
import type { Access } from "./service.js";

/** A key as admins see it: everything but the hash. */
export type KeyView = Omit<KeyRecord, "hash">;

/** The admin operations. */
export interface Admin {
  /** Creates a key; the returned `key` is the only time it is ever shown. */
  createKey(settings: KeySettings): Promise<{ key: string; record: KeyView }>;
  listKeys(): Promise<KeyView[]>;
  updateKey(id: string, patch: Partial<KeySettings>): Promise<KeyView>;
  revokeKey(id: string): Promise<KeyView>;
  /** Ledger rows and totals; flushes this replica's buffer first so that they include its latest requests. */
  usage(filter: UsageFilter): Promise<UsageReport>;
}

/** Creates the admin operations over the store. */
export function createAdmin(options: { store: Store; access: Access; ledger: Ledger }): Admin {
  const { store, access, ledger } = options;
  const found = (id: string, record: KeyRecord | null): KeyView => {
    if (!record) throw new NotFoundError(`No API key with id '${id}'.`, { param: "id", code: "key_not_found" });
    access.forget(id);
    return view(record);
  };
  const admin: Admin = {
    async createKey(settings) {
      const made = generateKey();
      const record = await store.insertKey({ ...settings, id: made.id, hash: made.hash });
      access.forget(made.id);
      return { key: made.key, record: view(record) };
    },
    listKeys: async () => (await store.listKeys()).map(view),
    updateKey: async (id, patch) => found(id, await store.updateKey(id, patch)),
    revokeKey: async (id) => found(id, await store.revokeKey(id, new Date())),
    async usage(filter) {
      await ledger.flush();
      return store.queryUsage(filter);
    },
  };
  return storeFailuresAs503(admin);
}

// A store failure is an outage, not a bug: admins get a 503 they can retry, not an opaque 500.
function storeFailuresAs503(admin: Admin): Admin {
  const wrap =
    <A extends unknown[], R>(run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await run(...args);
      } catch (err) {
        if (err instanceof LanguruError) throw err;
        throw new ServiceUnavailableError("The key store is unreachable right now; try again shortly.", {
          code: "store_unavailable",
          headers: { "retry-after": "1" },
        });
      }
    };
  return {
    createKey: wrap(admin.createKey),
    listKeys: wrap(admin.listKeys),
    updateKey: wrap(admin.updateKey),
    revokeKey: wrap(admin.revokeKey),
    usage: wrap(admin.usage),
  };
}

function view(record: KeyRecord): KeyView {
  const { hash: _hash, ...rest } = record;
  return rest;
}
