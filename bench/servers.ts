/** Forks the bench's server processes (`child.ts`) and talks to them over IPC. */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
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
  /** With keys on: an API key made for the bench. */
  key: string | null;
  /** Counters; `gc` runs a full collection first (gateways are forked with --expose-gc). */
  stats(gc?: boolean): Promise<ServerStats>;
  /** Asks it to exit and waits (bounded) until it did; kills it if it does not. */
  close(): Promise<void>;
  /** Kills it now (the runner is exiting). */
  kill(): void;
}

const childEntry = fileURLToPath(new URL("./child.ts", import.meta.url));

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
}

/** Forks one server process (inheriting tsx's loader flags) and resolves once it listens. */
export async function forkServer(options: ForkOptions): Promise<ServerProcess> {
  const args = options.upstream ? [options.role, options.upstream] : [options.role];
  const child = fork(childEntry, args, {
    execArgv: [...process.execArgv, ...(options.nodeFlags ?? [])],
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
    key: key ?? null,
    stats(gc = false) {
      const next = queue.then(async () => {
        const reply = nextMessage(child, "stats", 30_000);
        child.send({ type: "stats", gc });
        const { connections, cpuMs, systemMs, rssBytes, heapUsedBytes } = await reply;
        return { connections, cpuMs, systemMs, rssBytes, heapUsedBytes };
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
