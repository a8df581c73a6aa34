/**
 * Images, audio and files of a user message as Gemini parts. A data URL (or base64 audio) is sent
 * inline (`inlineData`). An `https://` or `gs://` URL is passed by reference (`fileData`): Gemini
 * fetches it (its Files API, Cloud Storage, public URLs), never the gateway, so a client cannot make
 * the gateway fetch anything. Its type is read from the name's extension; a URL whose name says
 * nothing is refused with a 400 asking for a data URL, rather than sent with a guessed type.
 */
import { InvalidRequestError } from "../../../shared/index.js";
import type { Part } from "./wire.js";

const TYPE_OF_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
  wav: "audio/wav",
  mp3: "audio/mp3",
  mp4: "video/mp4",
};
// A media type as a data URL writes it: `type/subtype`, a few safe characters.
const MEDIA_TYPE = /^[a-z]+\/[a-z0-9.+-]{1,100}$/i;

/** An image (or file) URL as a part; `param` names it in a 400. */
export function urlPart(url: string, param: string): Part {
  if (url.startsWith("data:")) return { inlineData: dataUrlContent(url, param) };
  if (url.startsWith("https://") || url.startsWith("gs://")) {
    const mimeType = typeOfName(url);
    if (!mimeType) throw refused(`cannot tell the media type of '${url.slice(0, 200)}' from its name; send it as a data URL`, param);
    return { fileData: { mimeType, fileUri: url } };
  }
  throw refused("Gemini takes images as data URLs or https:// (or gs://) URLs", param);
}

/** Base64 audio (`input_audio`) as a part. */
export function audioPart(data: string, format: string, param: string): Part {
  if (!/^[a-z0-9]{1,16}$/i.test(format)) throw refused(`unknown audio format '${format.slice(0, 32)}'`, param);
  return { inlineData: { mimeType: `audio/${format.toLowerCase()}`, data } };
}

/** A `data:<type>;base64,<data>` URL's type and data. Read by index, not a pattern: it may be megabytes long. */
function dataUrlContent(url: string, param: string): { mimeType: string; data: string } {
  const comma = url.indexOf(",");
  const header = comma === -1 ? "" : url.slice("data:".length, comma);
  const [mimeType = "", ...flags] = header.split(";");
  if (!MEDIA_TYPE.test(mimeType) || !flags.includes("base64")) throw refused("a data URL must be 'data:<media type>;base64,<data>'", param);
  return { mimeType: mimeType.toLowerCase(), data: url.slice(comma + 1) };
}

function typeOfName(url: string): string | undefined {
  const path = url.split(/[?#]/, 1)[0] ?? "";
  const dot = path.lastIndexOf(".");
  if (dot === -1 || dot < path.lastIndexOf("/")) return undefined;
  return TYPE_OF_EXTENSION[path.slice(dot + 1).toLowerCase()];
}

function refused(message: string, param: string): InvalidRequestError {
  return new InvalidRequestError(`${param}: ${message}.`, { param, code: "unsupported_content" });
}
