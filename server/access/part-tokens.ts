/**
 * Prompt tokens reserved for a content part that is not text (images, audio, files), without
 * decoding it: the gateway never reads pixels or samples, so each bound comes from what the request
 * says (an image's `detail`, a payload's length) and the upstreams' documented rates. A bound, not
 * a guess, because a reservation that is too small lets a key overrun its budget or TPM while the
 * call runs; settling with the upstream's reported usage corrects the count afterwards.
 */
import { isRecord } from "../../shared/index.js";

// OpenAI's vision cost for its tile-priced models (GPT-4o, GPT-4.1, GPT-4.5): `detail: "low"` is a
// flat 85. `high` (and `auto`, which may choose it) scales the image into 2048×2048, then its
// shortest side down to 768, and costs 85 + 170 per 512-px tile. The most tiles come from a short
// side of 513..768 and a long side of 1537..2048 (2049×513 → 2048×512): 2 × 4 tiles, 85 + 8 × 170.
// (OpenAI's 2048×4096 example, 768×1536, is 6 tiles: 1,105, not the worst case.) Anthropic's
// largest image (1.15 megapixels, w×h/750) is about 1,600, Gemini's 258 per 768-px tile.
const LOW_DETAIL_IMAGE = 85;
const HIGH_DETAIL_IMAGE = 85 + 8 * 170;

// Audio costs tokens per second; Gemini documents 32 a second, OpenAI's audio models about 10. The
// length is bounded by the payload at the format's lowest bitrate: 8 kHz 8-bit mono PCM for WAV
// (8,000 bytes a second), 8 kbit/s for MP3 (1,000), and the MP3 floor for any other format.
const AUDIO_TOKENS_PER_SECOND = 32;
const WAV_MIN_BYTES_PER_SECOND = 8_000;
const COMPRESSED_MIN_BYTES_PER_SECOND = 1_000;

/** Tokens reserved for one content part that has no `text`. */
export function nonTextPartTokens(part: Record<string, unknown>): number {
  switch (part.type) {
    case "image_url":
      return isRecord(part.image_url) && part.image_url.detail === "low" ? LOW_DETAIL_IMAGE : HIGH_DETAIL_IMAGE;
    case "input_audio": {
      const audio = isRecord(part.input_audio) ? part.input_audio : {};
      if (typeof audio.data !== "string") return HIGH_DETAIL_IMAGE;
      const perSecond = audio.format === "wav" ? WAV_MIN_BYTES_PER_SECOND : COMPRESSED_MIN_BYTES_PER_SECOND;
      return Math.ceil((base64Bytes(audio.data) / perSecond) * AUDIO_TOKENS_PER_SECOND);
    }
    case "file": {
      // A document costs its text plus an image of each page (OpenAI, Anthropic); neither the page
      // count nor the text is known undecoded, so a file counts as text would past the tokenizer's
      // sample: one token per byte. A file by id (no data here) counts as one page image.
      const data = isRecord(part.file) ? part.file.file_data : undefined;
      return typeof data === "string" ? base64Bytes(data.slice(data.indexOf(",") + 1)) : HIGH_DETAIL_IMAGE;
    }
    default:
      // Other kinds (vLLM's `video_url`, `audio_url`) carry a URL and no size: at least a picture's worth.
      return HIGH_DETAIL_IMAGE;
  }
}

// Decoded bytes of base64 text, from its length alone (padding makes it at most 2 over).
function base64Bytes(base64: string): number {
  return Math.ceil((base64.length * 3) / 4);
}
