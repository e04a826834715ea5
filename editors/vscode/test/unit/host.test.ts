import { test } from "node:test";
import assert from "node:assert/strict";
import { discoverServer, type DiscoveryEnv } from "../../src/discovery";
import { CrashPolicy } from "../../src/crash";
import { nodeAtCursor, revealRange } from "../../src/preview/cursor";
import { chooseDetail } from "../../src/preview/detail";
import { LatencyLog } from "../../src/preview/latency";
import { cliArgs, shellQuote } from "../../src/cli-args";
import type { GraphModel } from "../../src/protocol";

function env(executables: string[], over: Partial<DiscoveryEnv> = {}): DiscoveryEnv {
  return {
    setting: undefined,
    extensionPath: "/ext",
    workspaceFolder: "/work/project",
    homeDir: "/home/ada",
    pathVar: "/usr/local/bin:/usr/bin",
    platform: "linux",
    isExecutable: (f) => executables.includes(f),
    ...over,
  };
}

test("discovery: the setting wins over the bundled binary and PATH", () => {
  const found = discoverServer(env(["/opt/mlforge", "/ext/server/mlforge", "/usr/bin/mlforge"], { setting: "/opt/mlforge" }));
  assert.deepEqual(found, { ok: true, command: "/opt/mlforge", source: "setting" });
});

test("discovery: the setting expands ~ and ${workspaceFolder}, and relative paths", () => {
  assert.equal((discoverServer(env(["/home/ada/bin/mlforge"], { setting: "~/bin/mlforge" })) as any).command, "/home/ada/bin/mlforge");
  assert.equal(
    (discoverServer(env(["/work/project/target/release/mlforge"], { setting: "${workspaceFolder}/target/release/mlforge" })) as any).command,
    "/work/project/target/release/mlforge",
  );
  assert.equal((discoverServer(env(["/work/project/bin/mlforge"], { setting: "bin/mlforge" })) as any).command, "/work/project/bin/mlforge");
});

test("discovery: a bare name in the setting is looked up on PATH", () => {
  const found = discoverServer(env(["/usr/bin/mlforge-nightly"], { setting: "mlforge-nightly" }));
  assert.deepEqual(found, { ok: true, command: "/usr/bin/mlforge-nightly", source: "setting" });
});

test("discovery: a wrong setting is an error naming the setting, not a silent fallback", () => {
  const found = discoverServer(env(["/ext/server/mlforge"], { setting: "/nope/mlforge" }));
  assert.equal(found.ok, false);
  assert.match((found as any).message, /mlforge\.server\.path/);
  assert.match((found as any).message, /\/nope\/mlforge/);
});

test("discovery: bundled before PATH, PATH in order, then one message with the fix", () => {
  assert.deepEqual(discoverServer(env(["/ext/server/mlforge", "/usr/bin/mlforge"])), { ok: true, command: "/ext/server/mlforge", source: "bundled" });
  assert.deepEqual(discoverServer(env(["/usr/local/bin/mlforge", "/usr/bin/mlforge"])), { ok: true, command: "/usr/local/bin/mlforge", source: "PATH" });
  const none = discoverServer(env([]));
  assert.equal(none.ok, false);
  assert.match((none as any).message, /cargo install --locked --path crates\/cli/);
  assert.match((none as any).message, /mlforge\.server\.path/);
});

test("discovery: windows binary name and separator", () => {
  const found = discoverServer(env(["C:\\tools/mlforge.exe"], { platform: "win32", pathVar: "C:\\tools;D:\\x" }));
  assert.equal(found.ok, true);
});

test("crash policy: restarts up to the limit within the window, then gives up; old crashes expire", () => {
  const policy = new CrashPolicy(2, 1000);
  assert.equal(policy.onCrash(0), "restart");
  assert.equal(policy.onCrash(10), "restart");
  assert.equal(policy.onCrash(20), "give-up");
  assert.equal(policy.onCrash(5000), "restart"); // the window moved on
  policy.reset();
  assert.equal(policy.recentCrashes, 0);
  assert.equal(new CrashPolicy(0).onCrash(0), "give-up");
});

const graph: GraphModel = {
  pipeline: "p",
  file: "/w/p.mlf",
  nodes: [
    { id: "data", kind: "step", label: "data", range: [3, 3, 3, 30, 40, 67], name_range: [3, 8, 3, 12, 45, 49] },
    { id: "fit", kind: "step", label: "fit", range: [5, 5, 7, 6, 90, 150], cluster: "for#1" },
    { id: "sub.x", kind: "step", label: "x", range: [5, 5, 5, 9, 90, 94], file: "/w/other.mlf" },
  ],
  edges: [],
  clusters: [],
};

test("cursor: the step whose range holds the cursor, boundaries included, other files ignored", () => {
  assert.equal(nodeAtCursor(graph, { line: 2, character: 2 }), "data"); // line 3, column 3
  assert.equal(nodeAtCursor(graph, { line: 2, character: 29 }), "data"); // the last column
  assert.equal(nodeAtCursor(graph, { line: 2, character: 30 }), null);
  assert.equal(nodeAtCursor(graph, { line: 5, character: 0 }), "fit"); // a middle line
  assert.equal(nodeAtCursor(graph, { line: 4, character: 4 }), "fit"); // not sub.x of another file
  assert.equal(nodeAtCursor(graph, { line: 0, character: 0 }), null);
});

test("reveal: the step's name when known, else its range; the file for inlined steps", () => {
  assert.deepEqual(revealRange(graph, "data"), { range: [3, 8, 3, 12, 45, 49], file: undefined });
  assert.deepEqual(revealRange(graph, "fit")?.range, [5, 5, 7, 6, 90, 150]);
  assert.equal(revealRange(graph, "sub.x")?.file, "/w/other.mlf");
  assert.equal(revealRange(graph, "missing"), null);
});

test("level of detail: automatic by size, the setting, the user's choice first", () => {
  const base = { setting: "auto" as const, chosen: null, totalNodes: 100, fullLimit: 400 };
  assert.equal(chooseDetail(base), "full");
  assert.equal(chooseDetail({ ...base, totalNodes: 401 }), "focus");
  assert.equal(chooseDetail({ ...base, totalNodes: 400 }), "full");
  assert.equal(chooseDetail({ ...base, totalNodes: null }), "focus");
  assert.equal(chooseDetail({ ...base, setting: "overview" }), "overview");
  assert.equal(chooseDetail({ ...base, setting: "overview", chosen: "full" }), "full");
});

test("latency: keystroke to picture, matched by version and sequence; older versions forgotten", () => {
  let now = 0;
  const log = new LatencyLog(() => now);
  log.edited(2);
  now = 5;
  log.edited(3);
  now = 40;
  log.sent(1, 3);
  now = 90;
  log.rendered(1, 30);
  assert.deepEqual(log.samples, [{ totalMs: 85, layoutMs: 30 }]);
  log.rendered(1, 30); // a repeated report counts once
  assert.equal(log.samples.length, 1);
  log.sent(2, 7); // a version nobody typed (e.g. opening) is not a sample
  log.rendered(2, 10);
  assert.equal(log.samples.length, 1);
});

test("lens commands become mlforge command lines, quoted for the shell", () => {
  assert.deepEqual(cliArgs("run", "/w/a.mlf", "p"), ["run", "/w/a.mlf", "--pipeline", "p"]);
  assert.deepEqual(cliArgs("plan", "/w/a.mlf", "p"), ["plan", "/w/a.mlf", "--pipeline", "p"]);
  assert.deepEqual(cliArgs("runStep", "/w/a.mlf", "p", "fit"), ["run", "/w/a.mlf", "--pipeline", "p", "--only", "fit"]);
  assert.deepEqual(cliArgs("runFrom", "/w/a.mlf", "p", "fit"), ["run", "/w/a.mlf", "--pipeline", "p", "--from", "fit"]);
  assert.equal(shellQuote("/w/a.mlf"), "/w/a.mlf");
  assert.equal(shellQuote("/w/my file's.mlf"), `'/w/my file'\\''s.mlf'`);
  assert.equal(shellQuote("$(rm -rf ~)"), `'$(rm -rf ~)'`);
});
