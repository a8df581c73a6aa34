/**
 * `tsx bench/profile-summary.ts <file.cpuprofile> [--top=N] [--skip-ms=N] [--callers=fn]`: where a CPU profile (from
 * `BENCH_CPU_PROF=<dir> npm run bench`) spent its time, as self time by function and by file or
 * package, plus inclusive time for the project's own functions; with `--callers`, the heaviest call
 * stacks that lead to one function instead.
 */
import { readFileSync } from "node:fs";
import { fmt, table } from "./stats.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function isProfile(value: unknown): value is Profile {
  return typeof value === "object" && value !== null && "nodes" in value && "samples" in value && "timeDeltas" in value && Array.isArray(value.nodes);
}

/** `node_modules/<pkg>` for dependencies, the repository path for project files, else the URL. */
function ownerOf(url: string): string {
  if (url === "") return "(native / vm)";
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return `dep: ${dep[1]}`;
  if (url.startsWith("node:internal/deps/")) return `node: ${url.slice(5).split("/").slice(0, 3).join("/")}`;
  if (url.startsWith("node:")) return `node: ${url.slice(5).split("/").slice(0, 2).join("/")}`;
  const own = /\/(server|shared|client|bench)\/(.+)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith("--"));
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (!file) throw new Error("usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top=25] [--skip-ms=0] [--callers=<function>]");
  const top = Number(flag("top") ?? 25);
  // Startup (module loading, compiling) is not what the bench is about: skip the profile's first ms.
  const skipUs = Number(flag("skip-ms") ?? 0) * 1000;
  const callersOf = flag("callers");
  const raw: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (!isProfile(raw)) throw new Error(`${file} is not a V8 CPU profile`);

  const byId = new Map(raw.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of raw.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  let elapsedUs = 0;
  raw.samples.forEach((id, i) => {
    elapsedUs += raw.timeDeltas[i] ?? 0;
    if (elapsedUs >= skipUs) selfUs.set(id, (selfUs.get(id) ?? 0) + (raw.timeDeltas[i] ?? 0));
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  const inclusiveOwn = new Map<string, number>();
  const byCaller = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    add(byFunction, `${functionName || "(anonymous)"} ${ownerOf(url)}:${lineNumber + 1}`, us);
    add(byOwner, ownerOf(url), us);
    // Node internals and native work, charged to the first dependency or project frame that called it.
    let caller = "(no JS caller: idle, GC, native)";
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frameURL = byId.get(at)?.callFrame.url ?? "";
      if (frameURL !== "" && !frameURL.startsWith("node:")) {
        caller = ownerOf(frameURL);
        break;
      }
    }
    add(byCaller, caller, us);
    // Inclusive time of project frames: walk up once per distinct frame on the stack.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.url.includes("node_modules") || !/\/(server|shared)\//.test(frame.url)) continue;
      const key = `${frame.functionName || "(anonymous)"} ${ownerOf(frame.url)}:${frame.lineNumber + 1}`;
      if (!seen.has(key)) add(inclusiveOwn, key, us);
      seen.add(key);
    }
  }
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => [key, fmt(us / 1000, 0), fmt((100 * us) / total, 1)]);
  if (callersOf) {
    // The heaviest stacks (project and dependency frames, five deep) under one hot function.
    const stacks = new Map<string, number>();
    for (const [id, us] of selfUs) {
      if (byId.get(id)?.callFrame.functionName !== callersOf) continue;
      const frames: string[] = [];
      for (let at = parent.get(id); at !== undefined && frames.length < 5; at = parent.get(at)) {
        const frame = byId.get(at)?.callFrame;
        if (frame && frame.functionName !== "" && !frame.url.startsWith("node:"))
          frames.push(`${frame.functionName} ${ownerOf(frame.url)}:${frame.lineNumber + 1}`);
      }
      add(stacks, frames.join(" ← ") || "(no JS caller)", us);
    }
    console.log(`### Callers of ${callersOf}\n\n${table(["stack (innermost first)", "ms", "%"], rows(stacks))}\n`);
    return;
  }
  console.log(`${file}: ${fmt(total / 1000, 0)} ms sampled\n`);
  console.log(`### Self time by file or package\n\n${table(["where", "ms", "%"], rows(byOwner))}\n`);
  console.log(`### Time charged to the nearest dependency or project frame\n\n${table(["caller", "ms", "%"], rows(byCaller))}\n`);
  console.log(`### Self time by function\n\n${table(["function", "ms", "%"], rows(byFunction))}\n`);
  console.log(`### Inclusive time of project functions\n\n${table(["function", "ms", "%"], rows(inclusiveOwn))}`);
}

main();
