import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { completion, fail, startFakeUpstream, stream } from "./helpers/fake-upstream.js";
import { compiledEntry } from "../scripts/build-server.js";
import { killProcesses, startProcess } from "./helpers/process.js";

afterEach(() => killProcesses());

describe("server process", () => {
  it("logs one startup line listing its models, and serves", async () => {
    const { url, startup } = await startProcess();
    expect(startup.models).toEqual(["echo"]);
    expect(String(startup.msg)).toContain("echo");
    const res = await fetch(`${url}/v1/models`);
    expect(res.status).toBe(200);
  });

  it("refuses to start on a bad config, naming the field", async () => {
    // The compiled entry, as `startProcess` runs it (which waits for a startup line this run never logs).
    const entry = await compiledEntry("main");
    if (!entry) throw new Error("the server cannot be compiled here: esbuild is not installed");
    const child = spawn(process.execPath, [fileURLToPath(entry)], {
      env: { ...process.env, PORT: "not-a-port", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.once("error", () => undefined);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, "exit")) as [number];
    expect(code).toBe(1);
    expect(out).toContain("PORT");
  });

  it("finishes in-flight streams on SIGTERM, then exits 0", async () => {
    const { child, url } = await startProcess();
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "echo", messages: [{ role: "user", content: "a b c d e f" }], stream: true, echo_delay_ms: 100 }),
    });
    expect(res.status).toBe(200);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const body = await res.text();
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(body).toContain('"finish_reason":"stop"');
    const [code] = (await exited) as [number];
    expect(code).toBe(0);
  });

  it("reloads its config on SIGHUP, and refuses an invalid one while the old keeps serving", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "languru-")), "config.json");
    const provider = { name: "local", kind: "openai-compatible", baseURL: "http://127.0.0.1:9/v1" };
    writeFileSync(path, JSON.stringify({ providers: [{ ...provider, models: ["first"] }] }));
    const { child, url, lines } = await startProcess({ LANGURU_CONFIG: path });
    const ids = async () => ((await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    expect(await ids()).toContain("first");

    writeFileSync(path, JSON.stringify({ providers: [{ ...provider, models: ["first"], timeoutMs: -5 }] }));
    child.kill("SIGHUP");
    await expect
      .poll(() => lines.some((l) => String(l.msg).includes("refused") && String(l.msg).includes("providers[0].timeoutMs")), { timeout: 3_000 })
      .toBe(true);
    expect(await ids()).toContain("first");

    writeFileSync(path, JSON.stringify({ providers: [{ ...provider, models: ["second"] }] }));
    child.kill("SIGHUP");
    await expect.poll(ids, { timeout: 3_000 }).toContain("second");
    expect(await ids()).not.toContain("first");
  });

  it("never writes the provider key to a log line, whatever the upstream says", async () => {
    const key = "sk-live-topsecret-0123456789abcdef";
    const upstream = await startFakeUpstream({ models: ["gpt-4o-mini"] });
    upstream.script(
      fail(401, `Incorrect API key provided: ${key}.`, { code: "invalid_api_key" }),
      fail(500, `internal error for ${key}`),
      completion(),
      stream([`data: {"error": {"message": "bad key ${key}"}}\n\n`]),
    );
    const { url, lines, stderr } = await startProcess({
      OPENAI_API_KEY: key,
      OPENAI_BASE_URL: upstream.baseURL,
      OPENAI_MODELS: "gpt-4o-mini",
      LOG_LEVEL: "trace",
    });
    const post = (body: object) =>
      fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], ...body }),
      });
    const bodies = [await (await post({})).text(), await (await post({})).text(), await (await post({ stream: true })).text()];
    await upstream.close();
    // 401; 500 and a success; the in-stream error and its retry.
    expect(upstream.calls.length).toBe(5);
    for (const body of bodies) expect(body).not.toContain("topsecret");
    expect(JSON.stringify(lines) + stderr.join("")).not.toContain("topsecret");
  });

  it("keeps an idle subscription alive with pings", async () => {
    const { url } = await startProcess({ LANGURU_SSE_PING_MS: "100" });
    const start = await fetch(`${url}/trpc/chat.start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { model: "echo", messages: [{ role: "user", content: "slow words" }], extra_body: { echo_delay_ms: 1000 } } }),
    });
    expect(start.status).toBe(200);
    const id = ((await start.json()) as { result: { data: { json: { id: string } } } }).result.data.json.id;
    const controller = new AbortController();
    const res = await fetch(`${url}/trpc/chat.stream?input=${encodeURIComponent(JSON.stringify({ json: { id } }))}`, { signal: controller.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    const deadline = Date.now() + 900;
    while (Date.now() < deadline && (text.match(/event: ping/g) ?? []).length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    // Three pings inside the first word's one-second delay: the connection is kept alive while idle.
    expect((text.match(/event: ping/g) ?? []).length).toBeGreaterThanOrEqual(3);
  });
});
