/** Vite setup of the playground: `npm run build:playground` writes `playground/dist`, which the gateway serves at `/`. */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { gzipAssets } from "./gzip-assets.js";

// `vite --config playground/vite.config.ts` (dev server with hot reload) forwards API calls to a running gateway.
const gateway = process.env.LANGURU_URL ?? "http://127.0.0.1:8680";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react(), gzipAssets()],
  build: { outDir: "dist", emptyOutDir: true, assetsDir: "assets" },
  server: { proxy: { "/trpc": { target: gateway, ws: true }, "/v1": gateway } },
});
