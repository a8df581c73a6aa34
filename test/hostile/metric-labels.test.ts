/**
 * Issue 16 item 11 (metric labels): a label value holding CR, NUL, U+2028 or another control
 * character (a client's `provider/<model>` address, a model an upstream lists) is escaped, so the
 * exposition stays one sample per line for every reader, line-splitting ones included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fail, startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { parseScrape } from "../helpers/prometheus.js";

// Every character some reader ends a line at, or shows as nothing.
const UNSAFE = ["\r", "\u0000", "\u2028", "\u2029", "\u0085", "\u000b", "\u000c", "\u001b", "\u007f", "\n"];
// A sample line of the text format: name, optional labels, value.
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [^ ]+$/;

let upstream: FakeUpstream;
let gateway: TestGateway;
beforeAll(async () => {
  upstream = await startFakeUpstream({ models: ["listed\rmodel\u2028x\u0000y"] });
  upstream.otherwise(fail(400, "no such model"));
  gateway = await startGateway({ providers: [upstreamProvider(upstream.baseURL, [], { name: "bad", discovery: true })] });
});
afterAll(async () => {
  await gateway?.close(100);
  await upstream?.close();
});

describe("metric label values", () => {
  it("with control characters and line separators stay on one line, and read back escaped", async () => {
    const names = [...UNSAFE.map((c, i) => `bad/m${i}${c}end`), "bad/listed\rmodel\u2028x\u0000y"];
    for (const model of names) {
      const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
      });
      await res.text();
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
    const text = await (await fetch(`${gateway.baseURL}/metrics`)).text();
    for (const c of UNSAFE.filter((c) => c !== "\n")) expect(text.includes(c), `raw U+${c.charCodeAt(0).toString(16)} in the exposition`).toBe(false);
    // Split the way the strictest readers do: every piece is a comment or one whole sample.
    let lines = [text];
    for (const separator of ["\r\n", "\n", "\r", "\u000b", "\u000c", "\u0085", "\u2028", "\u2029"]) lines = lines.flatMap((l) => l.split(separator));
    for (const line of lines) {
      if (line === "" || line.startsWith("#")) continue;
      expect(line).toMatch(SAMPLE);
    }
    const deployments = parseScrape(text)
      .family("languru_upstream_errors_total")
      ?.metrics.map((m) => m.labels?.deployment ?? "");
    expect(deployments).toContain("bad/m0\\u000dend");
    expect(deployments).toContain("bad/m2\\u2028end");
    expect(deployments?.some((d) => d.includes("listed\\u000dmodel\\u2028x\\u0000y"))).toBe(true);
  });
});
