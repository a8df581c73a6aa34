/**
 * `npm start` runs `languru serve` as npm's direct child, but npm relays only SIGINT and SIGTERM:
 * a SIGHUP sent to npm's pid kills npm and would leave the server running unnoticed, on the old
 * config. So when npm goes away under us, we take it as that SIGHUP: reload, and say what happened.
 * (A SIGHUP sent to the whole process group reaches the server directly, and is not doubled.)
 */
import { log } from "../server/log.js";

const POLL_MS = 500;
// A group-wide SIGHUP kills npm at the same moment; the server already reloaded for it.
const SAME_HANGUP_MS = 3_000;

/** Starts watching when this process was started by an npm script; does nothing otherwise. */
export function watchNpmParent(): void {
  if (!process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  let lastHangup = 0;
  process.on("SIGHUP", () => {
    lastHangup = Date.now();
  });
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    log.warn(
      { pid: process.pid, npmPid: parent },
      `npm (pid ${parent}) exited; this server keeps running as pid ${process.pid} (stop it with SIGTERM to that pid)`,
    );
    if (Date.now() - lastHangup > SAME_HANGUP_MS) process.kill(process.pid, "SIGHUP");
  }, POLL_MS);
  timer.unref();
}
