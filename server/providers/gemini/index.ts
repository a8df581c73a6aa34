/**
 * The provider for Google's Gemini API (`kind: "gemini"`): OpenAI requests translated to
 * `generateContent` (`request.ts`), answers and streams translated back (`response.ts`,
 * `stream.ts`), over the one transport and SSE splitter every kind shares. The key goes in the
 * `x-goog-api-key` header, never in the URL (where access logs and proxies would keep it). Errors
 * map through `upstream-errors.ts` as every kind's do; Google's `RetryInfo` becomes `retry-after`.
 * The `encoded` body the attempt pipeline offers is OpenAI's, so it is not used.
 */
import { UpstreamError, isRecord } from "../../../shared/index.js";
import type { ProviderSettings } from "../../config.js";
import { errorFieldsOf } from "../error-body.js";
import { forwardedClientHeaders } from "../relayed-headers.js";
import { createTransport, type UpstreamResponse } from "../transport.js";
import type { Provider, UpstreamCallOptions } from "../types.js";
import { UpstreamAnswerError, UpstreamUnreachableError, fromUpstreamError } from "../upstream-errors.js";
import { geminiError, unwrapped } from "./errors.js";
import { listGeminiModels } from "./models.js";
import { geminiCallOf } from "./request.js";
import { completionOf } from "./response.js";
import { geminiChunks } from "./stream.js";
import { abortedCall, parseJson, readAnswer } from "../answer.js";

// As for every kind: a whole answer larger than this is not worth reading, nor an error body.
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_MODEL_PAGE_BYTES = 4 * 1024 * 1024;

/** Creates the provider of one configured Gemini upstream. */
export function createGeminiProvider(settings: ProviderSettings): Provider {
  // No key configured ("none"): none is sent, for a proxy in front that adds its own.
  const key: Record<string, string> = settings.apiKey && settings.apiKey !== "none" ? { "x-goog-api-key": settings.apiKey } : {};
  const transport = createTransport({ baseURL: settings.baseURL, headers: { ...key, ...settings.headers } });
  const identity = { name: settings.name, secrets: [settings.apiKey] };
  const forwarded = (settings.forwardHeaders ?? []).map((name) => name.toLowerCase());
  const failure = (err: unknown, signal: AbortSignal) => fromUpstreamError(signal.aborted ? abortedCall(settings.name) : err, identity);
  const reported = (payload: unknown) => new UpstreamAnswerError(undefined, errorFieldsOf(unwrapped(payload)) ?? { message: "" }, {});

  const open = async (path: string, body: string, signal: AbortSignal, call: UpstreamCallOptions | undefined): Promise<UpstreamResponse> => {
    let res: UpstreamResponse;
    try {
      res = await transport.post({ path, body, signal, headers: forwardedClientHeaders(forwarded, call?.clientHeaders) });
    } catch (err) {
      throw failure(signal.aborted ? err : new UpstreamUnreachableError(err instanceof Error ? err : undefined), signal);
    }
    call?.answered?.(res.headers);
    if (res.status >= 200 && res.status < 300) return res;
    const text = await readAnswer(res, MAX_ERROR_BODY_BYTES).catch(() => "");
    const error = geminiError(text, res.headers["content-type"], res.headers);
    throw failure(new UpstreamAnswerError(res.status, error.fields, error.headers), signal);
  };

  return {
    name: settings.name,
    timeoutMs: settings.timeoutMs,
    async complete(request, signal, _encoded, call) {
      const gemini = geminiCallOf(request, false);
      const res = await open(gemini.path, JSON.stringify(gemini.body), signal, call);
      try {
        const text = await readAnswer(res, MAX_BODY_BYTES);
        const answer = unwrapped(parseJson(text));
        if (isRecord(answer) && answer.error != null) throw reported(answer);
        if (!isRecord(answer)) throw new UpstreamError(`upstream '${settings.name}' answered with something that is not a Gemini response`);
        return completionOf(answer, request.model);
      } catch (err) {
        throw failure(err, signal);
      }
    },
    async stream(request, signal, _encoded, call) {
      const gemini = geminiCallOf(request, true);
      const res = await open(gemini.path, JSON.stringify(gemini.body), signal, call);
      if (!res.headers["content-type"]?.toLowerCase().startsWith("text/event-stream")) {
        // A 200 that is not SSE: an error body in JSON, or a proxy's page; never an empty stream.
        const payload = unwrapped(parseJson(await readAnswer(res, MAX_ERROR_BODY_BYTES).catch(() => "")));
        if (errorFieldsOf(payload)) throw failure(reported(payload), signal);
        throw new UpstreamError(
          `upstream '${settings.name}' answered a stream request with '${res.headers["content-type"] ?? "no content type"}', not an event stream`,
        );
      }
      return geminiChunks(res, { name: settings.name, model: request.model, includeUsage: gemini.includeUsage, signal, failure, reported });
    },
    async listModels(signal) {
      try {
        return await listGeminiModels(async (path) => {
          const res = await transport.get(path, signal);
          const text = await readAnswer(res, MAX_MODEL_PAGE_BYTES);
          if (res.status < 200 || res.status >= 300) {
            const error = geminiError(text, res.headers["content-type"], res.headers);
            throw new UpstreamAnswerError(res.status, error.fields, error.headers);
          }
          return parseJson(text);
        });
      } catch (err) {
        throw failure(err, signal);
      }
    },
    close: () => transport.close(),
  };
}
