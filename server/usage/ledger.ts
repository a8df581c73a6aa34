/**
 * The usage ledger writer: `record` only appends to a buffer, so writing the ledger never blocks
 * or slows a response. The buffer is flushed in batches (every `flushMs`, or as soon as it holds
 * `batchSize` rows) and on close.
 *
 * Store outage: a failed batch goes back to the front of the buffer and is retried on the next
 * tick, with the failure logged once per outage (and once when it recovers). The buffer is
 * bounded by `maxBuffered`; past it the oldest rows are dropped, counted and logged, so an outage
 * costs ledger rows rather than memory or requests.
 *
 * A refused row is not an outage: when a batch fails but the store still answers a ping, the batch
 * is split in halves until the rows the store refuses stand alone, so every other row (of every
 * key) lands. A refused row is written once more as a placeholder without its text (its tokens
 * and cost still count against its key), and if even that is refused it is dropped with a log
 * line. Either way it is never retried again, so one bad row cannot stall the ledger.
 */
import type { Logger } from "pino";
import { placeholderUsage, storableUsage, type Store, type UsageRow } from "../store/index.js";

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
  /** Rows that reached the store, placeholders included. */
  written: number;
  /** Rows dropped because the buffer was full during an outage. */
  dropped: number;
  /** Rows the store refused even as a placeholder, dropped. */
  rejected: number;
  /** Rows the store refused as they were, written as placeholders. */
  placeholders: number;
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
  const stats = { written: 0, dropped: 0, rejected: 0, placeholders: 0, failedFlushes: 0 };
  let flushing: Promise<void> | null = null;
  let failing = false;

  /** Writes `rows` in one store call; the error, or null once they landed. */
  const write = async (rows: UsageRow[]): Promise<unknown> => {
    try {
      await store.recordUsage(rows);
    } catch (err) {
      return err ?? new Error("store write failed");
    }
    stats.written += rows.length;
    options.onFlushed?.(rows);
    return null;
  };

  const storeAnswers = async (): Promise<boolean> => {
    try {
      await store.ping();
      return true;
    } catch {
      return false;
    }
  };

  /** Writes a batch, isolating the rows the store refuses; returns the rows to retry later (the store is down) and the error. */
  const writeIsolating = async (batch: UsageRow[]): Promise<{ unwritten: UsageRow[]; err: unknown }> => {
    const parts = [batch];
    for (let part = parts.shift(); part; part = parts.shift()) {
      const err = await write(part);
      if (err === null) continue;
      if (!(await storeAnswers())) return { unwritten: [...part, ...parts.flat()], err };
      if (part.length > 1) {
        const half = Math.ceil(part.length / 2);
        parts.unshift(part.slice(0, half), part.slice(half));
        continue;
      }
      const refused = part[0]!;
      const again = await write([placeholderUsage(refused)]);
      const about = { keyId: refused.keyId, status: refused.status, modelLength: refused.model.length, err: { message: messageOf(err) } };
      if (again === null) {
        stats.placeholders++;
        log.warn(about, "usage ledger: the store refused a row; wrote a placeholder without its text (its tokens and cost kept)");
      } else if (await storeAnswers()) {
        stats.rejected++;
        log.error({ ...about, placeholderErr: { message: messageOf(again) } }, "usage ledger: the store refused a row, even as a placeholder; dropped");
      } else {
        return { unwritten: [refused, ...parts.flat()], err: again };
      }
    }
    return { unwritten: [], err: null };
  };

  const writeAll = async () => {
    while (buffer.length > 0) {
      const batch = buffer.slice(0, options.batchSize);
      buffer = buffer.slice(batch.length);
      const { unwritten, err } = await writeIsolating(batch);
      if (unwritten.length > 0) {
        buffer = [...unwritten, ...buffer];
        trim();
        stats.failedFlushes++;
        if (!failing)
          log.error({ err: { message: messageOf(err) }, buffered: buffer.length }, "usage ledger: store write failed; rows kept in memory and retried");
        failing = true;
        return;
      }
      if (failing) log.warn({ buffered: buffer.length, dropped: stats.dropped }, "usage ledger: store writes recovered");
      failing = false;
      // A synchronous store (SQLite) writes on the event loop: requests run between two batches.
      if (buffer.length > 0) await new Promise((resolve) => setImmediate(resolve));
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
      // Sanitised once here, so the access service's spend bookkeeping sees the values the store keeps.
      buffer.push(storableUsage(row));
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

// A driver's message, bounded: it is logged, and a message may quote the value it refused.
function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}
