/**
 * Keys, limits and usage around the chat service, so both doors get them from one place: every
 * call is admitted (model, budget, RPM, TPM) before routing and settled with its usage after.
 *
 * Streams ask the upstream for usage (`stream_options.include_usage`) so that TPM and the ledger
 * use real counts; when the client did not ask for it, what asking added (the usage-only chunk,
 * `"usage":null` members) is taken out again (`asked-usage.ts`). Every other chunk passes as the
 * upstream sent it (the same object, so the REST door writes the upstream's own bytes), usage the
 * upstream sends unasked included: the client gets the same chunks with keys on as off. The
 * upstream's counts are read through `upstreamUsage` (a report that is not made of counts is
 * unknown, and the call is estimated), and chunks of any shape are read defensively
 * (`read-output.ts`).
 */
import { AuthenticationError, LanguruError, isRecord, type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest } from "../../shared/index.js";
import { TokenTally } from "../access/estimate.js";
import type { Access, Outcome, Reservation } from "../access/index.js";
import { upstreamUsage } from "../providers/upstream-usage.js";
import { revocationGuard } from "../access/revocation.js";
import { chainObservers, type StreamObserver } from "../routing/attempt.js";
import { CallerAbortedError } from "../routing/caller-aborted.js";
import { normalizeRequest } from "../routing/encode.js";
import { isUsageOnly, withoutNullUsage } from "./asked-usage.js";
import { addChunkText, addCompletionText } from "./read-output.js";
import type { ChatService } from "./service.js";

/** Wraps a chat service so that every call needs an admitted caller and leaves a ledger row. */
export function meterChat(chat: ChatService, access: Access): ChatService {
  const admit = async (request: ChatCompletionRequest, caller: Parameters<Access["admit"]>[0] | undefined) => {
    // A door that forgot to authenticate must not open the gateway.
    if (!caller) throw new AuthenticationError("You didn't provide an API key.", { type: "invalid_request_error" });
    return access.admit(caller, request);
  };

  return {
    ...chat,
    async complete(request, options) {
      const normalized = normalizeRequest(request);
      const reservation = await admit(normalized, options.caller);
      try {
        const served = await chat.complete(normalized, options);
        const usage = upstreamUsage(served.value.usage);
        access.settle(reservation, {
          deployment: served.route.deployment,
          usage,
          completionEstimate: usage ? undefined : completionTokensOf(served.value),
          status: 200,
          errorType: null,
          ttftMs: null,
          stream: false,
        });
        return { ...served, headers: { ...served.headers, ...reservation.headers } };
      } catch (err) {
        access.settle(reservation, failed(err, options.signal, false));
        throw err;
      }
    },

    async stream(request, options) {
      const normalized = normalizeRequest(request);
      const reservation = await admit(normalized, options.caller);
      const wantsUsage = normalized.stream_options?.include_usage === true;
      const upstream: ChatCompletionRequest = wantsUsage
        ? normalized
        : { ...normalized, stream_options: { ...normalized.stream_options, include_usage: true } };
      const meter = new StreamMeter({ access, reservation, wantsUsage, signal: options.signal });
      try {
        // A key revoked mid-stream ends the stream at its next chunk (revocation.ts).
        const served = await chat.stream(upstream, { ...options, observer: chainObservers(meter, revocationGuard(access, reservation.caller)) });
        meter.deployment = served.route.deployment;
        return { ...served, headers: { ...served.headers, ...reservation.headers } };
      } catch (err) {
        access.settle(reservation, failed(err, options.signal, true));
        throw err;
      }
    },
  };
}

interface MeterOptions {
  access: Access;
  reservation: Reservation;
  wantsUsage: boolean;
  signal: AbortSignal;
}

/**
 * The metering hook of one stream (the attempt pipeline calls it; no generator of its own): notes the
 * first chunk's time, the last valid usage and the output's size, takes out the usage the client did
 * not ask for, and settles once.
 */
class StreamMeter implements StreamObserver {
  /** Set once the route is known; the stream's chunks only flow after that. */
  deployment: string | null = null;
  private ttftMs: number | null = null;
  private usage: Outcome["usage"] = null;
  // The output's size for when no valid usage comes, in bounded memory however long the stream.
  private readonly output = new TokenTally();

  constructor(private readonly o: MeterOptions) {}

  chunk(chunk: ChatCompletionChunk): ChatCompletionChunk | null {
    this.ttftMs ??= Date.now() - this.o.reservation.startedAt;
    const usage = isRecord(chunk) ? upstreamUsage(chunk.usage) : null;
    if (usage) this.usage = usage;
    addChunkText(chunk, this.output);
    if (this.o.wantsUsage) return chunk;
    return isUsageOnly(chunk) ? null : withoutNullUsage(chunk);
  }

  end(error: unknown): void {
    const outcome = error === null ? { status: 200, errorType: null } : failed(error, this.o.signal, true);
    this.o.access.settle(this.o.reservation, {
      ...outcome,
      deployment: this.deployment,
      usage: this.usage,
      completionEstimate: this.usage ? undefined : this.output.tokens(),
      ttftMs: this.ttftMs,
      stream: true,
    });
  }
}

function completionTokensOf(completion: ChatCompletion): number {
  const tally = new TokenTally();
  addCompletionText(completion, tally);
  return tally.tokens();
}

function failed(err: unknown, signal: AbortSignal, stream: boolean): Pick<Outcome, "status" | "errorType" | "deployment" | "usage" | "ttftMs" | "stream"> {
  const left = signal.aborted || err instanceof CallerAbortedError;
  return {
    status: left ? 499 : err instanceof LanguruError ? err.status : 500,
    errorType: left ? "cancelled" : err instanceof LanguruError ? err.type : "api_error",
    deployment: null,
    usage: null,
    ttftMs: null,
    stream,
  };
}
