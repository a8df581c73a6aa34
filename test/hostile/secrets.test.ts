/**
 * Issue 7 item 9: configured secrets (provider keys and `providers[].headers` values) never come
 * back in relayed errors or logs; the text of an upstream's 5xx answer (internal URLs, versions)
 * stays in the log.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/access.js";
import { json, startFakeUpstream, stream, type Behaviour, type FakeUpstream } from "../helpers/fake-upstream.js";
import { killProcesses, startProcess, type ServerProcess } from "../helpers/process.js";

const HEADER_SECRET = "azure-header-secret-987654";
const KEY_SECRET = "provider-key-secret-abcdef123456";
const INTERNAL = "http://10.0.0.5:8000/internal/v1.2.3";

let upstream: FakeUpstream;
let server: ServerProcess;
const tmp = tempDir();
beforeAll(async () => {
  upstream = await startFakeUpstream();
  const configPath = path.join(tmp.dir, "languru.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      providers: [
        { name: "azure", kind: "openai-compatible", baseURL: upstream.baseURL, apiKeyEnv: "AZURE_KEY", headers: { "api-key": HEADER_SECRET }, models: ["m"] },
      ],
      defaults: { retry: { attempts: 1 }, cooldown: { failures: 100 } },
    }),
  );
  server = await startProcess({ LANGURU_CONFIG: configPath, AZURE_KEY: KEY_SECRET });
});
afterEach(() => upstream.reset());
afterAll(async () => {
  killProcesses();
  await upstream?.close();
  tmp.cleanup();
});

/** An upstream error quoting both secrets it received, and an internal URL. */
function quoting(status: number): Behaviour {
  return (exchange) => {
    const seen = `${String(exchange.call.headers["api-key"])} ${String(exchange.call.headers.authorization)}`;
    return json(status, { error: { message: `bad credentials ${seen} at ${INTERNAL}`, type: "invalid_request_error", param: HEADER_SECRET, code: null } })(
      exchange,
    );
  };
}

const post = (extra: Record<string, unknown> = {}) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...extra }),
  });

function expectClean(text: string): void {
  expect(text).not.toContain(HEADER_SECRET);
  expect(text).not.toContain(KEY_SECRET);
  expect(text).not.toContain("987654");
}

describe("relayed errors", () => {
  it.each([400, 401, 403])("an upstream %i: status kept, message relayed redacted", async (status) => {
    upstream.otherwise(quoting(status));
    const res = await post();
    const text = await res.text();
    expect(res.status).toBe(status);
    expectClean(text);
    expect(text).toContain("[redacted]");
  });

  it.each([500, 502, 503])("an upstream %i: a 502 with a generic message", async (status) => {
    upstream.otherwise(quoting(status));
    const res = await post();
    const text = await res.text();
    expect(res.status).toBe(502);
    expectClean(text);
    expect(text).not.toContain("10.0.0.5");
    expect(JSON.parse(text)).toMatchObject({ error: { message: `upstream 'azure' failed (${status})`, code: "upstream_error" } });
  });

  // Issue 17: the upstream's own report of a failure mid-stream is relayed (it is meant for the
  // client, as a 4xx message is), with every configured secret redacted and the text bounded.
  it("an error event inside a stream: relayed, secrets redacted", async () => {
    upstream.otherwise((exchange) =>
      stream([
        { id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "a" }, finish_reason: null }] },
        { error: { message: `boom ${String(exchange.call.headers["api-key"])} ${INTERNAL}` } },
      ])(exchange),
    );
    const text = await (await post({ stream: true })).text();
    expectClean(text);
    expect(text).toContain("boom [redacted]");
    expect(text).toContain("data: [DONE]");
  });

  it("a 4xx message is truncated", async () => {
    upstream.otherwise(json(400, { error: { message: "long ".repeat(10_000), type: "invalid_request_error" } }));
    const res = await post();
    expect(res.status).toBe(400);
    expect((await res.text()).length).toBeLessThan(2_000);
  });

  it("and no log line carries a secret, while the 5xx details are there for operators", async () => {
    await new Promise((r) => setTimeout(r, 300));
    const logs = server.lines.map((l) => JSON.stringify(l)).join("\n");
    expectClean(logs);
    expect(logs).toContain("10.0.0.5");
  });
});
