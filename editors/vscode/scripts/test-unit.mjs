// Bundles every test/unit/**/*.test.ts with esbuild (Node 20 cannot run TypeScript) into
// out-test/, then runs them with node --test. `vscode` is not available outside the editor,
// so unit tests only cover modules that do not import it.
import { build } from "esbuild";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const found = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".test.ts")) found.push(path);
  }
})(join(root, "test/unit"));

rmSync(join(root, "out-test"), { recursive: true, force: true });
await build({
  entryPoints: found,
  outdir: join(root, "out-test"),
  outbase: join(root, "test/unit"),
  bundle: true,
  platform: "node",
  format: "esm",
  outExtension: { ".js": ".mjs" },
  external: ["vscode"],
  logLevel: "warning",
});
const outs = found.map((f) => join(root, "out-test", f.slice(join(root, "test/unit").length).replace(/\.ts$/, ".mjs")));
const run = spawnSync(process.execPath, ["--test", ...outs], { stdio: "inherit" });
process.exit(run.status ?? 1);
