/**
 * Observes the chat service from the doors' side: what was asked, which route answered after how
 * many attempts, the usage, the first chunk's time and how the call ended, noted on the current
 * request's record. A stream keeps its request open until it ends, so a tRPC `chat.start` is
 * logged with its whole generation.
 *
 * Chunks pass through untouched, of whatever shape: a stream's tokens are known when the upstream
 * reports usage, which metering (keys on) always asks for; with keys off, when the client asked
 * (`include_usage`). Counts are read through `upstreamUsage`: one that is not a count is unknown,
 * never a number the metrics would throw on.
 */
import { isRecord, type ChatCompletionChunk, type ChatCompletionRequest } from "../../shared/index.js";
import type { CallOptions, ChatService } from "../chat/service.js";
import type { Config } from "../config.js";
import { upstreamUsage, type TokenUsage } from "../providers/upstream-usage.js";
import { chainObservers, type StreamObserver } from "../routing/attempt.js";
import { CallerAbortedError } from "../routing/caller-aborted.js";
import type { RouteInfo } from "../routing/router.js";
import type { RequestRecord } from "./request.js";

/** Streams open now, by door. */
export type StreamCounts = Record<string, number>;

/** Model names as bounded labels: configured names and aliases (as their model's name), listed addresses, else `unknown`. */
export class ModelLabels {
  private canonical: Map<string, string>;

  constructor(
    config: Config,
    private readonly listed: () => Array<{ id: string }>,
  ) {
    this.canonical = canonicalNames(config);
  }

  /** The label of a requested name; never a name only the client made up. */
  of(requested: string): string {
    const name = this.canonical.get(requested);
    if (name) return name;
    return this.listed().some((m) => m.id === requested) ? requested : "unknown";
  }

  /** The model a name resolves to by configuration (itself when it is no alias). */
  canonicalOf(requested: string): string {
    return this.canonical.get(requested) ?? requested;
  }

  /** Takes a reloaded config's names. */
  reload(config: Config): void {
    this.canonical = canonicalNames(config);
  }
}

/** Notes the call's model, caller and failure on its request. */
function beginCall(labels: ModelLabels, request: ChatCompletionRequest, options: CallOptions, stream: boolean): RequestRecord | undefined {
  const { record, caller } = options;
  if (!record) return undefined;
  record.noted.model = request.model;
  record.noted.stream = stream;
  record.noteCaller(caller);
  record.modelLabel = labels.of(request.model);
  return record;
}

/**
 * The outer observer, around metering: admission failures (403, 429) happen before the inner
 * service is called and still name the model on the request.
 */
export function observeAdmission(chat: ChatService, labels: ModelLabels): ChatService {
  const guard = async <T>(request: ChatCompletionRequest, options: CallOptions, stream: boolean, call: () => Promise<T>): Promise<T> => {
    const record = beginCall(labels, request, options, stream);
    try {
      return await call();
    } catch (err) {
      record?.noteError(err);
      throw err;
    }
  };
  return {
    ...chat,
    complete: (request, options) => guard(request, options, false, () => chat.complete(request, options)),
    stream: (request, options) => guard(request, options, true, () => chat.stream(request, options)),
  };
}

/** The inner observer, right around the routing: route, usage, first chunk, streams in flight; `streams` is kept up to date per door. */
export function observeChat(chat: ChatService, labels: ModelLabels, streams: StreamCounts): ChatService {
  const routed = (record: RequestRecord | undefined, request: ChatCompletionRequest, route: RouteInfo) => {
    if (!record) return;
    record.noted.answeredBy = route.model;
    record.noted.deployment = route.deployment;
    record.noted.attempts = route.attempts;
    record.noted.fallback = route.model !== labels.canonicalOf(request.model);
  };

  return {
    ...chat,
    async complete(request, options) {
      const record = beginCall(labels, request, options, false);
      try {
        const served = await chat.complete(request, options);
        routed(record, request, served.route);
        if (record) noteUsage(record, upstreamUsage(served.value.usage));
        return served;
      } catch (err) {
        record?.noteError(err);
        throw err;
      }
    },
    async stream(request, options) {
      const record = beginCall(labels, request, options, true);
      // An observer on the attempt's own stream wrapper, not a generator of its own around it.
      const watcher = record ? new StreamRecordObserver(record, streams) : null;
      try {
        const served = await chat.stream(request, watcher ? { ...options, observer: chainObservers(watcher, options.observer) } : options);
        routed(record, request, served.route);
        watcher?.open();
        return served;
      } catch (err) {
        record?.noteError(err);
        throw err;
      }
    },
    async reload(next) {
      await chat.reload(next);
      labels.reload(next);
    },
  };
}

/**
 * Notes a stream's first chunk time and usage on its request, passing chunks on unchanged, and
 * keeps the request (and the door's open-stream count) open from the first chunk until the end.
 */
class StreamRecordObserver implements StreamObserver {
  private opened = false;

  constructor(
    private readonly record: RequestRecord,
    private readonly streams: StreamCounts,
  ) {}

  /** The stream was served (its first chunk arrived): it now holds the request open. */
  open(): void {
    this.opened = true;
    this.record.hold();
    this.streams[this.record.door] = (this.streams[this.record.door] ?? 0) + 1;
  }

  chunk(chunk: ChatCompletionChunk): ChatCompletionChunk {
    this.record.noted.ttftMs ??= this.record.elapsedMs();
    if (isRecord(chunk)) noteUsage(this.record, upstreamUsage(chunk.usage));
    return chunk;
  }

  end(error: unknown): void {
    // A client that left is not an error of the request's (its status says 499).
    if (error !== null && !(error instanceof CallerAbortedError)) this.record.noteError(error);
    if (!this.opened) return;
    this.opened = false;
    this.streams[this.record.door] = (this.streams[this.record.door] ?? 1) - 1;
    this.record.release();
  }
}

/** Notes valid usage on a record (the last valid report wins); an absent or broken one changes nothing. */
function noteUsage(record: RequestRecord, usage: TokenUsage | null): void {
  if (!usage) return;
  record.noted.promptTokens = usage.promptTokens;
  record.noted.completionTokens = usage.completionTokens;
}

/** Every configured name and alias, mapped to its model's name. */
function canonicalNames(config: Config): Map<string, string> {
  const names = new Map<string, string>([["echo", "echo"]]);
  for (const provider of config.providers) {
    for (const entry of provider.models) {
      const name = typeof entry === "string" ? entry : entry.name;
      names.set(name, name);
    }
  }
  for (const model of config.models) for (const name of [model.name, ...model.aliases]) names.set(name, model.name);
  return names;
}
