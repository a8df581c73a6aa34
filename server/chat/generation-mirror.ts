/**
 * What a generation store shares with other replicas: the generations this replica produces are
 * published, and generations produced elsewhere can be followed and cancelled from here. The local
 * store stays the source of truth for its own generations (its followers never wait on the mirror);
 * the mirror only widens who can follow and cancel them.
 */
import { InvalidRequestError, NotFoundError, RateLimitError, type ChatCompletionChunk, type LanguruError } from "../../shared/index.js";

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

/**
 * What following a generation made by another boot answers when nothing is shared between boots (no
 * Redis): the gateway restarted since (or the id is another replica's), and the generation, which
 * lived in that process's memory, is gone. The client keeps what it received; only starting again helps.
 */
export function generationRestarted(id: string): NotFoundError {
  return new NotFoundError(
    `Generation '${id}' was started by another run of the gateway, which has since restarted (or by another replica, and no Redis is shared): it is gone. The chunks already received stay valid; start the generation again for the rest.`,
    { param: "id", code: "generation_restarted" },
  );
}

/**
 * The most followers one generation has at once on one replica. A client needs one (two while a
 * reconnect overlaps a connection not yet seen dead); each follower costs a connection and a batch.
 */
export const MAX_FOLLOWERS = 16;

/**
 * The most chunk JSON a follower that is behind parses into one batch: a follower whose socket is
 * stalled holds one batch (a few times this), never a parsed copy of the whole generation.
 */
export const BATCH_BYTES = 32 * 1024;

/** What a follower that asks for chunks the generation no longer keeps gets, on every replica. */
export function chunksNotBuffered(id: string, next: number): NotFoundError {
  return new NotFoundError(
    `Generation '${id}' no longer keeps chunk ${next}: a generation keeps only its latest chunks for resumption (LANGURU_RESUME_BUFFER_BYTES). Start it again.`,
    { param: "lastEventId", code: "chunks_not_buffered" },
  );
}

/** What the follower past `MAX_FOLLOWERS` gets. */
export function tooManyFollowers(id: string): RateLimitError {
  return new RateLimitError(`Generation '${id}' already has ${MAX_FOLLOWERS} followers; close one first.`, {
    code: "too_many_followers",
    headers: { "retry-after": "1" },
  });
}

/** A `lastEventId` that is not the index of a chunk the generation made. */
export function invalidLastEventId(lastEventId: string, why: string): InvalidRequestError {
  const shown = lastEventId.length > 40 ? `${lastEventId.slice(0, 40)}…` : lastEventId;
  return new InvalidRequestError(`'lastEventId' must be the index of a chunk of the generation, got '${shown}': ${why}`, {
    param: "lastEventId",
    code: "invalid_last_event_id",
  });
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
  /** It no longer keeps the chunks before `before` (its resumption window moved): neither does the mirror. */
  dropped(id: string, before: number): void;
  /** It ended: `error` is null when it completed. */
  ended(id: string, error: LanguruError | null): void;
  /** True while a follower on another replica follows it (so the grace timer must not abort it). */
  watched(id: string): Promise<boolean>;
  /**
   * Follows a generation produced on another replica from position `from`. Throws NotFoundError
   * (`generation_not_found`) when no replica has it for `owner`, NotFoundError
   * (`chunks_not_buffered`) when chunk `from` is no longer kept, InvalidRequestError
   * (`invalid_last_event_id`) when `from` is past its end, RateLimitError (`too_many_followers`),
   * and UpstreamError (`generation_lost`) when its replica stopped publishing without ending it.
   */
  follow(id: string, from: number, signal: AbortSignal, owner: string | null): AsyncGenerator<ChunkBatch>;
  /** Asks whichever replica runs the generation to cancel it. */
  cancel(id: string, owner: string | null): void;
  /** Registers what this replica does when another one asks it to cancel a generation. */
  onCancel(handler: (id: string, owner: string | null) => void): void;
  /** Stops publishing and following. */
  close(): Promise<void>;
}
