// Benchmark (not a test): from the last keystroke in real VS Code (code-server) to the
// updated picture in the graph preview, on the quickstart, a 300-step and a 5,000-step
// pipeline (the last in the focus view). Three kinds of keystroke, each timed until the
// preview's page shows its effect:
//   break  a letter appended to a step's op name (the step is marked broken, in place)
//   mend   the Backspace that removes it (the mark goes)
//   add    a whole new step line inserted at once, as a paste (a node appears: a new layout)
//   node bench/keystroke.mjs [--samples N]   (MLFORGE_VSIX: the package to test, as for test:e2e)
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "../test/e2e/codeserver.mjs";
import { focusEditor, gotoLine, openFile, previewFrame, runCommand, waitFor } from "../test/e2e/workbench.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(root, "../..");
const samplesArg = process.argv.indexOf("--samples");
const SAMPLES = samplesArg > 0 ? Number(process.argv[samplesArg + 1]) : 20;
const vsix = resolve(process.env.MLFORGE_VSIX ?? join(root, "mlforge-linux-x64.vsix"));

const folder = mkdtempSync(join(tmpdir(), "mlforge-bench-"));
cpSync(join(repo, "examples", "quickstart.mlf"), join(folder, "quickstart.mlf"));
for (const size of [300, 5000]) {
  execFileSync("cargo", ["run", "--release", "-q", "-p", "mlforge-synth", "--", String(size), join(folder, `s${size}`)], { cwd: repo, stdio: "inherit" });
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function isBroken(frame, id) {
  const cls = await frame.locator(`svg g.node.step[data-id="${id}"]`).getAttribute("class", { timeout: 1000 }).catch(() => "");
  return (cls ?? "").split(" ").includes("broken");
}

async function hasNode(frame, id) {
  return (await frame.locator(`svg g.node.step[data-id="${id}"]`).count()) > 0;
}

async function timed(what, action, done) {
  const start = Date.now();
  await action();
  await waitFor(done, { timeout: 30_000, interval: 2, what });
  return Date.now() - start;
}

/** `file` relative to the workspace; `step` a step whose line is `step NAME = OP(...)`. */
async function measure(page, { file, step, label, newStep }) {
  const text = readFileSync(join(folder, file), "utf8").split("\n");
  const line = text.findIndex((l) => l.trimStart().startsWith(`step ${step} `)) + 1;
  const paren = text[line - 1].indexOf("(") + 1; // 1-based column of "("
  await openFile(page, file.split("/").pop(), join(folder, file));
  await gotoLine(page, line, paren);
  await runCommand(page, "MLForge: Open Graph Preview");
  const frame = previewFrame(page);
  await waitFor(() => hasNode(frame, step), { timeout: 120_000, what: `the node ${step}` });
  await focusEditor(page);
  const times = { break: [], mend: [], add: [] };
  for (let i = 0; i < SAMPLES; i++) {
    await gotoLine(page, line, paren);
    times.break.push(await timed("the broken mark", () => page.keyboard.type("x"), () => isBroken(frame, step)));
    await page.waitForTimeout(300);
    times.mend.push(await timed("the mark to go", () => page.keyboard.press("Backspace"), async () => !(await isBroken(frame, step))));
    await page.waitForTimeout(300);
    // A new step right after this one; its last keystroke is timed.
    await gotoLine(page, line);
    const name = `bench_${i}`;
    await page.keyboard.press("Enter");
    await page.waitForTimeout(300);
    // One edit (as a paste is): a step that a half-typed line would already have drawn.
    times.add.push(await timed("the new step's node", () => page.keyboard.insertText(`step ${name} = ${newStep}`), () => hasNode(frame, name)));
    await page.waitForTimeout(300);
    await runCommand(page, "File: Revert File");
    await waitFor(async () => !(await hasNode(frame, name)), { timeout: 30_000, what: "the revert" });
  }
  const row = (xs) => `${percentile(xs, 50)} / ${percentile(xs, 95)}`;
  const result = `| ${label} | ${row(times.break)} | ${row(times.mend)} | ${row(times.add)} |`;
  console.log(result);
  await runCommand(page, "View: Close All Editors");
  return result;
}

mkdirSync(join(root, "test-output"), { recursive: true });
const session = await launch({ vsix, folder });
const rows = [];
try {
  rows.push(await measure(session.page, { file: "quickstart.mlf", step: "data", label: "quickstart (6 steps)", newStep: "make_data(rows: 5)" }));
  rows.push(await measure(session.page, { file: "s300/main.mlf", step: "s0_0", label: "300 steps", newStep: "ops.load(seed: 1, rows: 2)" }));
  rows.push(await measure(session.page, { file: "s5000/main.mlf", step: "s0_0", label: "5,000 steps (focus view)", newStep: "ops.load(seed: 1, rows: 2)" }));
} catch (error) {
  await session.page.screenshot({ path: join(root, "test-output", "bench-failure.png") }).catch(() => {});
  throw error;
} finally {
  await session.stop();
}
const table = ["| pipeline | break: median / p95 ms | mend | new step (new layout) |", "|---|---|---|---|", ...rows].join("\n");
console.log(`\n${table}\n(${SAMPLES} samples each)`);
mkdirSync(join(root, "test-output"), { recursive: true });
writeFileSync(join(root, "test-output", "keystroke.md"), `${table}\n`);
