#!/usr/bin/env node
// The `languru` CLI. `serve`, `check-config` and `models` run the server's code compiled
// (dist/, built by scripts/build-server.js when a source changed, ~0.2 s; `npm start` builds it
// first), in this very process (no wrapper process), so `languru serve` is the server itself and
// the signals sent to it reach it. Without esbuild (a production install) and no current build,
// the TypeScript runs through tsx's loader instead. The admin commands (`keys`, `usage`) are plain
// JavaScript and load neither.
const SERVER_COMMANDS = new Set(["serve", "check-config", "models"]);

if (SERVER_COMMANDS.has(process.argv[2] ?? "")) {
  const { compiledEntry } = await import("../scripts/build-server.js");
  const compiled = await compiledEntry("languru");
  if (compiled) await import(compiled);
  else {
    const { register } = await import("tsx/esm/api");
    register();
    await import("../cli/languru.ts");
  }
} else {
  await import("../cli/admin.js");
}
