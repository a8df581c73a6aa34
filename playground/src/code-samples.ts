/**
 * "View code": the current conversation and settings as a request in three forms: curl against the
 * OpenAI-compatible door, the typed Languru SDK, and the official `openai` client. The key is
 * never written out: a gateway with keys on gets `$LANGURU_API_KEY` from the environment instead.
 */
import type { ChatItem, ChatParams } from "../../client/react/index.js";

/** What a sample is made of. */
export interface SampleInput {
  origin: string;
  model: string;
  system: string;
  params: ChatParams;
  messages: ChatItem[];
  /** The message being typed, sent as the last user turn when not empty. */
  draft: string;
  keysOn: boolean;
}

/** One sample per way to call the gateway. */
export interface CodeSamples {
  curl: string;
  sdk: string;
  openai: string;
}

/** The three samples for `input`. */
export function codeSamples(input: SampleInput): CodeSamples {
  const { extra_body, ...known } = input.params;
  const extra = (extra_body ?? {}) as Record<string, unknown>;
  const messages = [
    ...(input.system ? [{ role: "system", content: input.system }] : []),
    ...input.messages.filter((m) => m.role === "user" || (m.content !== "" && !m.error)).map((m) => ({ role: m.role, content: m.content })),
    ...(input.draft.trim() ? [{ role: "user", content: input.draft }] : []),
  ];
  const request = { model: input.model, messages, ...known };
  // Over REST, vendor fields go in the body itself, as the openai clients send `extra_body`.
  const restBody = { ...request, ...extra, stream: true };
  const sdkRequest = extra_body ? { ...request, extra_body } : request;
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  const indent = (text: string) => text.replace(/\n/g, "\n  ");

  const curl = [
    `curl -N ${input.origin}/v1/chat/completions \\`,
    `  -H "Content-Type: application/json" \\`,
    ...(input.keysOn ? [`  -H "Authorization: Bearer $LANGURU_API_KEY" \\`] : []),
    `  -d '${json(restBody).replace(/'/g, "'\\''")}'`,
  ].join("\n");

  const sdk = `import { createLanguruClient } from "@languru/client";

const client = createLanguruClient({ url: "${input.origin}"${input.keysOn ? ", apiKey: process.env.LANGURU_API_KEY" : ""} });

for await (const chunk of client.chat.stream(${indent(json(sdkRequest))})) {
  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
}
await client.close();
`;

  const openai = `import OpenAI from "openai";

const openai = new OpenAI({ baseURL: "${input.origin}/v1", apiKey: ${input.keysOn ? "process.env.LANGURU_API_KEY" : '"unused"'} });

const stream = await openai.chat.completions.create(${indent(json({ ...request, ...extra, stream: true }))});
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
`;
  return { curl, sdk, openai };
}
