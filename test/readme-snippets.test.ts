/**
 * The user docs are true as written. Every TypeScript snippet of the README and docs/ type-checks
 * against the client package (the TanStack React Query ones in test/client-install.test.ts, where
 * that library is installed); every curl example runs against a real gateway and gets a 200 (the
 * keys walkthrough's `npx languru keys create` is run too, and its key used); every relative link
 * points at a file and heading that exist; the packed client README has no link that breaks
 * outside this repository.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startKeyedGateway } from "./helpers/access.js";
import { startGateway, type TestGateway } from "./helpers/gateway.js";
import { anchors, type CodeBlock, codeBlocks, links, parseCurl, shellCommands, shellWords } from "./helpers/markdown.js";
import { repoRoot } from "./helpers/spec.js";

const run = promisify(execFile);
const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
const DOCS = [
  "README.md",
  ...readdirSync(path.join(repoRoot, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const DEFAULT_URL = "http://127.0.0.1:8680";
// Snippets that need @tanstack/react-query, which this repository does not install.
const NEEDS_INSTALL = /from "@tanstack\/|from "@trpc\/tanstack-react-query"/;

/** Every block of `lang` in the docs, with where it is. */
function blocksOf(langs: string[]): Array<CodeBlock & { file: string }> {
  return DOCS.flatMap((file) =>
    codeBlocks(readFileSync(path.join(repoRoot, file), "utf8"))
      .filter((b) => langs.includes(b.lang))
      .map((b) => ({ ...b, file })),
  );
}

describe("TypeScript snippets", () => {
  const dir = path.join(repoRoot, "test", ".artifacts", "readme-snippets");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("every one type-checks (strict, the project's settings) against @languru/client, where a typo is an error", async () => {
    const snippets = blocksOf(["ts", "tsx"]).filter((b) => !NEEDS_INSTALL.test(b.code));
    expect(snippets.length).toBeGreaterThanOrEqual(6);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const names = snippets.map((s, i) => {
      const name = `${s.file.replace(/[/.]/g, "_")}_line${s.line}_${i}.${s.lang}`;
      // Each snippet is its own module, as a file in an app would be.
      writeFileSync(path.join(dir, name), `${s.code}\n${/^(import|export) /m.test(s.code) ? "" : "export {};\n"}`);
      return name;
    });
    // The check checks: were the client's types missing (any), this expected error would be unused, itself an error.
    writeFileSync(
      path.join(dir, "probe_typo.ts"),
      `import { createLanguruClient } from "@languru/client";\n// @ts-expect-error a misspelled field\nawait createLanguruClient({ url: "x" }).chat.completions({ model: "echo", prompt: "hi", temprature: 1 });\n`,
    );
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ extends: "../../../tsconfig.json", compilerOptions: { jsx: "react-jsx", noEmit: true }, include: ["*.ts", "*.tsx"] }),
    );
    const errors = await run(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json")], { cwd: repoRoot }).then(
      () => [],
      (err: { stdout?: string }) => (err.stdout ?? String(err)).split("\n").filter((line) => /error TS/.test(line)),
    );
    // An error names the file: `<doc>_line<N>_<i>.tsx(row,col)`, so it points at the snippet.
    expect(errors, `snippets: ${names.join(", ")}`).toEqual([]);
  }, 180_000);
});

describe("curl examples", () => {
  let open: TestGateway;
  let keyed: TestGateway;
  beforeAll(async () => {
    [open, keyed] = await Promise.all([startGateway(), startKeyedGateway()]);
  });
  afterAll(async () => {
    await Promise.all([open?.close(100), keyed?.close(100)]);
  });

  /** Runs the walkthrough's own `npx languru keys create ...` against `gateway` and returns the key it printed. */
  async function createKeyAsWritten(command: string, gateway: TestGateway): Promise<string> {
    const args = shellWords(command).slice(2);
    const { stdout } = await run(process.execPath, [path.join(repoRoot, "bin", "languru.js"), ...args], {
      env: { PATH: process.env.PATH, LANGURU_URL: gateway.baseURL, LANGURU_MASTER_KEY: MASTER_KEY },
      timeout: 15_000,
    });
    return (JSON.parse(stdout) as { key: string }).key;
  }

  it("every one answers 200 as written (streams end with [DONE]); the keys walkthrough works with the key its CLI call made", async () => {
    let ran = 0;
    for (const block of blocksOf(["sh", "bash"])) {
      let key: string | null = null;
      for (const command of shellCommands(block.code)) {
        const where = `${block.file}:${block.line}: ${command}`;
        if (/^npx languru keys create /.test(command)) key = await createKeyAsWritten(command, keyed);
        if (!/(^|\s)curl\s/.test(command)) continue;
        const request = parseCurl(shellWords(command));
        expect(request.url.startsWith(DEFAULT_URL), where).toBe(true);
        const authorization = request.headers.authorization;
        // A placeholder key (`sk-lru-...`) is the walkthrough's: the key its own CLI call printed.
        if (authorization?.includes("sk-lru-...")) {
          expect(key, `${where}: a key example needs the walkthrough's keys create before it`).not.toBeNull();
          request.headers.authorization = `Bearer ${key}`;
        }
        const gateway = authorization ? keyed : open;
        const res = await fetch(gateway.baseURL + request.url.slice(DEFAULT_URL.length), {
          method: request.method,
          headers: request.headers,
          body: request.body,
        });
        const text = await res.text();
        expect(res.status, `${where}\n${text}`).toBe(200);
        const streamed = request.body !== undefined && (JSON.parse(request.body) as { stream?: boolean }).stream === true;
        if (streamed) {
          expect(res.headers.get("content-type"), where).toMatch(/^text\/event-stream/);
          expect(text.trimEnd().endsWith("data: [DONE]"), where).toBe(true);
        } else {
          // Each API answers in its own shape: a chat completion, an Anthropic message, a Response.
          const answer = JSON.parse(text) as { object?: string; type?: string };
          const expected = request.url.includes("/v1/messages")
            ? { type: "message" }
            : request.url.includes("/v1/responses")
              ? { object: "response" }
              : { object: "chat.completion" };
          expect(answer, where).toMatchObject(expected);
        }
        ran++;
      }
    }
    expect(ran).toBeGreaterThanOrEqual(4);
  }, 60_000);
});

describe("links", () => {
  it("every relative link in the README and docs/ points at a file, and at a heading of it", () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      const text = readFileSync(path.join(repoRoot, file), "utf8");
      for (const target of links(text)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [pathPart, anchor] = target.split("#");
        const resolved = pathPart ? path.join(path.dirname(path.join(repoRoot, file)), pathPart) : path.join(repoRoot, file);
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor && resolved.endsWith(".md") && !anchors(readFileSync(resolved, "utf8")).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("the README links every document in docs/", () => {
    const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
    for (const doc of DOCS.filter((f) => f.startsWith("docs/"))) expect(readme, doc).toContain(`](${doc})`);
  });

  it("the packed client README works outside this repository: no relative links, the real key prefix", () => {
    const text = readFileSync(path.join(repoRoot, "client", "README.md"), "utf8");
    expect(links(text).filter((target) => !/^https?:/.test(target))).toEqual([]);
    const keyPrefix = /const PREFIX = "([^"]+)"/.exec(readFileSync(path.join(repoRoot, "server", "access", "keys.ts"), "utf8"))?.[1];
    expect(keyPrefix).toBe("sk-lru-");
    for (const match of text.matchAll(/apiKey: "([^"]*)"/g)) expect(match[1]?.startsWith(keyPrefix ?? "?"), match[0]).toBe(true);
  });
});
