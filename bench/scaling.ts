/**
 * `npx tsx bench/scaling.ts`: one gateway process against two, as far as this machine allows. Forks
 * the fake upstream and N compiled gateways (keys off, each on its own port, as N processes behind
 * a load balancer), drives them all at once with one wrk per gateway (the connections split
 * evenly), and prints the summed req/s and each process's CPU per request, for N = 1 and 2. The
 * upstream and wrk run on the same cores, so on a 2-core machine this shows the direction, not the
 * slope a 16-core machine would show.
 *
 * SCALING_SECONDS (5), SCALING_CONNECTIONS (32), SCALING_ROUNDS (2); SCALING_ROW=whole|burst64.
 */
import os from "node:os";
import { forkServer, type ServerProcess } from "./servers.js";
import { fmt, table } from "./stats.js";
import { BURST_MODEL } from "./upstream.js";
import { REQUEST } from "./workloads.js";
import { ensureWrk, runWrk } from "./wrk.js";

const seconds = Number(process.env.SCALING_SECONDS ?? 5);
const connections = Number(process.env.SCALING_CONNECTIONS ?? 32);
const rounds = Number(process.env.SCALING_ROUNDS ?? 2);
const burst = process.env.SCALING_ROW === "burst64";
const body = JSON.stringify(burst ? { ...REQUEST, model: BURST_MODEL, max_tokens: 64, stream: true } : REQUEST);

async function main(): Promise<void> {
  const wrk = ensureWrk((m) => process.stderr.write(`scaling: ${m}\n`));
  if (!wrk) throw new Error("this needs wrk");
  const upstream = await forkServer({ role: "upstream" });
  const gateways: ServerProcess[] = await Promise.all([1, 2].map(() => forkServer({ role: "gateway", upstream: upstream.url })));
  const rows: string[][] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const n of [1, 2]) {
        const used = gateways.slice(0, n);
        const before = await Promise.all(used.map((g) => g.stats()));
        const results = await Promise.all(
          used.map((g) =>
            runWrk({
              wrk,
              request: { url: new URL("/v1/chat/completions", g.url).toString(), body },
              connections: Math.max(1, Math.round(connections / n)),
              seconds,
              timeoutMs: 10_000,
            }),
          ),
        );
        const after = await Promise.all(used.map((g) => g.stats()));
        const rps = results.reduce((sum, r) => sum + r.completed / (r.elapsedMs / 1000), 0);
        const cpuPerReq = used.map((_, i) => (((after[i]?.cpuMs ?? 0) - (before[i]?.cpuMs ?? 0)) * 1000) / (results[i]?.completed || 1));
        const errors = results.reduce((sum, r) => sum + r.errors, 0);
        rows.push([String(round), String(n), fmt(rps, 0), cpuPerReq.map((c) => fmt(c, 0)).join(" / "), String(errors)]);
      }
    }
  } finally {
    await Promise.all([upstream, ...gateways].map((s) => s.close()));
  }
  console.log(
    `${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; REST ${burst ? "stream, 64 frames in one write" : "whole"}, ${connections} connections split over the gateways, ${seconds} s per run\n`,
  );
  console.log(table(["round", "gateways", "req/s (sum)", "gateway CPU µs/req", "errors"], rows));
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
