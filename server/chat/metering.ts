/**
 * Keys, limits and usage around the chat service, so both doors get them from one place: every
 * call is admitted (model, budget, RPM, TPM) before routing and settled with its usage after.
 *
 * Streams ask the upstream for usage (`stream_options.include_usage`) so that TPM and the ledger
 * use real counts; when the client did not ask for it, the usage chunk and the `usage: null`
 * fields are taken out again, so the client sees exactly what it would have without keys.
 */
import { AuthenticationError, LanguruError, type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest } from "../../shared/index.js";
import type { Access, Outcome, Reservation } from "../access/index.js";
import { tokensOf } from "../access/index.js";
import type { StreamObserver } from "../routing/attempt.js";
import { CallerAbortedError } from "../routing/caller-aborted.js";
import { normalizeRequest } from "../routing/encode.js";
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
        const usage = served.value.usage;
        access.settle(reservation, {
          deployment: served.route.deployment,
          usage: usage ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } : null,
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
        const served = await chat.stream(upstream, { ...options, observer: meter });
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
 * first chunk's time and the usage, hides the usage the client did not ask for, and settles once.
 */
class StreamMeter implements StreamObserver {
  /** Set once the route is known; the stream's chunks only flow after that. */
  deployment: string | null = null;
  private ttftMs: number | null = null;
  private usage: Outcome["usage"] = null;
  private text = "";

  constructor(private readonly o: MeterOptions) {}

  chunk(chunk: ChatCompletionChunk): ChatCompletionChunk | null {
    this.ttftMs ??= Date.now() - this.o.reservation.startedAt;
    if (chunk.usage) {
      this.usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
    }
    for (const choice of chunk.choices) this.text += choice.delta.content ?? "";
    if (this.o.wantsUsage) return chunk;
    return chunk.choices.length > 0 || !chunk.usage ? withoutUsage(chunk) : null;
  }

  end(error: unknown): void {
    const outcome = error === null ? { status: 200, errorType: null } : failed(error, this.o.signal, true);
    this.o.access.settle(this.o.reservation, {
      ...outcome,
      deployment: this.deployment,
      usage: this.usage,
      completionEstimate: this.usage ? undefined : tokensOf(this.text),
      ttftMs: this.ttftMs,
      stream: true,
    });
  }
}

function withoutUsage(chunk: ChatCompletionChunk): ChatCompletionChunk {
  if (!("usage" in chunk)) return chunk;
  const { usage: _usage, ...rest } = chunk;
  return rest as ChatCompletionChunk;
}

function completionTokensOf(completion: ChatCompletion): number {
  return completion.choices.reduce((sum, c) => sum + tokensOf(typeof c.message.content === "string" ? c.message.content : ""), 0);
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
