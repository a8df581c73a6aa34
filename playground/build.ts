/**
 * `npm start` runs this first (`prestart`): it builds the playground when its sources are newer than
 * the last build, and only warns when Vite is not installed (a production install without dev
 * dependencies), so the gateway always starts. `--force` builds even when the build looks current.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const built = join(repo, "playground/dist/index.html");
const sources = ["playground/src", "playground/index.html", "playground/vite.config.ts", "client", "shared"].map((p) => join(repo, p));

/** The newest modification time under `path` (a file or a folder, recursively). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((max, name) => (name === "node_modules" || name === "dist" ? max : Math.max(max, newest(join(path, name)))), 0);
}

async function main(): Promise<void> {
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  if (!process.argv.includes("--force") && builtAt > Math.max(...sources.map(newest))) return;
  let vite: typeof import("vite");
  try {
    vite = await import("vite");
  } catch {
    console.warn("[playground] not built: Vite is not installed (dev dependencies). The gateway serves the API; `/` says how to build the page.");
    return;
  }
  await vite.build({ configFile: join(repo, "playground/vite.config.ts"), mode: "production", logLevel: "warn" });
  console.log("[playground] built into playground/dist");
}

main().catch((err: unknown) => {
  // A failed build must not keep the gateway from starting: the API works without the page.
  console.warn(`[playground] build failed: ${err instanceof Error ? err.message : String(err)}`);
});
