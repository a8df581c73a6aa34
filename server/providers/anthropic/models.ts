/**
 * Discovery for Anthropic: `GET {baseURL}/models` lists `data[].id` a page at a time
 * (`has_more`, `last_id`, then `?after_id=`). Bounded: at most `MAX_PAGES` pages of 1,000.
 */
import { isRecord } from "../../../shared/index.js";
import { errorFieldsOfText } from "../error-body.js";
import type { Transport, UpstreamResponse } from "../transport.js";
import { UpstreamAnswerError } from "../upstream-errors.js";
import { parseJson } from "../answer.js";

const PAGE_SIZE = 1_000;
const MAX_PAGES = 10;

/** Every model id the upstream lists; throws UpstreamAnswerError for an error answer. */
export async function listModelIds(transport: Transport, signal: AbortSignal, read: (res: UpstreamResponse) => Promise<string>): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query: string = after === null ? `?limit=${PAGE_SIZE}` : `?limit=${PAGE_SIZE}&after_id=${encodeURIComponent(after)}`;
    const res = await transport.get(`/models${query}`, signal);
    const text = await read(res);
    if (res.status < 200 || res.status >= 300) throw new UpstreamAnswerError(res.status, errorFieldsOfText(text, res.headers["content-type"]), res.headers);
    const list = parseJson(text);
    const data = isRecord(list) && Array.isArray(list.data) ? list.data : [];
    for (const model of data) if (isRecord(model) && typeof model.id === "string") ids.push(model.id);
    const last = isRecord(list) ? list.last_id : undefined;
    if (!isRecord(list) || list.has_more !== true || typeof last !== "string" || last === after) break;
    after = last;
  }
  return ids;
}
