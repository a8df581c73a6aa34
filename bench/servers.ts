/**
 * Forks the bench's server processes (`child.ts`, compiled as `npm start` compiles the server, or
 * through tsx's loader with BENCH_LOADER=tsx to see what compiling buys) and talks to them over
 * IPC; their CPU time is read from `/proc`, so asking costs them nothing.
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compiledEntry } from "../scripts/build-server.js";
import { isChildMessage, type ChildMessage, type Role } from "./protocol.js";

/** Counters of one server process. */
export interface ServerStats {
  /** TCP connections accepted since start. */
  connections: number;
  /** User + system CPU time since start, in ms. */
  cpuMs: number;
  /** The system (kernel) part of it: sockets, syscalls. */
  systemMs: number;
  /** Resident set size in bytes (after a full GC when asked and allowed). */
  rssBytes: number;
  /** V8 heap in use, bytes (after the same GC): what RSS holds that is still reachable. */
  heapUsedBytes: number;
}

/** A running server process. */
export interface ServerProcess {
  role: Role;
  url: string;
  pid: number;
  /** With keys on: an API key made for the bench. */
  key: string | null;
  /** Counters; `gc` runs a full collection first (gateways are forked with --expose-gc). */
  stats(gc?: boolean): Promise<ServerStats>;
  /** Asks it to exit and waits (bounded) until it did; kills it if it does not. */
  close(): Promise<void>;
  /** Kills it now (the runner is exiting). */
  kill(): void;
}

const childSource = fileURLToPath(new URL("./child.ts", import.meta.url));

/** How the server processes run: `compiled` (the default, as shipped) or `tsx` (the TypeScript through tsx's loader). */
export type Loader = "compiled" | "tsx";

/** The entry to fork and the node flags it needs, for `loader`. */
async function childEntry(loader: Loader): Promise<{ entry: string; execArgv: string[] }> {
  if (loader === "tsx") return { entry: childSource, execArgv: ["--import", "tsx"] };
  const compiled = await compiledEntry("bench-child", "bench");
  if (!compiled) throw new Error("cannot compile bench/child.ts: esbuild is not installed");
  return { entry: fileURLToPath(compiled), execArgv: [] };
}

let ticksPerSecond: number | null = null;

/**
 * CPU time of a process from `/proc/<pid>/stat`, in ms: user + system, the system part, and that of
 * its children that exited (wrk's runs, for the runner itself); null where there is no /proc.
 */
export function procCpuMs(pid: number | "self"): { cpuMs: number; systemMs: number; childrenMs: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  const ms = (ticks: number) => (ticks * 1000) / (ticksPerSecond ?? 100);
  // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis
  // (so field 14, utime, is index 11; then stime, cutime, cstime).
  const [user, system, childrenUser, childrenSystem] = stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .slice(11, 15)
    .map(Number) as [number, number, number, number];
  return { cpuMs: ms(user + system), systemMs: ms(system), childrenMs: ms(childrenUser + childrenSystem) };
}

/** Waits for the next message of `type` from `child`, or rejects after `timeoutMs`. */
function nextMessage<T extends ChildMessage["type"]>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${type} message not received within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown) => {
      if (isChildMessage(message) && message.type === type) finish(null, message as Extract<ChildMessage, { type: T }>);
    };
    const onExit = (code: number | null) => finish(new Error(`server exited with code ${code ?? "null"} before sending ${type}`));
    const finish = (err: Error | null, message?: Extract<ChildMessage, { type: T }>) => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (err || !message) reject(err ?? new Error("no message"));
      else resolve(message);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

/** Options of `forkServer`. */
export interface ForkOptions {
  role: Role;
  upstream?: string;
  /** Extra node flags for this process (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Compiled (default) or through tsx. */
  loader?: Loader;
}

/** Forks one server process and resolves once it listens. */
export async function forkServer(options: ForkOptions): Promise<ServerProcess> {
  const args = options.upstream ? [options.role, options.upstream] : [options.role];
  const { entry, execArgv } = await childEntry(options.loader ?? "compiled");
  const child = fork(entry, args, {
    execArgv: [...execArgv, ...(options.nodeFlags ?? [])],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const { url, key } = await nextMessage(child, "ready", 30_000);
  // One stats request at a time: replies carry no id.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    role: options.role,
    url,
    pid: child.pid ?? 0,
    key: key ?? null,
    stats(gc = false) {
      const next = queue.then(async () => {
        const reply = nextMessage(child, "stats", 30_000);
        child.send({ type: "stats", gc });
        const { connections, cpuMs, systemMs, rssBytes, heapUsedBytes } = await reply;
        // /proc's counters, read after the reply: the same clock before and after a phase.
        const proc = child.pid ? procCpuMs(child.pid) : null;
        return { connections, rssBytes, heapUsedBytes, cpuMs: proc?.cpuMs ?? cpuMs, systemMs: proc?.systemMs ?? systemMs };
      });
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: "close" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
