/**
 * What a generation store shares with other replicas: the generations this replica produces are
 * published, and generations produced elsewhere can be followed and cancelled from here. The local
 * store stays the source of truth for its own generations (its followers never wait on the mirror);
 * the mirror only widens who can follow and cancel them.
 */
import { NotFoundError, type ChatCompletionChunk, type LanguruError } from "../../shared/index.js";

/**
 * Consecutive chunks of a generation: `chunks[i]` is chunk `first + i`, and a chunk's position is
 * its event id. Followers take what arrived together as one batch, so a stream costs one message
 * per burst rather than one per chunk.
 */
export interface ChunkBatch {
  first: number;
  chunks: ChatCompletionChunk[];
}

/** What following an unknown generation (never started, forgotten, or another key's) answers, on every replica. */
export function generationNotFound(id: string): NotFoundError {
  return new NotFoundError(`No generation '${id}': it ended or was never started.`, { param: "id", code: "generation_not_found" });
}

/** Hooks a local generation store calls, and the remote half it falls back to. */
export interface GenerationMirror {
  /**
   * A generation started on this replica; `owner` is the key id allowed to follow it. Settles once
   * other replicas can find it (or sharing failed: then it is followed on this replica only).
   */
  started(id: string, owner: string | null): Promise<void>;
  /** Its chunk at `index` as JSON (indexes are consecutive from 0). */
  chunk(id: string, index: number, json: string): void;
  /** It ended: `error` is null when it completed. */
  ended(id: string, error: LanguruError | null): void;
  /** True while a follower on another replica follows it (so the grace timer must not abort it). */
  watched(id: string): Promise<boolean>;
  /**
   * Follows a generation produced on another replica from position `from`. Throws NotFoundError
   * (`generation_not_found`) when no replica has it for `owner`, and UpstreamError
   * (`generation_lost`) when its replica stopped publishing without ending it.
   */
  follow(id: string, from: number, signal: AbortSignal, owner: string | null): AsyncGenerator<ChunkBatch>;
  /** Asks whichever replica runs the generation to cancel it. */
  cancel(id: string, owner: string | null): void;
  /** Registers what this replica does when another one asks it to cancel a generation. */
  onCancel(handler: (id: string, owner: string | null) => void): void;
  /** Stops publishing and following. */
  close(): Promise<void>;
}
