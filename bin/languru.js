#!/usr/bin/env node
// The `languru` CLI (`serve`, `check-config`, `models`, and the admin commands). The project ships
// TypeScript: tsx's loader is registered in this very process (no wrapper process), so `languru
// serve` is the server itself and the signals sent to it reach it.
import { register } from "tsx/esm/api";

register();
await import("../cli/languru.ts");
