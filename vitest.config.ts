import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "server/**/*.test.ts", "client/**/*.test.ts", "shared/**/*.test.ts"],
    env: { LOG_LEVEL: "silent" },
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
