// Benchmark (not a test): from the last keystroke in real VS Code (code-server) to the
// updated picture in the graph preview, on the quickstart, a 300-step and a 5,000-step
// pipeline (the last in the focus view). Each sample types one character that changes what
// the preview shows (a step's argument; every other sample adds a step, which needs a new
// layout) and waits until the preview's SVG shows it.
//   node bench/keystroke.mjs [--samples N]    (MLFORGE_VSIX as for test:e2e)
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "../test/e2e/codeserver.mjs";
import { focusEditor, gotoLineEnd, openFile, previewFrame, runCommand, waitFor } from "../test/e2e/workbench.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(root, "../..");
const samplesArg = process.argv.indexOf("--samples");
const SAMPLES = samplesArg > 0 ? Number(process.argv[samplesArg + 1]) : 20;

const vsix = process.env.MLFORGE_VSIX ?? join(root, "mlforge-linux-x64.vsix");
const folder = mkdtempSync(join(tmpdir(), "mlforge-bench-"));
cpSync(join(repo, "examples", "quickstart.mlf"), join(folder, "quickstart.mlf"));
for (const size of [300, 5000]) {
  execFileSync("cargo", ["run", "--release", "-q", "-p", "mlforge-synth", "--", String(size), join(folder, `s${size}`)], { cwd: repo, stdio: "inherit" });
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Steps' ids drawn now, and a digest of the labels, read inside the preview. */
async function picture(frame) {
  return frame.locator("#canvas").evaluate((c) => ({
    ids: Array.from(c.querySelectorAll("g.node.step")).map((g) => g.dataset.id),
    text: c.textContent,
  }));
}

async function measure(page, { file, line, label }) {
  await openFile(page, file);
  await focusEditor(page);
  await gotoLineEnd(page, line);
  await runCommand(page, "MLForge: Open Graph Preview");
  const frame = previewFrame(page);
  await frame.locator("svg g.node.step").first().waitFor({ timeout: 120_000 });
  await focusEditor(page);
  await gotoLineEnd(page, line);
  await page.waitForTimeout(1000);
  const times = { inPlace: [], relayout: [] };
  for (let i = 0; i < SAMPLES; i++) {
    const structural = i % 2 === 1;
    const before = await picture(frame);
    const name = `bench_${i}`;
    const t0 = Date.now();
    if (structural) {
      // A new line with a new step: the last keystroke is the closing parenthesis.
      await page.keyboard.press("Enter");
      await page.keyboard.insertText(`step ${name} = `);
      await page.keyboard.insertText(readFileSync(join(folder, file), "utf8").includes("make_data") ? "make_data(rows: 1" : "");
      const start = Date.now();
      await page.keyboard.type(")");
      await waitFor(async () => (await picture(frame)).ids.includes(name), { timeout: 30_000, interval: 5, what: "the new step" });
      times.relayout.push(Date.now() - start);
    } else {
      await page.keyboard.type("1");
      await waitFor(async () => (await picture(frame)).text !== before.text, { timeout: 30_000, interval: 5, what: "a changed label" });
      times.inPlace.push(Date.now() - t0);
    }
    await page.waitForTimeout(400);
  }
  await runCommand(page, "File: Revert File");
  const row = (xs) => (xs.length ? `${percentile(xs, 50)} ms median, ${percentile(xs, 95)} ms p95 (${xs.length})` : "—");
  console.log(`${label}: label edit ${row(times.inPlace)}; new step ${row(times.relayout)}`);
  return times;
}

const session = await launch({ vsix, folder });
try {
  await measure(session.page, { file: "quickstart.mlf", line: 75, label: "quickstart (6 steps)" });
  await measure(session.page, { file: "main.mlf", line: 20, label: "300 steps" });
  await measure(session.page, { file: "main.mlf", line: 20, label: "5,000 steps (focus view)" });
} finally {
  await session.stop();
}
