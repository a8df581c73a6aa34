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
      const reservation = await admit(request, options.caller);
      try {
        const served = await chat.complete(request, options);
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
      const reservation = await admit(request, options.caller);
      const wantsUsage = request.stream_options?.include_usage === true;
      const upstream: ChatCompletionRequest = wantsUsage ? request : { ...request, stream_options: { ...request.stream_options, include_usage: true } };
      try {
        const served = await chat.stream(upstream, options);
        const value = metered(served.value, { access, reservation, wantsUsage, deployment: served.route.deployment, signal: options.signal });
        return { ...served, value, headers: { ...served.headers, ...reservation.headers } };
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
  deployment: string;
  signal: AbortSignal;
}

/** Passes chunks on, notes the first one's time and the usage, and settles exactly once however the stream ends. */
async function* metered(chunks: AsyncIterable<ChatCompletionChunk>, o: MeterOptions): AsyncGenerator<ChatCompletionChunk> {
  let ttftMs: number | null = null;
  let usage: Outcome["usage"] = null;
  let text = "";
  let outcome: Pick<Outcome, "status" | "errorType"> = { status: 499, errorType: "cancelled" };
  try {
    for await (const chunk of chunks) {
      ttftMs ??= Date.now() - o.reservation.startedAt;
      if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
      for (const choice of chunk.choices) text += choice.delta.content ?? "";
      if (o.wantsUsage) yield chunk;
      else if (chunk.choices.length > 0 || !chunk.usage) yield withoutUsage(chunk);
    }
    outcome = { status: 200, errorType: null };
  } catch (err) {
    outcome = failed(err, o.signal, true);
    throw err;
  } finally {
    o.access.settle(o.reservation, {
      ...outcome,
      deployment: o.deployment,
      usage,
      completionEstimate: usage ? undefined : tokensOf(text),
      ttftMs,
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
  const left = signal.aborted;
  return {
    status: left ? 499 : err instanceof LanguruError ? err.status : 500,
    errorType: left ? "cancelled" : err instanceof LanguruError ? err.type : "api_error",
    deployment: null,
    usage: null,
    ttftMs: null,
    stream,
  };
}
