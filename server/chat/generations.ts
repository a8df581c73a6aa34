/**
 * Resumable generations for the tRPC subscription. A generation is started by a POST (so a large
 * conversation never travels in an SSE URL), runs detached from any one connection, and buffers
 * its chunks; subscribers follow it by id and a reconnecting one resumes after its `lastEventId`
 * instead of starting a second upstream generation.
 *
 * A generation that nobody follows for `graceMs` is aborted (the client left), and a finished one
 * is forgotten `graceMs` after it ended (late resumes still get its tail). A cancelled generation
 * ends its followers quietly: a client that left is not an error to report.
 */
import { randomUUID } from "node:crypto";
import {
  InternalError,
  InvalidRequestError,
  LanguruError,
  ServiceUnavailableError,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
} from "../../shared/index.js";
import type { Caller } from "../access/index.js";
import type { RequestRecord } from "../observability/request.js";
import type { RouteInfo } from "../routing/router.js";
import { type ChunkBatch, type GenerationMirror, generationNotFound } from "./generation-mirror.js";
import { jsonTextOf, keepJsonText } from "../providers/json-text.js";
import { settledWithin } from "../settled-within.js";
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
}

interface Generation {
  /** Each chunk as JSON: a string costs about its wire bytes, a parsed chunk several times that. */
  chunks: string[];
  /** The chunks of the latest turn as objects too, so followers that keep up need not parse them again. */
  fresh: ChunkBatch;
  /** Followers are woken once per event-loop turn (`setImmediate`), so a burst reaches them as one batch. */
  wakeScheduled: boolean;
  state: "running" | "done" | "failed" | "cancelled";
  error: LanguruError | null;
  controller: AbortController;
  followers: number;
  wake: Set<() => void>;
  timer: NodeJS.Timeout | null;
  /** The key id that started it (`master`, or null when keys are off). */
  owner: string | null;
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
  /** Shares generations with other replicas (Redis); absent, generations live on this replica only. */
  mirror?: GenerationMirror;
}

/** Creates the store: generations run and buffer here; a mirror also lets other replicas follow and cancel them. */
export function createGenerationStore(options: GenerationStoreOptions): GenerationStore {
  const generations = new Map<string, Generation>();
  const mirror = options.mirror;
  // Starts waiting for their first chunk: not followable yet, but shutdown must stop them too.
  const starting = new Set<AbortController>();
  let closed = false;

  const notify = (gen: Generation) => {
    gen.wakeScheduled = false;
    for (const wake of gen.wake) wake();
    gen.wake.clear();
  };
  // The first chunk wakes at once (time to first token); later ones at the end of the turn.
  const notifyInTurn = (gen: Generation) => {
    if (gen.chunks.length === 1) return notify(gen);
    if (gen.wakeScheduled) return;
    gen.wakeScheduled = true;
    setImmediate(notify, gen);
  };

  const schedule = (id: string, gen: Generation) => {
    if (gen.timer) clearTimeout(gen.timer);
    gen.timer = null;
    if (gen.state === "running" && gen.followers > 0) return;
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
        mirror?.chunk(id, gen.chunks.length, json);
        // A new turn starts a new fresh batch: the previous one was handed out when its followers woke.
        if (!gen.wakeScheduled) gen.fresh = emptyBatch(gen.chunks.length);
        gen.chunks.push(json);
        gen.fresh.chunks.push(chunk);
        notifyInTurn(gen);
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
      gen.fresh = emptyBatch(gen.chunks.length);
    });
    schedule(id, gen);
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
    return true;
  };
  mirror?.onCancel((id, owner) => void cancelLocal(id, owner));

  return {
    async start(request, caller, signal, record, startOptions = {}) {
      const controller = new AbortController();
      if (closed) controller.abort();
      const stopStart = () => controller.abort();
      signal?.addEventListener("abort", stopStart, { once: true });
      if (signal?.aborted) stopStart();
      starting.add(controller);
      let opened: Awaited<ReturnType<ChatService["stream"]>>;
      try {
        opened = await options.service.stream(request, { signal: controller.signal, caller, record });
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
      const id = `gen-${randomUUID()}`;
      const gen: Generation = {
        chunks: [],
        fresh: emptyBatch(0),
        wakeScheduled: false,
        state: "running",
        error: null,
        controller,
        followers: 0,
        wake: new Set(),
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
      if (!gen || gen.owner !== owner) throw generationNotFound(id);
      gen.followers++;
      schedule(id, gen);
      try {
        while (!signal.aborted) {
          // While a wake is pending, this turn's chunks are still coming: take them together when it fires.
          if (next < gen.chunks.length && !gen.wakeScheduled) {
            const batch = batchFrom(gen, next);
            next += batch.chunks.length;
            yield batch;
            continue;
          }
          if (next >= gen.chunks.length) {
            if (gen.state === "done" || gen.state === "cancelled") return;
            if (gen.state === "failed") throw gen.error ?? new InternalError();
          }
          await changed(gen, signal);
        }
      } finally {
        gen.followers--;
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
      }
    },
  };
}

/** A batch with nothing in it yet, whose first chunk will be chunk `first`. */
function emptyBatch(first: number): ChunkBatch {
  return { first, chunks: [] };
}

/** Every chunk from `next` on: the fresh objects when they are exactly those, else parsed from their JSON. */
function batchFrom(gen: Generation, next: number): ChunkBatch {
  const { fresh } = gen;
  if (fresh.first === next && fresh.first + fresh.chunks.length === gen.chunks.length) {
    // Handed out as it is: later chunks of this turn go to a new batch, never into one already yielded.
    gen.fresh = emptyBatch(gen.chunks.length);
    return fresh;
  }
  const chunks: ChatCompletionChunk[] = [];
  for (let i = next; i < gen.chunks.length; i++) {
    const text = gen.chunks[i] as string;
    // The stored text is the chunk's JSON: kept with it, so the doors write it as it is.
    chunks.push(keepJsonText(JSON.parse(text) as ChatCompletionChunk, text));
  }
  return { first: next, chunks };
}

// How long a start waits for its generation to be registered with the other replicas.
const MIRROR_REGISTER_WAIT_MS = 1_000;

function resumePosition(lastEventId: string | null | undefined): number {
  if (lastEventId == null || lastEventId === "") return 0;
  const index = Number(lastEventId);
  if (!Number.isInteger(index) || index < 0) {
    throw new InvalidRequestError(`'lastEventId' must be a chunk index, got '${lastEventId}'`, { param: "lastEventId" });
  }
  return index + 1;
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
