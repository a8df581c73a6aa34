/**
 * The Languru SDK in plain Node: models, a whole completion, a stream, a typed error.
 *
 *   LANGURU_URL=http://127.0.0.1:8680 [LANGURU_API_KEY=...] [LANGURU_MODEL=echo] npx tsx examples/node.ts
 *
 * Node 20 has no global WebSocket, so the `ws` package's class is passed in (Node 22 needs nothing).
 */
import { createLanguruClient, NotFoundError, type ChatMessage } from "@languru/client";
import { WebSocket } from "ws";

const client = createLanguruClient({ url: process.env.LANGURU_URL ?? "http://127.0.0.1:8680", apiKey: process.env.LANGURU_API_KEY, WebSocket });
const model = process.env.LANGURU_MODEL ?? "echo";
const messages: ChatMessage[] = [
  { role: "system", content: "You answer in one short sentence." },
  { role: "user", content: "What is a gateway for?" },
];

try {
  const models = await client.models.list();
  console.log(`models: ${models.data.map((m) => m.id).join(", ")}`);

  const whole = await client.chat.completions({ model, messages, temperature: 0.2 });
  console.log(`completion: ${whole.choices[0]?.message.content} (${whole.usage?.total_tokens} tokens, via ${whole.languru.deployment})`);

  process.stdout.write("stream: ");
  for await (const chunk of client.chat.stream({ model, messages, stream_options: { include_usage: true } })) {
    process.stdout.write(chunk.choices[0]?.delta.content ?? "");
    if (chunk.usage) process.stdout.write(`\nstream usage: ${chunk.usage.total_tokens} tokens\n`);
  }

  try {
    await client.chat.completions({ model: "no-such-model", messages });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    console.log(`typed error: ${err.name} ${err.status} ${err.code}`);
  }
} finally {
  await client.close();
}
