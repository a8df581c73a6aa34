/**
 * Builds the package into `dist/`: tsc compiles the client (and the shared error classes it
 * throws) to ESM with declarations; `types.d.ts` is then replaced by the flattened public types,
 * and everything the program compiled only to resolve those types (server, zod schemas) is removed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(clientDir, "dist");
const run = (command: string, args: string[]) => execFileSync(command, args, { cwd: clientDir, stdio: "inherit" });

rmSync(dist, { recursive: true, force: true });
run(process.execPath, [path.join(clientDir, "..", "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"]);
run(process.execPath, ["--import", "tsx", path.join(clientDir, "scripts", "flatten-types.ts"), path.join(dist, "client", "types.d.ts")]);

// Keep dist/client and the one shared module the client runs (its error classes).
for (const entry of readdirSync(dist)) if (entry !== "client" && entry !== "shared") rmSync(path.join(dist, entry), { recursive: true });
for (const entry of readdirSync(path.join(dist, "shared"))) {
  if (entry !== "errors.js" && entry !== "errors.d.ts") rmSync(path.join(dist, "shared", entry), { recursive: true });
}
rmSync(path.join(dist, "client", "scripts"), { recursive: true, force: true });
if (!existsSync(path.join(dist, "client", "index.js"))) throw new Error("build produced no dist/client/index.js");
