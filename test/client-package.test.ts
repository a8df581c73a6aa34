/**
 * The client package as an app outside this repository gets it: `npm pack` in client/, the tarball
 * installed into scratch apps in the OS temp folder. A plain Node app: no native build, no server
 * dependency, ESM import works, a strict TypeScript file type-checks with skipLibCheck off and a
 * typo is an error, error names survive minification. A Vite-style React app with
 * `@trpc/tanstack-react-query@11.22.1`: installs without ERESOLVE, type-checks with full inference, builds.
 *
 * Registry installs are slow: one scratch folder per app, `--prefer-offline`, generous timeouts.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsc = path.join(repo, "node_modules", "typescript", "bin", "tsc");
const vite = path.join(repo, "node_modules", "vite", "bin", "vite.js");
const scratch = mkdtempSync(path.join(tmpdir(), "languru-client-pkg-"));
const INSTALL_MS = 300_000;

/** What the server needs and an app must never get from the client package. */
const SERVER_DEPS = ["libsql", "pg", "ioredis", "pino", "gpt-tokenizer", "tsx", "esbuild", "zod", "openai", "undici", "cors", "rate-limiter-flexible", "ws"];

/** Strict settings of Vite's react-ts template (tsconfig.app.json), `types: ["vite/client"]` aside. */
const viteStrict = {
  target: "ES2022",
  useDefineForClassFields: true,
  lib: ["ES2022", "DOM", "DOM.Iterable"],
  module: "ESNext",
  types: [],
  skipLibCheck: true,
  moduleResolution: "bundler",
  allowImportingTsExtensions: true,
  verbatimModuleSyntax: true,
  moduleDetection: "force",
  noEmit: true,
  jsx: "react-jsx",
  strict: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  erasableSyntaxOnly: true,
  noFallthroughCasesInSwitch: true,
  noUncheckedSideEffectImports: true,
};

let tarball = "";
let packedFiles: string[] = [];

async function npm(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run("npm", args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });
}

/** Creates a scratch app and installs `deps` (the tarball among them). */
async function app(name: string, packageJson: Record<string, unknown>, deps: string[]): Promise<{ dir: string; log: string }> {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module", ...packageJson }, null, 2));
  const { stdout, stderr } = await npm(dir, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--foreground-scripts", ...deps]);
  return { dir, log: stdout + stderr };
}

/** Every package installed under `node_modules`, with its manifest. */
function installed(dir: string): Map<string, { scripts?: Record<string, string>; gypfile?: boolean }> {
  const found = new Map<string, { scripts?: Record<string, string>; gypfile?: boolean }>();
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith(".")) continue;
      const names = entry.startsWith("@") ? readdirSync(path.join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
      for (const name of names) {
        const manifest = path.join(modules, name, "package.json");
        if (!existsSync(manifest)) continue;
        found.set(name, JSON.parse(readFileSync(manifest, "utf8")));
        visit(path.join(modules, name, "node_modules"));
      }
    }
  };
  visit(path.join(dir, "node_modules"));
  return found;
}

/** tsc's error lines for a project (empty when it type-checks), from `tsconfigName` in `dir`. */
async function typecheck(dir: string, tsconfigName = "tsconfig.json"): Promise<string[]> {
  try {
    await run(process.execPath, [tsc, "-p", path.join(dir, tsconfigName)], { cwd: dir });
    return [];
  } catch (err) {
    const errors = String((err as { stdout?: string }).stdout ?? err)
      .split("\n")
      .filter((line) => /error TS/.test(line));
    // tsc failing without a type error (a crash, a missing file) is not a clean project.
    if (errors.length === 0) throw err;
    return errors;
  }
}

beforeAll(async () => {
  const { stdout } = await npm(path.join(repo, "client"), ["pack", "--json", "--pack-destination", scratch]);
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(scratch, packed?.filename ?? "");
  packedFiles = packed?.files.map((f) => f.path) ?? [];
}, INSTALL_MS);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("npm pack", () => {
  it("ships compiled ESM and declarations only", () => {
    expect(existsSync(tarball)).toBe(true);
    expect(packedFiles).toEqual(
      expect.arrayContaining(["package.json", "dist/client/index.js", "dist/client/index.d.ts", "dist/client/types.d.ts", "dist/shared/errors.js"]),
    );
    expect(packedFiles).toContain("dist/client/react/index.js");
    for (const file of packedFiles) expect(file).toMatch(/^(package\.json|README\.md|dist\/(client|shared)\/.*\.(js|d\.ts))$/);
    const types = readFileSync(path.join(repo, "client", "dist", "client", "types.d.ts"), "utf8");
    expect(types).not.toMatch(/from "zod"|server\/|import\("(?!@trpc\/server")/);
  });
});

describe("a plain Node app", () => {
  let dir = "";
  let log = "";
  beforeAll(async () => {
    ({ dir, log } = await app("node-app", {}, [tarball]));
  }, INSTALL_MS);

  it("installs without a native build and without any server dependency", () => {
    const packages = installed(dir);
    expect([...packages.keys()]).toEqual(expect.arrayContaining(["@languru/client", "@trpc/client", "@trpc/server", "superjson"]));
    for (const name of SERVER_DEPS) expect(packages.has(name), name).toBe(false);
    for (const [name, manifest] of packages) {
      expect(manifest.gypfile ?? false, name).toBe(false);
      for (const hook of ["preinstall", "install", "postinstall"]) expect(manifest.scripts?.[hook], `${name} ${hook}`).toBeUndefined();
    }
    expect(log).not.toMatch(/node-gyp|gyp info/);
  });

  it("imports as plain ESM in Node", async () => {
    const script = `import { createLanguruClient, RateLimitError, ConnectionError } from "@languru/client";
      const client = createLanguruClient({ url: "http://127.0.0.1:1", transport: "http" });
      console.log(JSON.stringify({ client: typeof client.chat.stream, name: new RateLimitError("x").name, conn: new ConnectionError("y").name }));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ client: "function", name: "RateLimitError", conn: "ConnectionError" });
  });

  it("type-checks a strict TypeScript file (skipLibCheck off), and a typo is an error", async () => {
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        // tRPC's own declarations use `Disposable`, which ES2022 alone lacks.
        compilerOptions: {
          ...viteStrict,
          lib: ["ES2022", "ESNext.Disposable", "DOM"],
          skipLibCheck: false,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          allowImportingTsExtensions: false,
          jsx: undefined,
        },
        files: ["check.ts"],
      }),
    );
    writeFileSync(
      path.join(dir, "check.ts"),
      `import { createLanguruClient, InvalidRequestError, type AppRouter, type ChatCompletionChunk, type ChatCompletionParams, type RouterOutputs } from "@languru/client";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";

const client = createLanguruClient({ url: "http://127.0.0.1:8680", apiKey: "k" });
const request: ChatCompletionParams = { model: "echo", messages: [{ role: "user", content: "hi" }], temperature: 0.5, extra_body: { top_k: 40 } };
// @ts-expect-error a misspelled field does not type-check
const typo: ChatCompletionParams = { model: "echo", prompt: "hi", temprature: 0.5 };

export async function main(): Promise<string> {
  const whole = await client.chat.completions(request);
  const content: string | null | undefined = whole.choices[0]?.message.content;
  const deployment: string = whole.languru.deployment;
  let text = "";
  for await (const chunk of client.chat.stream(request)) {
    const piece: string | null | undefined = chunk.choices[0]?.delta.content;
    text += piece ?? "";
  }
  const raw = createTRPCClient<AppRouter>({ links: [httpLink({ url: "http://127.0.0.1:8680/trpc", transformer: superjson })] });
  const models: RouterOutputs["models"]["list"] = await raw.models.list.query();
  raw.chat.generate.subscribe(request, { onData: (event) => void (event.data satisfies ChatCompletionChunk[]) });
  // @ts-expect-error a typo in the raw tRPC client's input
  await raw.chat.completions.mutate({ model: "echo", prompt: "hi", max_token: 5 });
  const error = new InvalidRequestError("bad", { param: "model" });
  return [content, deployment, text, models.data[0]?.id, error.param, typo.model].join();
}
`,
    );
    expect(await typecheck(dir)).toEqual([]);
  });

  it("its flattened types equal the server's, procedure by procedure", async () => {
    const parity = path.join(dir, "parity");
    mkdirSync(parity, { recursive: true });
    const serverRouter = path.join(repo, "server", "doors", "trpc", "routers", "_app.js");
    writeFileSync(
      path.join(parity, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          lib: ["ES2023", "DOM"],
          types: [],
        },
        files: ["parity.ts"],
      }),
    );
    const paths = [
      "chat.completions",
      "chat.start",
      "chat.generate",
      "chat.stream",
      "chat.cancel",
      "models.list",
      "models.deployments",
      "keys.create",
      "keys.list",
      "keys.update",
      "keys.revoke",
      "usage.query",
    ];
    const index = (p: string) =>
      p
        .split(".")
        .map((k) => `[${JSON.stringify(k)}]`)
        .join("");
    writeFileSync(
      path.join(parity, "parity.ts"),
      `import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter as Server } from ${JSON.stringify(serverRouter)};
import type { RouterInputs, RouterOutputs } from "@languru/client";
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
// A subscription is compared by what it yields (tRPC types the iterator's next argument as any).
type Item<T> = T extends AsyncIterable<infer Y> ? { [K in keyof Y]: Y[K] } : T;
type In = inferRouterInputs<Server>;
type Out = inferRouterOutputs<Server>;
${paths.map((p, i) => `export const in${i}: Equal<In${index(p)}, RouterInputs${index(p)}> = true;\nexport const out${i}: Equal<Item<Out${index(p)}>, Item<RouterOutputs${index(p)}>> = true;`).join("\n")}
`,
    );
    expect(await typecheck(parity)).toEqual([]);
  });

  it("keeps error names when minified", async () => {
    const entry = path.join(dir, "minify-entry.js");
    writeFileSync(
      entry,
      `import { RateLimitError, NotFoundError, ConnectionError } from "@languru/client";\nconsole.log([new RateLimitError("a").name, new NotFoundError("b").name, new ConnectionError("c").name].join());\n`,
    );
    const out = path.join(dir, "minified.mjs");
    await build({ entryPoints: [entry], bundle: true, minify: true, format: "esm", platform: "node", outfile: out, absWorkingDir: dir, logLevel: "silent" });
    expect(readFileSync(out, "utf8")).not.toContain("class RateLimitError");
    const { stdout } = await run(process.execPath, [out]);
    expect(stdout.trim()).toBe("RateLimitError,NotFoundError,ConnectionError");
  });
});

describe("a Vite React app with @trpc/tanstack-react-query@11.22.1", () => {
  let dir = "";
  let log = "";
  beforeAll(async () => {
    ({ dir, log } = await app("react-app", {}, [
      tarball,
      "@trpc/client@11.22.1",
      "@trpc/server@11.22.1",
      "@trpc/tanstack-react-query@11.22.1",
      "@tanstack/react-query@5",
      "superjson@2",
      "react@19",
      "react-dom@19",
      "@types/react@19",
      "@types/react-dom@19",
    ]));
  }, INSTALL_MS);

  it("installs without ERESOLVE", () => {
    expect(log).not.toMatch(/ERESOLVE/);
    expect(installed(dir).get("@trpc/client")).toMatchObject({ version: "11.22.1" });
  });

  it("type-checks under Vite's strict template with full inference; with skipLibCheck off, the package's .d.ts are clean", async () => {
    mkdirSync(path.join(dir, "src"), { recursive: true });
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: viteStrict, include: ["src"] }));
    writeFileSync(path.join(dir, "tsconfig.libcheck.json"), JSON.stringify({ compilerOptions: { ...viteStrict, skipLibCheck: false }, include: ["src"] }));
    writeFileSync(
      path.join(dir, "src", "main.tsx"),
      `import { QueryClient, QueryClientProvider, useMutation, useQuery } from "@tanstack/react-query";
import { createTRPCClient, createWSClient, wsLink } from "@trpc/client";
import { createTRPCContext, useSubscription } from "@trpc/tanstack-react-query";
import type { AppRouter } from "@languru/client";
import { useState } from "react";
import { createRoot } from "react-dom/client";
import superjson from "superjson";

const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();
const queryClient = new QueryClient();
const trpcClient = createTRPCClient<AppRouter>({
  links: [wsLink({ client: createWSClient({ url: "ws://127.0.0.1:8680/trpc", connectionParams: { apiKey: "k" } }), transformer: superjson })],
});

function Chat() {
  const trpc = useTRPC();
  const models = useQuery(trpc.models.list.queryOptions());
  const [text, setText] = useState("");
  const reply = useSubscription(
    trpc.chat.generate.subscriptionOptions(
      { model: "echo", messages: [{ role: "user", content: "hi" }] },
      // As the README shows it: each event is a batch of chunks.
      { onData: ({ data }) => setText((t) => t + data.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")) },
    ),
  );
  const batch = reply.data?.data;
  const piece: string | null | undefined = batch?.[0]?.choices[0]?.delta.content;
  const complete = useMutation(trpc.chat.completions.mutationOptions());
  const whole: string | null | undefined = complete.data?.choices[0]?.message.content;
  // @ts-expect-error a misspelled field does not type-check
  useSubscription(trpc.chat.generate.subscriptionOptions({ model: "echo", prompt: "hi", temprature: 1 }));
  return (
    <p>
      {models.data?.data.map((m) => m.id).join()} {piece} {text} {whole}
    </p>
  );
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <Chat />
      </TRPCProvider>
    </QueryClientProvider>,
  );
}
`,
    );
    expect(await typecheck(dir)).toEqual([]);
    // tRPC 11.22.1's own declarations need Node's types and `Disposable` (its issue, not ours); none may come from this package or the app.
    const libErrors = await typecheck(dir, "tsconfig.libcheck.json");
    expect(libErrors.filter((line) => !line.startsWith("node_modules/@trpc/"))).toEqual([]);
  });

  it("builds with Vite, no server code in the bundle", async () => {
    writeFileSync(path.join(dir, "index.html"), `<!doctype html><div id="root"></div><script type="module" src="/src/main.tsx"></script>`);
    await run(process.execPath, [vite, "build", "--logLevel", "error"], { cwd: dir });
    const assets = path.join(dir, "dist", "assets");
    const js = readdirSync(assets)
      .filter((f) => f.endsWith(".js"))
      .map((f) => readFileSync(path.join(assets, f), "utf8"))
      .join("\n");
    expect(js.length).toBeGreaterThan(1000);
    expect(js).not.toMatch(/libsql|ioredis|node:http/);
  });
});

describe("the React entry", () => {
  it("is reserved in the package exports", () => {
    const manifest = JSON.parse(readFileSync(path.join(repo, "client", "package.json"), "utf8"));
    expect(manifest.exports["./react"]).toMatchObject({ types: "./dist/client/react/index.d.ts", import: "./dist/client/react/index.js" });
    expect(manifest.peerDependenciesMeta.react.optional).toBe(true);
    expect(manifest.peerDependencies["@trpc/client"]).toBe("^11.22.1");
  });
});
