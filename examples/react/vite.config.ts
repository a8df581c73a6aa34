/** Vite setup of the example: `vite` serves it with /trpc forwarded to a gateway on 127.0.0.1:8680. */
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  server: { proxy: { "/trpc": { target: process.env.LANGURU_URL ?? "http://127.0.0.1:8680", ws: true } } },
});
