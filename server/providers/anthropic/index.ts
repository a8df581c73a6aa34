/**
 * The provider for Anthropic's Messages API (`kind: "anthropic"`): `POST {baseURL}/messages` with
 * `x-api-key` and `anthropic-version: 2023-06-01`, over the shared transport and SSE splitter.
 * The request is translated (`request.ts`, `messages.ts`), and so is the answer (`response.ts`,
 * `stream.ts`); an error answer is read by the one error reader (`error-body.ts`, which knows
 * Anthropic's `{"type":"error","error":{...}}`) and mapped in `upstream-errors.ts` (529 is a
 * retryable 503). The OpenAI-shaped `encoded` body the router prepared is of no use here.
 */
import { UpstreamError, isRecord, type ChatCompletion } from "../../../shared/index.js";
import type { ProviderSettings } from "../../config.js";
import { errorFieldsOf, errorFieldsOfText } from "../error-body.js";
import { withRawMessage } from "../messages-body.js";
import { forwardedClientHeaders } from "../relayed-headers.js";
import { createTransport, type UpstreamResponse } from "../transport.js";
import type { Provider, UpstreamCallOptions, UpstreamRequest } from "../types.js";
import { UpstreamAnswerError, UpstreamUnreachableError, fromUpstreamError } from "../upstream-errors.js";
import { listModelIds } from "./models.js";
import { withOpenAIRateLimits } from "./rate-limits.js";
import { betaHeaders, passThroughBody, RawEventsTranslator } from "./pass-through.js";
import { translatedChunks } from "./read-events.js";
import { DEFAULT_MAX_TOKENS, messagesRequestOf } from "./request.js";
import { completionOf } from "./response.js";
import { StreamTranslator } from "./stream.js";
import { abortedCall, parseJson, readAnswer } from "../answer.js";

/** The Messages API version this translation speaks. */
export const ANTHROPIC_VERSION = "2023-06-01";

// A whole message larger than this is not worth reading; an error body is far smaller.
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Creates the provider of one configured Anthropic upstream. */
export function createAnthropicProvider(settings: ProviderSettings & { defaultMaxTokens?: number }): Provider {
  const transport = createTransport({
    baseURL: settings.baseURL,
    // Configured headers (an `anthropic-beta` list, say) may add to these, and override the version.
    headers: { "x-api-key": settings.apiKey, "anthropic-version": ANTHROPIC_VERSION, ...settings.headers },
  });
  const identity = { name: settings.name, secrets: [settings.apiKey] };
  const forwarded = (settings.forwardHeaders ?? []).map((name) => name.toLowerCase());
  const defaultMaxTokens = settings.defaultMaxTokens ?? DEFAULT_MAX_TOKENS;
  const failure = (err: unknown, signal: AbortSignal) => fromUpstreamError(signal.aborted ? abortedCall(settings.name) : err, identity);
  const read = (res: UpstreamResponse, limit: number) => readAnswer(res, limit);

  // Sends the request; settles with a 2xx response, or throws the upstream's error mapped.
  const open = async (body: string, signal: AbortSignal, call: UpstreamCallOptions | undefined, passed = false): Promise<UpstreamResponse> => {
    let res: UpstreamResponse;
    const sent = forwardedClientHeaders(forwarded, call?.clientHeaders);
    try {
      res = await transport.post({ path: "/messages", body, signal, headers: passed ? { ...sent, ...betaHeaders(call?.clientHeaders) } : sent });
    } catch (err) {
      throw failure(signal.aborted ? err : new UpstreamUnreachableError(err instanceof Error ? err : undefined), signal);
    }
    const headers = withOpenAIRateLimits(res.headers, res.status);
    call?.answered?.(headers);
    if (res.status >= 200 && res.status < 300) return res;
    const text = await read(res, MAX_ERROR_BODY_BYTES).catch(() => "");
    throw failure(new UpstreamAnswerError(res.status, errorFieldsOfText(text, res.headers["content-type"]), headers), signal);
  };
  const bodyOf = (request: UpstreamRequest, stream: boolean) => JSON.stringify(messagesRequestOf(request, { defaultMaxTokens, stream }));

  return {
    name: settings.name,
    timeoutMs: settings.timeoutMs,
    async complete(request, signal, _encoded, call) {
      // A request from the Anthropic door sends the client's own body, and gets the upstream's own Message back beside the translation.
      const passed = passThroughBody(request, false);
      const res = await open(passed ?? bodyOf(request, false), signal, call, passed !== null);
      try {
        const answer = parseJson(await read(res, MAX_BODY_BYTES));
        const completion = asCompletion(answer, settings.name);
        return passed !== null && isRecord(answer) ? withRawMessage(completion, answer) : completion;
      } catch (err) {
        throw failure(err, signal);
      }
    },
    async stream(request, signal, _encoded, call) {
      const passed = passThroughBody(request, true);
      const translated = new StreamTranslator(settings.name, request.stream_options?.include_usage === true);
      const translator = passed !== null ? new RawEventsTranslator(translated) : translated;
      const res = await open(passed ?? bodyOf(request, true), signal, call, passed !== null);
      if (!res.headers["content-type"]?.toLowerCase().startsWith("text/event-stream")) {
        // A 200 that is not SSE: an error body in JSON, or an HTML page from a proxy; never an empty stream.
        const reported = errorFieldsOf(parseJson(await read(res, MAX_ERROR_BODY_BYTES).catch(() => "")));
        if (reported) throw failure(new UpstreamAnswerError(undefined, reported, res.headers), signal);
        throw new UpstreamError(
          `upstream '${settings.name}' answered a stream request with '${res.headers["content-type"] ?? "no content type"}', not an event stream`,
        );
      }
      return translatedChunks(res, translator, { signal, failure, name: settings.name });
    },
    async listModels(signal) {
      try {
        return await listModelIds(transport, signal, (res) => read(res, MAX_ERROR_BODY_BYTES * 16));
      } catch (err) {
        throw failure(err, signal);
      }
    },
    close: () => transport.close(),
  };
}

/** A whole completion, or the error a 200 body reported (`{"type":"error",...}` from a proxy). */
function asCompletion(value: unknown, provider: string): ChatCompletion {
  if (isRecord(value) && value.type === "error") throw new UpstreamAnswerError(undefined, errorFieldsOf(value) ?? { message: "" }, {});
  return completionOf(value, provider);
}
