/** Builds the playground the way `npm start` does (its `prestart` script), in a child process. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Runs `playground/build.ts --force`; resolves with its output once playground/dist is written.
 * The script only warns when the build fails (so that `npm start` still starts): here that warning
 * throws, or the tests would run on whatever an earlier build left in playground/dist.
 */
export async function buildPlayground(): Promise<string> {
  // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const { NODE_ENV: _ignored, ...env } = process.env;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "playground/build.ts", "--force"], { cwd: repo, env });
  if (!stdout.includes("[playground] built into playground/dist")) throw new Error(`the playground did not build:\n${stdout}${stderr}`);
  return stdout + stderr;
}
