// Builds the graph preview's page into dist/webview/: main.js (the page), layout-worker.js
// (WebAssembly Graphviz, inlined by the package: nothing is fetched at run time) and
// style.css. `node webview/build.mjs [--minify]`, or `buildWebview()` from the extension's
// build.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
export const outDir = join(here, "../dist/webview");

/** `outDir`: elsewhere than dist/webview (tests build their own copy, so that test files
 * running at the same time never read a half-written bundle). */
export async function buildWebview({ minify = false, outDir: out = outDir } = {}) {
  const common = {
    bundle: true,
    platform: "browser",
    target: "chrome114",
    format: "iife",
    minify,
    sourcemap: minify ? false : "inline",
    logLevel: "warning",
    legalComments: "none",
  };
  await Promise.all([
    build({ ...common, entryPoints: [join(here, "src/main.ts")], outfile: join(out, "main.js") }),
    build({ ...common, entryPoints: [join(here, "src/layout-worker.ts")], outfile: join(out, "layout-worker.js"), sourcemap: false }),
    build({ ...common, entryPoints: [join(here, "src/style.css")], outfile: join(out, "style.css"), sourcemap: false }),
  ]);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWebview({ minify: process.argv.includes("--minify") });
}
