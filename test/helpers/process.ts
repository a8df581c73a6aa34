/** Runs the server as `npm start` does (compiled, `dist/main.js`), in a child process, for tests of the real entry point. */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { compiledEntry } from "../../scripts/build-server.js";

/** A started server process and what it logged. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  startup: Record<string, unknown>;
  /** Every JSON log line so far. */
  lines: Array<Record<string, unknown>>;
  stderr: string[];
}

const running = new Set<ChildProcess>();

/** Starts the server on a free port and waits for its startup line. */
export async function startProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  // Built when a source changed since the last build (a few ms to check, ~0.2 s to build).
  const entry = await compiledEntry("main");
  if (!entry) throw new Error("the server cannot be compiled here: esbuild is not installed");
  const child = spawn(process.execPath, [fileURLToPath(entry)], {
    env: { ...process.env, PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  child.stderr!.on("data", (d: Buffer) => stderr.push(d.toString()));
  const reader = createInterface({ input: child.stdout! });
  const startup = await new Promise<Record<string, unknown>>((resolve, reject) => {
    reader.on("line", (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (typeof entry.url === "string") resolve(entry);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${stderr.join("")}`)));
  });
  return { child, url: startup.url as string, startup, lines, stderr };
}

/** Kills every process started here (call it in `afterEach`). */
export function killProcesses(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}
