/**
 * The usage ledger writer: `record` only appends to a buffer, so writing the ledger never blocks
 * or slows a response. The buffer is flushed in batches (every `flushMs`, or as soon as it holds
 * `batchSize` rows) and on close.
 *
 * Store outage: a failed batch goes back to the front of the buffer and is retried on the next
 * tick, with the failure logged once per outage (and once when it recovers). The buffer is
 * bounded by `maxBuffered`; past it the oldest rows are dropped, counted and logged, so an outage
 * costs ledger rows rather than memory or requests.
 */
import type { Logger } from "pino";
import type { Store, UsageRow } from "../store/index.js";

/** Settings of the writer. */
export interface LedgerOptions {
  store: Store;
  log: Logger;
  flushMs: number;
  batchSize: number;
  maxBuffered: number;
  /** Called after rows reached the store (the access service refreshes its spend). */
  onFlushed?: (rows: UsageRow[]) => void;
}

/** Counters, for tests and logs. */
export interface LedgerStats {
  buffered: number;
  written: number;
  dropped: number;
  failedFlushes: number;
}

/** Appends rows now, writes them later. */
export interface Ledger {
  /** Buffers one row; never throws, never waits. */
  record(row: UsageRow): void;
  /** Writes everything buffered now (retrying failed batches once each). */
  flush(): Promise<void>;
  stats(): LedgerStats;
  /** Stops the timer and makes a last flush. */
  close(): Promise<void>;
}

/** Creates a ledger writer. */
export function createLedger(options: LedgerOptions): Ledger {
  const { store, log } = options;
  let buffer: UsageRow[] = [];
  const stats = { written: 0, dropped: 0, failedFlushes: 0 };
  let flushing: Promise<void> | null = null;
  let failing = false;

  const writeAll = async () => {
    while (buffer.length > 0) {
      const batch = buffer.slice(0, options.batchSize);
      buffer = buffer.slice(batch.length);
      try {
        await store.recordUsage(batch);
      } catch (err) {
        buffer = [...batch, ...buffer];
        trim();
        stats.failedFlushes++;
        if (!failing)
          log.error({ err: { message: (err as Error).message }, buffered: buffer.length }, "usage ledger: store write failed; rows kept in memory and retried");
        failing = true;
        return;
      }
      stats.written += batch.length;
      if (failing) log.warn({ buffered: buffer.length, dropped: stats.dropped }, "usage ledger: store writes recovered");
      failing = false;
      options.onFlushed?.(batch);
    }
  };

  const trim = () => {
    const over = buffer.length - options.maxBuffered;
    if (over <= 0) return;
    buffer = buffer.slice(over);
    stats.dropped += over;
    log.error({ dropped: over, totalDropped: stats.dropped }, "usage ledger: buffer full during a store outage; oldest rows dropped");
  };

  const flush = (): Promise<void> => {
    // One flush at a time; a caller arriving mid-flush waits for it and then flushes what came since.
    flushing ??= writeAll().finally(() => {
      flushing = null;
    });
    return flushing;
  };

  const timer = setInterval(() => void flush(), options.flushMs);
  timer.unref();

  return {
    record(row) {
      buffer.push(row);
      trim();
      if (buffer.length >= options.batchSize && !failing) void flush();
    },
    async flush() {
      if (flushing) await flushing;
      await flush();
    },
    stats: () => ({ buffered: buffer.length, ...stats }),
    async close() {
      clearInterval(timer);
      if (flushing) await flushing;
      await flush();
      if (buffer.length > 0) log.error({ lost: buffer.length }, "usage ledger: store unavailable at shutdown; buffered rows lost");
    },
  };
}
