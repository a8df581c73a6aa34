import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, InvalidRequestError } from "../client/index.js";
import { sdk, startGateway, type TestGateway } from "./helpers/gateway.js";

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway.close(100));

describe.each(["websocket", "http"] as const)("client SDK over %s", (transport) => {
  it("returns a whole completion from the mutation", async () => {
    const client = sdk(gateway, { transport });
    const result = await client.chat.completions({ model: "echo", messages: [{ role: "user", content: "one two three" }] });
    expect(result.choices[0]?.message.content).toBe("one two three");
    expect(result.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
  });

  it("streams chunks one word each", async () => {
    const client = sdk(gateway, { transport });
    const pieces: string[] = [];
    for await (const chunk of client.chat.stream({ model: "echo", messages: [{ role: "user", content: "alpha beta gamma" }] })) {
      pieces.push(chunk.choices[0]?.delta.content ?? "");
    }
    expect(pieces.join("")).toBe("alpha beta gamma");
    expect(pieces.filter((p) => p !== "")).toEqual(["alpha", " beta", " gamma"]);
  });

  it("throws typed errors", async () => {
    const client = sdk(gateway, { transport });
    await expect(client.chat.completions({ model: "nope", messages: [{ role: "user", content: "x" }] })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.chat.completions({ model: "echo", messages: [] })).rejects.toBeInstanceOf(InvalidRequestError);
    const stream = client.chat.stream({ model: "nope", messages: [{ role: "user", content: "x" }] });
    await expect(stream.next()).rejects.toBeInstanceOf(NotFoundError);
  });
});
