/**
 * What a client that did not ask for usage gets from a gateway with keys on, as a fixture of its
 * own: metering asks the upstream for usage (`include_usage`), so the upstream streams its
 * `framesWithUsage`; the gateway then takes out what asking added and nothing else: chunks that
 * carry only usage (no choices), and a top-level `"usage": null` member (OpenAI adds one to every
 * chunk once usage is asked for). Every other byte is the upstream's, usage it sent inside a
 * chunk with choices included (Mistral, DeepSeek, OpenRouter's `cost`, Groq's finish chunk).
 *
 * Written from that rule alone, not from the gateway's code: the suite serves this view straight
 * from the replay (model `<id>@metered`) and holds the keys-on gateway to it. The documented cost:
 * an upstream that sends `"usage": null` unasked (Azure, SGLang, DeepSeek) shows it only keys off.
 */
import type { StreamFixture } from "../fixtures/vendors/index.js";

/** The model name under which the replay serves a fixture's metered view. */
export const meteredId = (id: string): string => `${id}@metered`;

/** The keys-on, usage-not-asked view of a fixture. */
export function meteredView(fixture: StreamFixture): StreamFixture {
  const asked = fixture.framesWithUsage ?? fixture.frames;
  return { ...fixture, id: meteredId(fixture.id), frames: asked.flatMap(meteredFrame), framesWithUsage: undefined };
}

function meteredFrame(frame: string): string[] {
  const match = /^data: (\{.*\})\n\n$/s.exec(frame);
  if (!match) return [frame];
  const text = match[1] as string;
  const payload = JSON.parse(text) as Record<string, unknown>;
  const choices = payload.choices;
  if (Array.isArray(choices) && choices.length === 0 && payload.usage != null) return [];
  if (!("usage" in payload) || payload.usage !== null) return [frame];
  const cut = text.replace(/,\s*"usage"\s*:\s*null(?=\s*[,}])|"usage"\s*:\s*null\s*,\s*/, "");
  // The cut must have removed exactly that member, at the top level.
  const { usage: _usage, ...rest } = payload;
  if (JSON.stringify(JSON.parse(cut)) !== JSON.stringify(rest)) throw new Error(`cannot cut "usage": null out of ${text}`);
  return [`data: ${cut}\n\n`];
}
