// Builds the extension: the host bundle (dist/extension.js), the TextMate grammar copied
// from grammar/ (its one source), and the webview (webview/build.mjs).
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = dirname(fileURLToPath(import.meta.url));
const minify = process.argv.includes("--minify");

mkdirSync(join(root, "dist/syntaxes"), { recursive: true });
copyFileSync(join(root, "../../grammar/mlforge.tmLanguage.json"), join(root, "dist/syntaxes/mlforge.tmLanguage.json"));

await build({
  entryPoints: [join(root, "src/extension.ts")],
  outfile: join(root, "dist/extension.js"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["vscode"],
  sourcemap: !minify,
  minify,
  logLevel: "warning",
});

const { buildWebview } = await import("./webview/build.mjs");
await buildWebview({ minify });
