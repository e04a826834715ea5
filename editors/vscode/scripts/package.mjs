// `npm run package`: the platform .vsix for linux-x64, carrying the stripped release
// `mlforge` binary (as rust-analyzer ships its server), built offline with @vscode/vsce.
//   MLFORGE_SERVER_BIN=/path/to/mlforge  ship that binary instead of building one
//   --out FILE                           where to write the .vsix
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(root, "../..");
const outArg = process.argv.indexOf("--out");
const out = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(root, "mlforge-linux-x64.vsix");

execFileSync(process.execPath, [join(root, "esbuild.mjs"), "--minify"], { stdio: "inherit" });

let binary = process.env.MLFORGE_SERVER_BIN;
if (!binary) {
  console.log("building the release binary (cargo build --release -p mlforge)");
  execFileSync("cargo", ["build", "--release", "--locked", "-p", "mlforge"], { cwd: repo, stdio: "inherit" });
  const targetDir = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, "target");
  binary = join(targetDir, "release", "mlforge");
}
if (!existsSync(binary)) {
  console.error(`There is no mlforge binary at ${binary}; build it with \`cargo build --release -p mlforge\` or set MLFORGE_SERVER_BIN.`);
  process.exit(2);
}
rmSync(join(root, "server"), { recursive: true, force: true });
mkdirSync(join(root, "server"));
copyFileSync(binary, join(root, "server", "mlforge"));
chmodSync(join(root, "server", "mlforge"), 0o755);
console.log(`shipping ${binary} (${(statSync(binary).size / 1e6).toFixed(1)} MB)`);

const vsce = join(root, "node_modules", "@vscode", "vsce", "vsce");
execFileSync(process.execPath, [vsce, "package", "--target", "linux-x64", "--no-dependencies", "--out", out], {
  cwd: root,
  stdio: "inherit",
});
console.log(`wrote ${out} (${(statSync(out).size / 1e6).toFixed(1)} MB)`);
