/**
 * Resumable generations for the tRPC subscription. A generation is started by a POST (so a large
 * conversation never travels in an SSE URL), runs detached from any one connection, and buffers
 * its chunks; subscribers follow it by id and a reconnecting one resumes after its `lastEventId`
 * instead of starting a second upstream generation.
 *
 * A generation that nobody follows for `graceMs` is aborted (the client left), and a finished one
 * is forgotten `graceMs` after it ended (late resumes still get its tail). A cancelled generation
 * ends its followers quietly: a client that left is not an error to report.
 *
 * What a generation buffers is bounded (`bufferBytes`, its latest chunks' JSON): past it the oldest
 * chunks go, once every follower took them; while a follower still needs them, the upstream waits
 * for it, as a REST stream waits for its socket. A follower that asks for chunks no longer kept (a
 * late start, a resume from too far back) gets `chunks_not_buffered`. Followers are bounded per
 * generation, and one that is behind parses a bounded batch at a time.
 */
import type { IncomingHttpHeaders } from "node:http";
import { InternalError, LanguruError, ServiceUnavailableError, type ChatCompletionChunk, type ChatCompletionRequest } from "../../shared/index.js";
import type { Caller } from "../access/index.js";
import type { RequestRecord } from "../observability/request.js";
import type { RouteInfo } from "../routing/router.js";
import { ChunkWindow } from "./chunk-window.js";
import {
  BATCH_BYTES,
  type ChunkBatch,
  chunksNotBuffered,
  type GenerationMirror,
  generationNotFound,
  generationRestarted,
  invalidLastEventId,
  MAX_FOLLOWERS,
  tooManyFollowers,
} from "./generation-mirror.js";
import { bootOf, newBootId, newGenerationId } from "./generation-ids.js";
import { jsonTextOf, keepJsonText } from "../providers/json-text.js";
import { settledWithin } from "../lib/settled-within.js";
import { CallAbortController } from "../lib/call-abort.js";
import type { ChatService } from "./service.js";

export type { ChunkBatch } from "./generation-mirror.js";

/** Starts, follows and cancels generations. */
export interface GenerationStore {
  /**
   * Starts a generation; settles once its first chunk arrived (earlier errors are thrown here).
   * `signal` is the starting request's: the client leaving before the first chunk stops the upstream
   * call and any retry; once started, the generation outlives that request.
   */
  start(
    request: ChatCompletionRequest,
    caller?: Caller,
    signal?: AbortSignal,
    record?: RequestRecord,
    options?: StartOptions,
  ): Promise<{ id: string; route: RouteInfo; headers?: Record<string, string> }>;
  /**
   * Yields the chunks after `lastEventId` (all of them when absent), live until the generation ends,
   * in batches: what arrived together (in one event-loop turn) comes as one.
   * Only the key that started a generation may follow it; to anyone else it does not exist.
   */
  follow(id: string, lastEventId: string | null | undefined, signal: AbortSignal, owner: string | null): AsyncGenerator<ChunkBatch>;
  /** Stops a generation now: the client said it is done. Unknown ids (and other keys' generations) are ignored. */
  cancel(id: string, owner: string | null): void;
  /** Generations still running. */
  running(): number;
  /** Aborts everything, starts in progress included (shutdown); followers get a 503 `shutting_down` error. */
  close(): void;
}

/** Options of `GenerationStore.start`. */
export interface StartOptions {
  /**
   * Hand the id out only once other replicas can find the generation (bounded wait): for an id the
   * client takes to a follow that may land on another replica (`chat.start`).
   */
  shareBeforeId?: boolean;
  /** The client's request headers, of which each provider forwards those it is configured to. */
  clientHeaders?: IncomingHttpHeaders;
}

interface Generation {
  /** The latest chunks as JSON (a string costs about its wire bytes, a parsed chunk several times that), within the cap. */
  window: ChunkWindow;
  /** The chunks of the latest turn as objects too, so followers that keep up need not parse them again. */
  fresh: ChunkBatch;
  /** Followers are woken once per event-loop turn (`setImmediate`), so a burst reaches them as one batch. */
  wakeScheduled: boolean;
  state: "running" | "done" | "failed" | "cancelled";
  error: LanguruError | null;
  controller: CallAbortController;
  /** Where each local follower stands: the first chunk it has not taken yet. */
  cursors: Set<Cursor>;
  wake: Set<() => void>;
  /** Set while the pump waits for a follower to take the chunks that hold the window over its cap. */
  pumpWait: (() => void) | null;
  timer: NodeJS.Timeout | null;
  /** The key id that started it (`master`, or null when keys are off). */
  owner: string | null;
}

interface Cursor {
  next: number;
}

/** Who owns what a caller starts: its key id, `master`, or null with keys off. */
export function ownerOf(caller: Caller | undefined): string | null {
  if (!caller) return null;
  return caller.kind === "master" ? "master" : caller.key.id;
}

/** What a generation store is built from. */
export interface GenerationStoreOptions {
  service: ChatService;
  graceMs: number;
  /** The most chunk JSON one generation keeps for resumption (about its bytes). Default 8 MiB. */
  bufferBytes?: number;
  /** Shares generations with other replicas (Redis); absent, generations live on this replica only. */
  mirror?: GenerationMirror;
}

/** Creates the store: generations run and buffer here; a mirror also lets other replicas follow and cancel them. */
export function createGenerationStore(options: GenerationStoreOptions): GenerationStore {
  const generations = new Map<string, Generation>();
  const mirror = options.mirror;
  const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
  // Every id this store makes carries it: an unknown id of another boot is from before a restart.
  const boot = newBootId();
  // Starts waiting for their first chunk: not followable yet, but shutdown must stop them too.
  const starting = new Set<CallAbortController>();
  let closed = false;

  const notify = (gen: Generation) => {
    gen.wakeScheduled = false;
    for (const wake of gen.wake) wake();
    gen.wake.clear();
  };
  // The first chunk wakes at once (time to first token); later ones at the end of the turn.
  const notifyInTurn = (gen: Generation) => {
    if (gen.window.end === 1) return notify(gen);
    if (gen.wakeScheduled) return;
    gen.wakeScheduled = true;
    setImmediate(notify, gen);
  };

  const schedule = (id: string, gen: Generation) => {
    if (gen.timer) clearTimeout(gen.timer);
    gen.timer = null;
    if (gen.state === "running" && gen.cursors.size > 0) return;
    gen.timer = setTimeout(async () => {
      // Followed on another replica: that follower keeps it alive, as a local one would.
      if (gen.state === "running" && mirror && (await mirror.watched(id))) return schedule(id, gen);
      generations.delete(id);
      gen.controller.abort();
    }, options.graceMs);
    gen.timer.unref();
  };

  const pump = async (id: string, gen: Generation, stream: AsyncIterable<ChatCompletionChunk>) => {
    try {
      for await (const chunk of stream) {
        const json = jsonTextOf(chunk);
        const index = gen.window.end;
        mirror?.chunk(id, index, json);
        // A new turn starts a new fresh batch: the previous one was handed out when its followers woke.
        if (!gen.wakeScheduled) gen.fresh = emptyBatch(index);
        gen.window.push(json);
        gen.fresh.chunks.push(chunk);
        notifyInTurn(gen);
        if (gen.window.full) await keepWithinCap(id, gen);
      }
      gen.state = "done";
    } catch (err) {
      if (gen.state === "running") {
        gen.state = "failed";
        gen.error = err instanceof LanguruError ? err : new InternalError();
      }
    }
    mirror?.ended(id, gen.error);
    notify(gen);
    // The woken followers take the last batch within this turn; after it, only the JSON text stays buffered.
    setImmediate(() => {
      gen.fresh = emptyBatch(gen.window.end);
    });
    schedule(id, gen);
  };

  /**
   * Brings the window back under its cap. Unfollowed, the oldest chunks just go; followed, only
   * those every follower took, and until a follower takes more the pump (and with it the upstream
   * read) waits.
   */
  const keepWithinCap = async (id: string, gen: Generation) => {
    while (true) {
      if (gen.window.trim(slowest(gen))) mirror?.dropped(id, gen.window.start);
      if (!gen.window.full || gen.controller.signal.aborted) return;
      await new Promise<void>((resolve) => {
        gen.pumpWait = resolve;
      });
    }
  };

  /** Stops a generation of this replica; false when it has none by that id for that owner. */
  const cancelLocal = (id: string, owner: string | null): boolean => {
    const gen = generations.get(id);
    if (!gen || gen.owner !== owner) return false;
    generations.delete(id);
    if (gen.timer) clearTimeout(gen.timer);
    if (gen.state === "running") gen.state = "cancelled";
    gen.controller.abort();
    notify(gen);
    movePump(gen);
    return true;
  };
  mirror?.onCancel((id, owner) => void cancelLocal(id, owner));

  return {
    async start(request, caller, signal, record, startOptions = {}) {
      const controller = new CallAbortController();
      if (closed) controller.abort();
      const stopStart = () => controller.abort();
      signal?.addEventListener("abort", stopStart, { once: true });
      if (signal?.aborted) stopStart();
      starting.add(controller);
      let opened: Awaited<ReturnType<ChatService["stream"]>>;
      try {
        opened = await options.service.stream(request, { signal: controller.signal, caller, record, clientHeaders: startOptions.clientHeaders });
      } finally {
        starting.delete(controller);
        signal?.removeEventListener("abort", stopStart);
      }
      const { value: stream, route, headers } = opened;
      if (controller.signal.aborted) {
        // The client left (or shutdown began) just as the first chunk came: end the upstream stream.
        void drain(stream);
        throw new ServiceUnavailableError("The generation was stopped before it started.", { code: "cancelled" });
      }
      const id = newGenerationId(boot);
      const gen: Generation = {
        window: new ChunkWindow(bufferBytes),
        fresh: emptyBatch(0),
        wakeScheduled: false,
        state: "running",
        error: null,
        controller,
        cursors: new Set(),
        wake: new Set(),
        pumpWait: null,
        timer: null,
        owner: ownerOf(caller),
      };
      generations.set(id, gen);
      const shared = mirror?.started(id, gen.owner);
      void pump(id, gen, stream);
      // An id that goes to the client for a follow (`chat.start`) may go to another replica at
      // once: it is handed out once the registration is in (or, Redis being slow, after a short
      // bound). The grace clock starts after that wait, so even a tiny grace cannot end the
      // generation before its id is out. A subscription that follows here at once need not wait.
      if (shared && startOptions.shareBeforeId) await settledWithin(shared, MIRROR_REGISTER_WAIT_MS);
      schedule(id, gen);
      return { id, route, headers };
    },

    async *follow(id, lastEventId, signal, owner) {
      const gen = generations.get(id);
      let next = resumePosition(lastEventId);
      if (!gen && mirror) {
        yield* mirror.follow(id, next, signal, owner);
        return;
      }
      if (!gen) {
        const madeBy = bootOf(id);
        throw madeBy !== null && madeBy !== boot ? generationRestarted(id) : generationNotFound(id);
      }
      if (gen.owner !== owner) throw generationNotFound(id);
      // A client can only have seen chunks that exist: anything later is not an id of this generation.
      if (next > gen.window.end) throw invalidLastEventId(String(lastEventId), `generation '${id}' has made ${gen.window.end} chunk(s) so far`);
      if (gen.cursors.size >= MAX_FOLLOWERS) throw tooManyFollowers(id);
      const cursor: Cursor = { next };
      gen.cursors.add(cursor);
      schedule(id, gen);
      try {
        while (!signal.aborted) {
          // While a wake is pending, this turn's chunks are still coming: take them together when it fires.
          if (next < gen.window.end && !gen.wakeScheduled) {
            const batch = batchFrom(id, gen, next);
            next += batch.chunks.length;
            // Taken: the window may let these go (the batch holds them now) and a waiting pump go on.
            cursor.next = next;
            movePump(gen);
            yield batch;
            // A follower far behind catches up one batch per event-loop turn: a socket whose kernel
            // buffers take megabytes at once would otherwise keep the loop busy until they are full.
            if (next < gen.window.end) await nextTurn();
            continue;
          }
          if (next >= gen.window.end) {
            if (gen.state === "done" || gen.state === "cancelled") return;
            if (gen.state === "failed") throw gen.error ?? new InternalError();
          }
          await changed(gen, signal);
        }
      } finally {
        gen.cursors.delete(cursor);
        movePump(gen);
        if (gen.state === "running") schedule(id, gen);
      }
    },

    cancel(id, owner) {
      if (!cancelLocal(id, owner)) mirror?.cancel(id, owner);
    },

    running: () => [...generations.values()].filter((g) => g.state === "running").length,

    close() {
      closed = true;
      for (const controller of starting) controller.abort();
      starting.clear();
      for (const [id, gen] of [...generations]) {
        generations.delete(id);
        if (gen.timer) clearTimeout(gen.timer);
        if (gen.state === "running") {
          gen.state = "failed";
          gen.error = new ServiceUnavailableError("The gateway is shutting down; start the generation again.", {
            code: "shutting_down",
            headers: { "retry-after": "1" },
          });
        }
        gen.controller.abort();
        notify(gen);
        movePump(gen);
      }
    },
  };
}

/** The most a generation keeps for resumption unless configured (`LANGURU_RESUME_BUFFER_BYTES`). */
export const DEFAULT_BUFFER_BYTES = 8 * 1024 * 1024;

/** The first chunk some local follower still needs (none: any chunk may go). */
function slowest(gen: Generation): number {
  let min = Number.POSITIVE_INFINITY;
  for (const cursor of gen.cursors) min = Math.min(min, cursor.next);
  return min;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Wakes a pump waiting for its followers (one took chunks or left, or the generation stopped). */
function movePump(gen: Generation): void {
  const wake = gen.pumpWait;
  gen.pumpWait = null;
  wake?.();
}

/** A batch with nothing in it yet, whose first chunk will be chunk `first`. */
function emptyBatch(first: number): ChunkBatch {
  return { first, chunks: [] };
}

/**
 * The chunks from `next` on: the fresh objects when they are exactly those, else parsed from their
 * JSON, about `BATCH_BYTES` at a time (a follower that is far behind catches up batch by batch).
 */
function batchFrom(id: string, gen: Generation, next: number): ChunkBatch {
  const { fresh, window } = gen;
  if (fresh.first === next && fresh.first + fresh.chunks.length === window.end) {
    // Handed out as it is: later chunks of this turn go to a new batch, never into one already yielded.
    gen.fresh = emptyBatch(window.end);
    return fresh;
  }
  if (next < window.start) throw chunksNotBuffered(id, next);
  const chunks: ChatCompletionChunk[] = [];
  for (let i = next, bytes = 0; i < window.end && bytes < BATCH_BYTES; i++) {
    const text = window.text(i);
    bytes += text.length;
    // The stored text is the chunk's JSON: kept with it, so the doors write it as it is.
    chunks.push(keepJsonText(JSON.parse(text) as ChatCompletionChunk, text));
  }
  return { first: next, chunks };
}

// How long a start waits for its generation to be registered with the other replicas.
const MIRROR_REGISTER_WAIT_MS = 1_000;

/**
 * The position after `lastEventId`. Event ids are chunk indexes as this gateway writes them:
 * decimal digits, no sign, exponent or fraction; at most 15 of them, so that the index and the
 * position after it are exact numbers (and a Redis stream entry id).
 */
function resumePosition(lastEventId: string | null | undefined): number {
  if (lastEventId == null || lastEventId === "") return 0;
  if (!/^\d{1,15}$/.test(lastEventId)) throw invalidLastEventId(lastEventId, "a chunk index is decimal digits");
  return Number(lastEventId) + 1;
}

// Reads a stream to its end (its controller is already aborted, so that end comes at once).
async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<void> {
  try {
    for await (const _chunk of stream) break;
  } catch {
    // Aborted on purpose; nothing to report.
  }
}

function changed(gen: Generation, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      gen.wake.delete(done);
      resolve();
    };
    gen.wake.add(done);
    signal.addEventListener("abort", done, { once: true });
  });
}
