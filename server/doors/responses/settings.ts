/** How the Responses door keeps responses (`store`): how long, how big one and all of them may be, and the keys-off memory bound. */

/** The bounds of stored responses. */
export interface ResponsesSettings {
  /** How long a stored response can be read back or continued (`LANGURU_RESPONSES_TTL_DAYS`, default 30 days). */
  ttlMs: number;
  /** The most bytes one stored response may take, its conversation included (`LANGURU_RESPONSES_MAX_BYTES`, default 1 MiB); a bigger one is served but not kept. */
  maxBytes: number;
  /**
   * The most bytes all stored responses may take together, counted as `maxBytes` counts one
   * (`LANGURU_RESPONSES_MAX_TOTAL_BYTES`, default 1 GiB); past it the oldest are evicted, and a
   * `previous_response_id` naming one is a 404 like any unknown id.
   */
  maxTotalBytes: number;
  /** With keys off there is no database: responses live in this replica's memory, at most this many... */
  memoryEntries: number;
  /** ...and this many bytes together (`LANGURU_RESPONSES_MEMORY_BYTES`, default 64 MiB); the least recently used go first. */
  memoryBytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The defaults, OpenAI's 30 days among them. */
export const DEFAULT_RESPONSES_SETTINGS: ResponsesSettings = {
  ttlMs: 30 * DAY_MS,
  maxBytes: 1024 * 1024,
  // Bytes, not rows, because bytes are what fill a disk: 1,024 responses at the per-response bound,
  // far more of ordinary ones, and within a small VM's disk.
  maxTotalBytes: 1024 * 1024 * 1024,
  memoryEntries: 10_000,
  memoryBytes: 64 * 1024 * 1024,
};

/** Days as milliseconds, for the environment variable. */
export function daysToMs(days: number): number {
  return days * DAY_MS;
}
