/**
 * Discovery: Gemini's model list (`GET /models`, paginated by `nextPageToken`), as the ids a
 * deployment names: without the `models/` prefix, and only models that can `generateContent`
 * (the list also holds embedding and image models). Bounded: a few pages of at most 1000.
 */
import { isRecord } from "../../../shared/index.js";

const PAGE_SIZE = 1_000;
const MAX_PAGES = 10;

/** Reads one page: its parsed body. */
export type PageReader = (path: string) => Promise<unknown>;

/** Every listed model id that serves chat. */
export async function listGeminiModels(readPage: PageReader): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = `pageSize=${PAGE_SIZE}${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`;
    const body = await readPage(`/models?${query}`);
    if (!isRecord(body)) break;
    for (const model of Array.isArray(body.models) ? body.models : []) {
      if (!isRecord(model) || typeof model.name !== "string") continue;
      const methods = model.supportedGenerationMethods;
      if (Array.isArray(methods) && !methods.includes("generateContent")) continue;
      ids.push(model.name.replace(/^models\//, ""));
    }
    token = typeof body.nextPageToken === "string" && body.nextPageToken !== "" ? body.nextPageToken : undefined;
    if (!token) break;
  }
  return ids;
}
