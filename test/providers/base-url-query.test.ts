/**
 * A provider's `baseURL` may carry a query (Azure OpenAI's `api-version`, a proxy's parameters), and
 * some calls carry their own (Gemini's `:streamGenerateContent?alt=sse`, discovery's page
 * parameters): the upstream must get one query with both, the call's first, never a second `?`.
 * A real gateway, called over REST with fetch, in front of the fake OpenAI-compatible, Gemini and
 * Anthropic upstreams; a recorder on the wire between them asserts each request-target exactly, and
 * that no API key ever travels in one. The merge itself is pinned on its edge cases at the end.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { requestTargetOf } from "../../server/providers/request-target.js";
import { startFakeAnthropic, type FakeAnthropic } from "../helpers/fake-anthropic.js";
import { generated, reply, sse, startFakeGemini, type FakeGemini } from "../helpers/fake-gemini.js";
import { startFakeUpstream, type FakeUpstream } from "../helpers/fake-upstream.js";
import { startGateway, upstreamProvider, type TestGateway } from "../helpers/gateway.js";
import { startTargetRecorder, type TargetRecorder } from "../helpers/target-recorder.js";

const KEYS = { openai: "sk-azure-test-key-0123456789", gemini: "AIzaSy-test-gemini-key-0123456789", anthropic: "sk-ant-api03-test-key-0123456789" };
const AZURE_QUERY = "?api-version=2024-10-21";
// `alt=json` as well: on a name both carry the call's own wins, or a stream would be asked for as JSON.
const GEMINI_QUERY = "?alt=json&tenant=team%2Fa";
const ANTHROPIC_QUERY = "?beta=true";

let openaiFake: FakeUpstream;
let geminiFake: FakeGemini;
let anthropicFake: FakeAnthropic;
const wire: Record<"openai" | "gemini" | "anthropic", TargetRecorder> = {} as never;
let gateway: TestGateway;
// What discovery asked for at start-up, before any test reset the recorders.
let discovered: Record<keyof typeof wire, string[]>;

beforeAll(async () => {
  openaiFake = await startFakeUpstream({ models: ["gpt-4o"] });
  geminiFake = await startFakeGemini();
  // One model per page, so discovery's second page shows the page parameter merged too.
  anthropicFake = await startFakeAnthropic({ pageSize: 1 });
  // As Gemini does: an event stream only when the query asks for one with `alt=sse`.
  geminiFake.otherwise((exchange) =>
    new URLSearchParams(exchange.call.query).get("alt") === "sse"
      ? sse([reply("Hello from Gemini.")])(exchange)
      : generated(reply("Hello from Gemini."))(exchange),
  );
  geminiFake.modelPages([[{ name: "models/gemini-2.5-flash", supportedGenerationMethods: ["generateContent"] }], [{ name: "models/gemini-2.5-pro" }]]);
  wire.openai = await startTargetRecorder(new URL(openaiFake.baseURL).origin);
  wire.gemini = await startTargetRecorder(new URL(geminiFake.baseURL).origin);
  wire.anthropic = await startTargetRecorder(new URL(anthropicFake.baseURL).origin);

  const { routing } = loadConfig({});
  const provider = (name: string, kind: "openai-compatible" | "gemini" | "anthropic", baseURL: string, models: string[]) =>
    upstreamProvider(baseURL, models, { name, kind, apiKey: KEYS[kind === "openai-compatible" ? "openai" : kind], discovery: true });
  gateway = await startGateway({
    routing: { ...routing, retry: { ...routing.retry, attempts: 1 } },
    providers: [
      provider("azure", "openai-compatible", `${wire.openai.origin}/v1${AZURE_QUERY}`, ["gpt-4o"]),
      provider("plain-openai", "openai-compatible", `${wire.openai.origin}/v1`, ["gpt-4o"]),
      provider("gem", "gemini", `${wire.gemini.origin}/v1beta${GEMINI_QUERY}`, ["gemini-2.5-flash"]),
      provider("plain-gem", "gemini", `${wire.gemini.origin}/v1beta`, ["gemini-2.5-flash"]),
      provider("claude", "anthropic", `${wire.anthropic.origin}/v1${ANTHROPIC_QUERY}`, ["claude-sonnet-5-5"]),
      provider("plain-claude", "anthropic", `${wire.anthropic.origin}/v1`, ["claude-sonnet-5-5"]),
    ],
  });
  await gateway.ready();
  discovered = { openai: wire.openai.targets("GET"), gemini: wire.gemini.targets("GET"), anthropic: wire.anthropic.targets("GET") };
});
afterAll(async () => {
  await gateway.close(100);
  await Promise.all(Object.values(wire).map((recorder) => recorder.close()));
  await Promise.all([openaiFake.close(), geminiFake.close(), anthropicFake.close()]);
});
beforeEach(() => {
  for (const recorder of Object.values(wire)) recorder.reset();
});

/** One chat completion over REST; resolves with the status and the whole body's text. */
async function chat(model: string, stream: boolean): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gateway.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, stream, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
  });
  return { status: res.status, text: await res.text() };
}

/** What the client got was an answer: a completion with text, or a stream of chunks ending in [DONE]. */
function expectAnswered(answer: { status: number; text: string }, stream: boolean): void {
  expect(answer.status, answer.text).toBe(200);
  if (!stream) return void expect((JSON.parse(answer.text) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBeTruthy();
  expect(answer.text).toContain('"content":"');
  expect(answer.text.trimEnd().endsWith("data: [DONE]")).toBe(true);
}

function expectNoKeyInAnyTarget(): void {
  for (const recorder of Object.values(wire))
    for (const { target } of recorder.requests) for (const key of Object.values(KEYS)) expect(target).not.toContain(key);
}

describe("chat calls: the base URL's query joins the call's own", () => {
  it.each([false, true])("openai-compatible (Azure-style api-version), stream: %s", async (stream) => {
    const answer = await chat("azure/gpt-4o", stream);
    expect(wire.openai.targets("POST")).toEqual([`/v1/chat/completions${AZURE_QUERY}`]);
    expectAnswered(answer, stream);
    expect(wire.openai.requests[0]?.headers.authorization).toBe(`Bearer ${KEYS.openai}`);
    expectNoKeyInAnyTarget();
  });

  it.each([
    [false, `/v1beta/models/gemini-2.5-flash:generateContent${GEMINI_QUERY}`],
    // The call's `alt=sse` first and instead of the base's `alt=json`; the base's encoding kept as written.
    [true, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&tenant=team%2Fa"],
  ])("gemini, stream: %s", async (stream, target) => {
    const answer = await chat("gem/gemini-2.5-flash", stream);
    expect(wire.gemini.targets("POST")).toEqual([target]);
    expectAnswered(answer, stream);
    // The key travels in its header, never in the URL.
    expect(wire.gemini.requests[0]?.headers["x-goog-api-key"]).toBe(KEYS.gemini);
    expectNoKeyInAnyTarget();
  });

  it.each([false, true])("anthropic, stream: %s", async (stream) => {
    const answer = await chat("claude/claude-sonnet-5-5", stream);
    expect(wire.anthropic.targets("POST")).toEqual([`/v1/messages${ANTHROPIC_QUERY}`]);
    expectAnswered(answer, stream);
    expect(wire.anthropic.requests[0]?.headers["x-api-key"]).toBe(KEYS.anthropic);
    expectNoKeyInAnyTarget();
  });
});

describe("a base URL without a query: targets as they always were", () => {
  it.each([
    ["plain-openai/gpt-4o", "openai", false, "/v1/chat/completions"],
    ["plain-openai/gpt-4o", "openai", true, "/v1/chat/completions"],
    ["plain-gem/gemini-2.5-flash", "gemini", false, "/v1beta/models/gemini-2.5-flash:generateContent"],
    ["plain-gem/gemini-2.5-flash", "gemini", true, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"],
    ["plain-claude/claude-sonnet-5-5", "anthropic", false, "/v1/messages"],
    ["plain-claude/claude-sonnet-5-5", "anthropic", true, "/v1/messages"],
  ] as const)("%s via %s, stream: %s", async (model, upstream, stream, target) => {
    const answer = await chat(model, stream);
    expect(wire[upstream].targets("POST")).toEqual([target]);
    expectAnswered(answer, stream);
    expectNoKeyInAnyTarget();
  });
});

describe("discovery GETs: page parameters first, then the base URL's", () => {
  // Both providers of a kind share one upstream, and discover at once: their order is not fixed.
  it("openai-compatible: GET /models", () => {
    expect([...discovered.openai].sort()).toEqual(["/v1/models", `/v1/models${AZURE_QUERY}`]);
  });

  it("gemini: every page of GET /models", () => {
    expect([...discovered.gemini].sort()).toEqual([
      "/v1beta/models?pageSize=1000",
      "/v1beta/models?pageSize=1000&alt=json&tenant=team%2Fa",
      "/v1beta/models?pageSize=1000&pageToken=1",
      "/v1beta/models?pageSize=1000&pageToken=1&alt=json&tenant=team%2Fa",
    ]);
  });

  it("anthropic: every page of GET /models", () => {
    expect([...discovered.anthropic].sort()).toEqual([
      "/v1/models?limit=1000",
      "/v1/models?limit=1000&after_id=claude-sonnet-5-5",
      "/v1/models?limit=1000&after_id=claude-sonnet-5-5&beta=true",
      "/v1/models?limit=1000&beta=true",
    ]);
  });

  it("and each kind listed what its upstream listed", async () => {
    const listed = ((await (await fetch(`${gateway.baseURL}/v1/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(listed).toEqual(
      expect.arrayContaining(["azure/gpt-4o", "gem/gemini-2.5-flash", "gem/gemini-2.5-pro", "claude/claude-sonnet-5-5", "claude/claude-haiku-5-5"]),
    );
  });
});

describe("the merge, on its edge cases", () => {
  const targetOf = (baseURL: string, path: string) => requestTargetOf(new URL(baseURL))(path);

  it("a path without a query gets the base's query as written, after the trailing slash is dropped", () => {
    expect(targetOf("https://x.openai.azure.com/openai/deployments/gpt4o/?api-version=2024-10-21&&", "/chat/completions")).toBe(
      "/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21&&",
    );
    expect(targetOf("http://h/v1", "/models?limit=5")).toBe("/v1/models?limit=5");
  });

  it("a name both carry is the path's, compared decoded; the base's repeats and encoding are kept; empty pieces go", () => {
    expect(targetOf("http://h/v1?api%2Dversion=1&tag=a&tag=b&&x=%20", "/models?api-version=2&")).toBe("/v1/models?api-version=2&tag=a&tag=b&x=%20");
    expect(targetOf("http://h/v1?beta&limit=1", "/models?limit=1000")).toBe("/v1/models?limit=1000&beta");
    expect(targetOf("http://h/v1?a=1", "/models?")).toBe("/v1/models?a=1");
  });
});
