/**
 * The server, compiled: `cli/languru.ts` and `server/main.ts` bundled by esbuild into `dist/`
 * (one ES module each, every npm package left external), so that `languru serve` runs plain
 * JavaScript instead of compiling TypeScript through tsx's loader at startup and carrying its
 * transforms (`keepNames` wrappers) on every request. The bundles sit one folder below the
 * repository, as the sources do, so paths relative to `import.meta.url` (the playground's build,
 * `createRequire` for native packages) resolve the same.
 *
 * Incremental: `dist/<set>-inputs.json` lists every source a bundle was made of and when; a build is
 * current while none of them changed, which costs a few hundred `stat` calls (~2 ms). A build takes
 * ~0.2 s. Outputs are written to a temporary name and renamed, so processes building at the same
 * time (parallel tests) never read half a file.
 *
 *   node scripts/build-server.js           build when a source changed
 *   node scripts/build-server.js --force   build anyway
 *
 * The bench compiles its server processes (`bench/child.ts`) the same way, as its own set.
 */
// @ts-check
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = join(root, "dist");

/**
 * What is compiled, by set: the CLI (`languru serve`) and the server alone (`server/main.ts`); and
 * the bench's server processes, which only a checkout with the bench has.
 * @type {Record<string, Record<string, string>>}
 */
export const SETS = {
  server: { languru: "cli/languru.ts", main: "server/main.ts" },
  bench: { "bench-child": "bench/child.ts" },
};

/**
 * @typedef {{ builtAt: number, inputs: string[] }} Manifest
 */

/** @param {string} set */
const manifestPath = (set) => join(outdir, `${set}-inputs.json`);

/** @param {string} set @returns {Record<string, string>} */
function entriesOf(set) {
  const entries = SETS[set];
  if (!entries) throw new Error(`unknown build set '${set}'`);
  return entries;
}

/** @param {string} set @returns {Manifest | null} */
function readManifest(set) {
  try {
    const parsed = JSON.parse(readFileSync(manifestPath(set), "utf8"));
    return typeof parsed?.builtAt === "number" && Array.isArray(parsed.inputs) ? parsed : null;
  } catch {
    return null;
  }
}

/** True when every bundle of `set` exists and no source it was made of changed since. */
export function isCurrent(set = "server") {
  const manifest = readManifest(set);
  if (!manifest) return false;
  for (const name of Object.keys(entriesOf(set))) if (!existsSync(join(outdir, `${name}.js`))) return false;
  for (const input of manifest.inputs) {
    try {
      if (statSync(join(root, input)).mtimeMs > manifest.builtAt) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Builds the bundles of `set`; throws when esbuild is not installed (a production install) or a source does not compile. */
export async function build(set = "server") {
  // Taken before reading the sources: a file saved during the build makes the next check rebuild.
  const builtAt = Date.now();
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(entriesOf(set)).map(([name, file]) => [name, join(root, file)])),
    outdir,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    // Stack traces point into the sources with `node --enable-source-maps` (off by default: it makes every stack capture dearer).
    sourcemap: "linked",
    metafile: true,
    write: false,
    logLevel: "silent",
    absWorkingDir: root,
  });
  mkdirSync(outdir, { recursive: true });
  for (const file of result.outputFiles) writeAtomically(file.path, file.contents);
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith("node_modules/"));
  writeAtomically(manifestPath(set), `${JSON.stringify({ builtAt, inputs: [...inputs, "scripts/build-server.js"] }, null, 1)}\n`);
}

/** @param {string} path @param {string | Uint8Array} contents */
function writeAtomically(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

/**
 * The file URL of a current bundle, building it first when a source changed; null when it is stale
 * or missing and cannot be built here (no esbuild: the caller then runs the TypeScript through tsx).
 * @param {string} name an entry of `set`
 * @param {string} set
 */
export async function compiledEntry(name, set = "server") {
  if (!(name in entriesOf(set))) throw new Error(`no entry '${name}' in build set '${set}'`);
  const file = pathToFileURL(join(outdir, `${name}.js`)).href;
  if (isCurrent(set)) return file;
  try {
    await build(set);
    return file;
  } catch (err) {
    const missing = /** @type {{ code?: string }} */ (err).code === "ERR_MODULE_NOT_FOUND";
    if (!missing) throw err;
    return null;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  if (process.argv.includes("--force") || !isCurrent()) {
    await build();
    console.log(`[server] built into dist/ in ${Math.round(performance.now() - started)} ms`);
  }
}
