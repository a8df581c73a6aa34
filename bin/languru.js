#!/usr/bin/env node
// The `languru` CLI. `serve`, `check-config` and `models` load the server's TypeScript: tsx's
// loader is registered in this very process (no wrapper process), so `languru serve` is the
// server itself and the signals sent to it reach it. The admin commands (`keys`, `usage`) are
// plain JavaScript and skip the loader, which alone costs ~0.3 s of CPU per call.
const SERVER_COMMANDS = new Set(["serve", "check-config", "models"]);

if (SERVER_COMMANDS.has(process.argv[2] ?? "")) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../cli/languru.ts");
} else {
  await import("../cli/admin.js");
}
