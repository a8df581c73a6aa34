/** A Vite plugin that writes a gzip copy beside each built text asset, which the gateway sends as it is. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Plugin } from "vite";

const compressible = /\.(js|css|svg|json|map)$/;

/** Writes `<asset>.gz` for every JS, CSS, SVG and JSON file of the bundle. */
export function gzipAssets(): Plugin {
  return {
    name: "languru-gzip-assets",
    apply: "build",
    writeBundle(options, bundle) {
      const dir = options.dir ?? "dist";
      for (const [fileName, output] of Object.entries(bundle)) {
        if (!compressible.test(fileName)) continue;
        const source = output.type === "chunk" ? output.code : output.source;
        writeFileSync(join(dir, `${fileName}.gz`), gzipSync(source, { level: 9 }));
      }
    },
  };
}
