/**
 * Stored responses of the Responses door (`store: true`): one row per response, its JSON as text,
 * readable only by the key that made it and only until it expires, and all of them together bounded
 * in bytes (the oldest out first). SQLite and PostgreSQL implement it over the store's own
 * connection (responses-sqlite.ts, responses-postgres.ts), with a running total (responses-total.ts).
 */

/** One stored response. */
export interface StoredResponseRow {
  /** `resp_…`, unguessable. */
  id: string;
  /** The key id that made it, `master`, or `""` with keys off. */
  owner: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds; from then on the row is gone to readers, and swept. */
  expiresAt: number;
  /** The JSON the door keeps (the response and its conversation). */
  body: string;
  /** UTF-8 bytes of `body`, as the door's bounds count them (measured once, by the door). */
  bytes: number;
}

/** The stored responses. */
export interface ResponseRecords {
  put(row: StoredResponseRow): Promise<void>;
  /** The body, or null when there is no such row for this owner, or it expired by `now`. */
  get(id: string, owner: string, now: number): Promise<string | null>;
  /** True when a row of this owner was deleted. */
  delete(id: string, owner: string): Promise<boolean>;
  /** Deletes the rows expired by `now`. */
  sweep(now: number): Promise<void>;
  /**
   * Deletes the oldest rows (in memory: the least recently used), never `keep`, until the bodies
   * together are at most `maxBytes`. Cheap when under the bound: one read of a running total.
   */
  evictOldest(maxBytes: number, keep: string): Promise<void>;
}
