#!/usr/bin/env node
// The `languru` admin CLI. The project ships TypeScript and runs it through tsx, as `npm start` does.
import { register } from "tsx/esm/api";

register();
await import("../cli/languru.ts");
