// End to end in real VS Code (code-server) with the packaged .vsix installed: the language,
// the server and the live graph preview, as a user meets them. Screenshots go to
// test-output/e2e/. Later features extend this file with their own tests on the same session.
//   MLFORGE_VSIX=path   test that package instead of running `npm run package`
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./codeserver.mjs";
import { cursorLine, focusEditor, gotoLine, gotoLineEnd, openFile, previewFrame, problemCounts, runCommand, screenshotter, waitFor } from "./workbench.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const repo = resolve(root, "../..");
const outputDir = join(root, "test-output", "e2e");
// The long step of slow.mlf sleeps for this odd number of seconds, so its process can be found.
const NAP_SECONDS = 517;
const SLOW_MLF = `op nap_op() -> (done: File) {
  shell """
    sleep ${NAP_SECONDS}
    touch \${done}
  """
}

pipeline slow() {
  step nap = nap_op()
}
`;

function napping() {
  try {
    execFileSync("pgrep", ["-f", `sleep ${NAP_SECONDS}`], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

function node(frame, id) {
  return frame.locator(`svg g.node.step[data-id="${id}"]`);
}

function stepIds(frame) {
  return frame.locator("svg g.node.step").evaluateAll((gs) => gs.map((g) => g.dataset.id));
}

const QUICKSTART_STEPS = ["data", "parts", "fitted", "check", "best", "release"];

// Graph editing: the quickstart's ops beside an empty pipeline, and the quickstart without
// its last three steps (pick the best model, the condition, publish), to build them again
// on the graph.
const QUICKSTART = readFileSync(join(repo, "examples", "quickstart.mlf"), "utf8");
const GROW_MLF = `${QUICKSTART.slice(0, QUICKSTART.indexOf("pipeline quickstart"))}pipeline grow() {}\n`;
const BUILD_MLF = `${QUICKSTART.slice(0, QUICKSTART.indexOf("  step best")).replace("pipeline quickstart(", "pipeline build(")}}\n`;

// The op library: a program calling the first op of std/io (as the binary embeds it), to go
// to its definition.
const STD_IO = readFileSync(join(repo, "crates", "stdlib", "std", "io.mlf"), "utf8").split("\n");
const STD_OP_LINE = STD_IO.findIndex((l) => /^op \w+\s*\(/.test(l)) + 1;
const STD_OP = /^op (\w+)/.exec(STD_IO[STD_OP_LINE - 1])[1];
const USES_STD_MLF = `import "std/io"\n\npipeline uses_std() {\n  step s = io.${STD_OP}()\n}\n`;

const centre = (box) => ({ x: box.x + box.width / 2, y: box.y + box.height / 2 });

/** Keys to a file's text editor (after gestures in the preview, its frame has the focus):
 * a click on the file's tab. */
async function focusText(page, name) {
  await page.locator(`.tab[data-resource-name="${name}"]`).first().click();
  await page.locator(`.tab.active[data-resource-name="${name}"]`).waitFor();
}

/** A drag with the mouse across the workbench (the preview's page is two iframes down;
 * boxes are in the workbench's coordinates). */
async function drag(page, from, to) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 10, from.y + 10, { steps: 3 });
  await page.mouse.move(to.x, to.y, { steps: 10 });
  await page.mouse.up();
}

const portDot = (frame, step, dir, name) => frame.locator(`svg g.node[data-id="${step}"] g[data-port="${name}"][data-dir="${dir}"] circle.dot`);

/** Drags an op from the palette to a point of the canvas (`at`: fractions of its size) and
 * returns the new step's id (the preview selects the step it added). */
async function dropOp(page, frame, op, at = { x: 0.85, y: 0.12 }) {
  const before = await stepIds(frame);
  // The stage: the canvas is hidden while the pipeline is empty (a message stands there).
  const canvas = await frame.locator("#stage").boundingBox();
  await frame.locator("#op-search").fill(op);
  const item = await frame.locator(`#ops li[data-op="${op}"]`).boundingBox();
  await drag(page, centre(item), { x: canvas.x + canvas.width * at.x, y: canvas.y + canvas.height * at.y });
  return waitFor(async () => {
    const added = (await stepIds(frame)).filter((id) => !before.includes(id));
    const selected = await frame.locator("svg g.node.step.selected").first().getAttribute("data-id", { timeout: 500 }).catch(() => null);
    return added.length === 1 && selected === added[0] ? added[0] : null;
  }, { timeout: 30_000, what: `a new step calling ${op}` });
}

/** Drags from an output port to an input port and waits for the input to be given. */
async function connect(page, frame, [fromStep, output], [toStep, input]) {
  const target = portDot(frame, toStep, "in", input);
  await drag(page, centre(await portDot(frame, fromStep, "out", output).boundingBox()), centre(await target.boundingBox()));
  await waitFor(async () => (await target.locator("..").getAttribute("class"))?.includes("given"), { timeout: 30_000, what: `${toStep}.${input} connected` });
}

describe("the extension in code-server", { timeout: 600_000 }, () => {
  let session;
  let page;
  let shot;
  let workFolder;

  before(async () => {
    let vsix = process.env.MLFORGE_VSIX;
    if (!vsix) {
      vsix = join(root, "mlforge-linux-x64.vsix");
      execFileSync("npm", ["run", "package", "--", "--out", vsix], { cwd: root, stdio: "inherit" });
    }
    assert.ok(existsSync(vsix), `no .vsix at ${vsix}`);
    const folder = mkdtempSync(join(tmpdir(), "mlforge-e2e-work-"));
    cpSync(join(repo, "examples"), folder, { recursive: true });
    writeFileSync(join(folder, "slow.mlf"), SLOW_MLF);
    writeFileSync(join(folder, "grow.mlf"), GROW_MLF);
    writeFileSync(join(folder, "build.mlf"), BUILD_MLF);
    writeFileSync(join(folder, "uses_std.mlf"), USES_STD_MLF);
    // A repository, so that the graph can be compared with HEAD.
    const git = (...args) => execFileSync("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", ...args], { cwd: folder, stdio: "pipe" });
    git("init", "-q");
    writeFileSync(join(folder, ".gitignore"), ".mlforge/\n");
    git("add", ".");
    git("commit", "-q", "-m", "examples");
    session = await launch({ vsix: resolve(vsix), folder, outputDir });
    workFolder = folder;
    page = session.page;
    shot = screenshotter(page, outputDir);
  });

  afterEach(async (t) => {
    // A failing step leaves a picture of the workbench as it was.
    if (shot && t.passed === false) await shot(`failed-${t.name.replace(/[^a-z0-9]+/gi, "-")}`).catch(() => {});
  });

  after(async () => {
    await session?.stop();
  });

  test("opening the quickstart starts the bundled server: code lenses, no problems", async () => {
    await openFile(page, "quickstart.mlf");
    // The server's "▶ Run" lens shows it answered.
    // (Lenses off screen are in the page but hidden.)
    await page.locator(".codelens-decoration", { hasText: "Run" }).first().waitFor({ state: "attached", timeout: 60_000 });
    const counts = await waitFor(async () => {
      const c = await problemCounts(page);
      return c.errors === 0 && c.warnings === 0 ? c : null;
    }, { what: "no problems" });
    assert.equal(counts.errors, 0);
    await shot("01-quickstart-open");
  });

  test("typing an error shows a squiggle, and undoing it clears it", async () => {
    await gotoLineEnd(page, 83);
    await page.keyboard.press("Enter");
    await page.keyboard.type("step broken = no_such_op(x: 1");
    await page.locator(".squiggly-error").first().waitFor({ timeout: 20_000 });
    const counts = await problemCounts(page);
    assert.ok(counts.errors >= 1, `expected an error, the status bar says ${counts.label}`);
    await shot("02-error-squiggle");
    await runCommand(page, "File: Revert File");
    await waitFor(async () => (await page.locator(".squiggly-error").count()) === 0, { what: "the squiggle to go" });
  });

  test("completion after `parts.` offers the split's outputs", async () => {
    await focusEditor(page);
    await gotoLineEnd(page, 83);
    await page.keyboard.press("Enter");
    await page.keyboard.type("step extra = score(model: best.model, data: parts.");
    const widget = page.locator(".suggest-widget.visible");
    await widget.waitFor({ timeout: 20_000 });
    await waitFor(async () => {
      const text = await widget.innerText();
      return text.includes("train") && text.includes("test");
    }, { what: "train and test in the completion list" });
    await shot("03-completion");
    await page.keyboard.press("Escape");
    await runCommand(page, "File: Revert File");
  });

  test("the graph preview draws every step beside the editor", async () => {
    await focusEditor(page);
    await gotoLineEnd(page, 83);
    await runCommand(page, "MLForge: Open Graph Preview");
    const frame = previewFrame(page);
    await frame.locator("svg g.node.step").first().waitFor({ timeout: 60_000 });
    const ids = await waitFor(async () => {
      const found = await stepIds(frame);
      return QUICKSTART_STEPS.every((s) => found.includes(s)) ? found : null;
    }, { what: "a node for every step" });
    assert.deepEqual([...ids].sort(), [...QUICKSTART_STEPS].sort());
    await shot("04-graph-preview");
  });

  test("clicking a node selects its step in the editor", async () => {
    const frame = previewFrame(page);
    await node(frame, "data").click();
    await waitFor(async () => (await cursorLine(page)) === 75, { what: "the cursor on line 75 (step data)" });
    await node(frame, "release").click();
    await waitFor(async () => (await cursorLine(page)) === 86, { what: "the cursor on line 86 (step release)" });
    await shot("05-clicked-node");
  });

  test("the graph follows typing: a new step appears, a broken one is marked", async () => {
    await focusEditor(page);
    await gotoLineEnd(page, 83);
    await page.keyboard.press("Enter");
    await page.keyboard.type("step again = score(model: best.model, data: parts.test)");
    const frame = previewFrame(page);
    await waitFor(async () => (await stepIds(frame)).includes("again"), { what: "a node for the new step" });
    // Break it: the node stays, marked broken.
    await page.keyboard.press("Home");
    await page.keyboard.press("End");
    for (let i = 0; i < "test)".length; i++) await page.keyboard.press("Backspace");
    await page.keyboard.type("nothing)");
    await waitFor(async () => (await node(frame, "again").getAttribute("class"))?.includes("broken"), {
      what: "the step to be marked broken",
    });
    await shot("06-live-edit-broken");
    await runCommand(page, "File: Revert File");
    await waitFor(async () => !(await stepIds(frame)).includes("again"), { what: "the new step's node to go after the revert" });
  });

  test("Run from the code lens: every node turns succeeded; again, every node is cached", async () => {
    const frame = previewFrame(page);
    const statuses = () =>
      frame.locator("svg g.node.step").evaluateAll((gs) =>
        Object.fromEntries(gs.map((g) => [g.dataset.id, [...g.classList].find((c) => c.startsWith("status-"))?.slice(7) ?? null])),
      );
    for (const expected of ["succeeded", "cached"]) {
      await focusEditor(page);
      await gotoLineEnd(page, 74);
      await page.locator(".codelens-decoration a", { hasText: "▶ Run" }).first().click();
      const seen = await waitFor(async () => {
        const s = await statuses();
        return QUICKSTART_STEPS.every((id) => s[id] === expected) ? s : null;
      }, { timeout: 120_000, what: `every step ${expected}` });
      assert.deepEqual(Object.keys(seen).sort(), [...QUICKSTART_STEPS].sort());
      await page.locator('.statusbar-item', { hasText: "succeeded" }).first().waitFor({ timeout: 30_000 });
      await shot(`07-run-${expected}`);
    }
  });

  test("a step that fails is marked on the graph and as a diagnostic on its `step` line", async () => {
    await focusEditor(page);
    // publish's shell body: make it fail.
    await gotoLineEnd(page, 69);
    await page.keyboard.press("Enter");
    await page.keyboard.type("exit 3");
    await page.keyboard.press("Control+S");
    await page.locator(".codelens-decoration a", { hasText: "▶ Run" }).first().click({ timeout: 30_000 }).catch(async () => {
      await gotoLineEnd(page, 74);
      await page.locator(".codelens-decoration a", { hasText: "▶ Run" }).first().click();
    });
    const frame = previewFrame(page);
    await waitFor(async () => (await node(frame, "release").getAttribute("class"))?.includes("status-failed"), {
      timeout: 120_000,
      what: "release marked failed",
    });
    // The run's diagnostic sits on `step release` (line 87 now).
    await waitFor(async () => (await problemCounts(page)).errors >= 1, { what: "the run's diagnostic" });
    await gotoLineEnd(page, 87);
    await page.locator(".squiggly-error").first().waitFor({ timeout: 20_000 });
    await shot("08-run-failed");
    // Put the body back (the file was saved) for whoever runs next.
    await focusEditor(page);
    await gotoLineEnd(page, 70);
    await page.keyboard.press("Control+Shift+K");
    await page.keyboard.press("Control+S");
    await waitFor(async () => (await problemCounts(page)).errors === 0, { what: "no problems once the body is back" }).catch(() => {});
  });

  test("the Runs view lists the runs; a step opens its log", async () => {
    await page.locator('.activitybar a[aria-label^="MLForge"]').first().click();
    const view = page.locator('.pane-body[aria-label^="Runs"], [id="workbench.view.extension.mlforge"]').first();
    await view.waitFor({ timeout: 20_000 });
    const firstRun = page.locator(".monaco-list-row", { hasText: "quickstart" }).filter({ hasText: "#" }).first();
    await firstRun.waitFor({ timeout: 30_000 });
    await firstRun.click();
    const steps = page.locator(".monaco-list-row", { hasText: /^Steps$/ }).first();
    await steps.waitFor({ timeout: 20_000 });
    const best = page.locator(".monaco-list-row", { hasText: /^best/ }).first();
    await best.waitFor({ timeout: 20_000 });
    await best.click();
    // The log opens read-only, named after the step.
    await page.locator('.tab.active[data-resource-name="best.log"]').waitFor({ timeout: 20_000 });
    await shot("09-runs-view-log");
    await runCommand(page, "View: Close All Editors");
    await page.locator('.activitybar a[aria-label^="Explorer"]').first().click();
  });

  test("Cancel stops a long run: its step turns cancelled and no process is left", async () => {
    await openFile(page, "slow.mlf");
    await page.locator(".codelens-decoration", { hasText: "Run" }).first().waitFor({ state: "attached", timeout: 60_000 });
    await runCommand(page, "MLForge: Open Graph Preview");
    await focusEditor(page);
    await gotoLineEnd(page, 7);
    await page.locator(".codelens-decoration a", { hasText: "▶ Run" }).first().click();
    const frame = previewFrame(page);
    await waitFor(async () => (await node(frame, "nap").getAttribute("class"))?.includes("status-running"), {
      timeout: 60_000,
      what: "nap running",
    });
    assert.ok(napping(), "the step's sleep should be running");
    await page.locator(".notification-toast", { hasText: "MLForge" }).getByRole("button", { name: "Cancel" }).click();
    await waitFor(async () => (await node(frame, "nap").getAttribute("class"))?.includes("status-cancelled"), {
      timeout: 30_000,
      what: "nap cancelled",
    });
    await waitFor(() => !napping(), { timeout: 10_000, what: "no sleep process left" });
    await shot("10-run-cancelled");
  });

  test("Run step from the graph's context menu runs that step alone", async () => {
    await openFile(page, "quickstart.mlf");
    await runCommand(page, "MLForge: Open Graph Preview");
    const frame = previewFrame(page);
    await node(frame, "best").waitFor({ timeout: 30_000 });
    await node(frame, "best").click({ button: "right" });
    await frame.getByRole("menuitem", { name: "Run step" }).click();
    const done = await waitFor(async () => {
      const cls = (await node(frame, "best").getAttribute("class")) ?? "";
      return /status-(succeeded|cached)/.exec(cls)?.[1];
    }, { timeout: 120_000, what: "best to finish" });
    assert.ok(done);
    await shot("11-run-step-from-graph");
  });

  test("Compare Graph with HEAD marks the changed step and what re-runs", async () => {
    await openFile(page, "quickstart.mlf");
    await focusEditor(page);
    // make_data(rows: 300) → 301: `data` changes, everything downstream re-runs.
    await gotoLine(page, 75, 35);
    await page.keyboard.press("Backspace");
    await page.keyboard.type("1");
    await runCommand(page, "MLForge: Compare Graph with HEAD");
    const frame = previewFrame(page);
    await waitFor(async () => (await node(frame, "data").getAttribute("class"))?.includes("diff-changed"), { timeout: 60_000, what: "data marked changed" });
    await waitFor(async () => (await node(frame, "best").getAttribute("class"))?.includes("diff-rerun"), { what: "best marked to re-run" });
    await shot("12-compare-with-head");
    // Put the file back as committed.
    await page.keyboard.press("Backspace");
    await page.keyboard.type("0");
    await page.keyboard.press("Control+S");
  });

  test("an empty pipeline grows on the graph: ops dropped from the palette, connected port to port", async () => {
    await openFile(page, "grow.mlf");
    // Room for the palette, the picture and the form beside the editor.
    await runCommand(page, "View: Close Primary Side Bar");
    await runCommand(page, "MLForge: Open Graph Preview");
    const frame = previewFrame(page);
    await frame.locator("#message", { hasText: "drag an op from the palette" }).waitFor({ timeout: 60_000 });
    await frame.locator('#ops li[data-op="make_data"]').waitFor({ timeout: 30_000 });
    await shot("13-empty-pipeline-palette");
    const data = await dropOp(page, frame, "make_data", { x: 0.5, y: 0.3 });
    const split = await dropOp(page, frame, "split");
    // The new step's required input is marked until it is connected.
    assert.match((await portDot(frame, split, "in", "data").locator("..").getAttribute("class")) ?? "", /missing/);
    await connect(page, frame, [data, "table"], [split, "data"]);
    await shot("14-grown-pipeline");
    await focusText(page, "grow.mlf");
    await page.keyboard.press("Control+S");
    // (The formatter lines up the `=` of neighbouring steps.)
    const wired = new RegExp(`step ${split} +=\\s*split\\(data: ${data}\\.table\\)`);
    await waitFor(() => wired.test(readFileSync(join(workFolder, "grow.mlf"), "utf8")), { what: "the connection in the saved text" });
  });

  test("the quickstart's last three steps built by drag and drop, then run: it succeeds", async () => {
    await openFile(page, "build.mlf");
    await runCommand(page, "MLForge: Open Graph Preview");
    const frame = previewFrame(page);
    await node(frame, "check").waitFor({ timeout: 60_000 });
    // Pick the best model: its inputs are the lists the `for` gathers.
    const best = await dropOp(page, frame, "pick_best", { x: 0.8, y: 0.85 });
    await connect(page, frame, ["fitted", "model"], [best, "models"]);
    await connect(page, frame, ["check", "mse"], [best, "errors"]);
    // Publish it, under a name typed into the form.
    const release = await dropOp(page, frame, "publish", { x: 0.85, y: 0.95 });
    await connect(page, frame, [best, "model"], [release, "model"]);
    await node(frame, release).locator("rect.shape").click();
    await frame.locator("#inspector input[name=name]").fill("line-fit");
    await frame.locator("#inspector input[name=name]").press("Enter");
    await waitFor(async () => (await portDot(frame, release, "in", "name").locator("..").getAttribute("class"))?.includes("given"), { what: "the name set" });
    // Only when it is good enough: wrap the step in an `if`.
    await node(frame, release).locator("rect.shape").click({ button: "right" });
    await frame.getByRole("menuitem", { name: "Wrap in if…" }).click();
    await frame.locator("#prompt input[name=condition]").fill(`${best}.mse <= max_mse`);
    await frame.locator("#prompt input[name=condition]").press("Enter");
    await frame.locator("svg g.cluster.kind-if").waitFor({ timeout: 30_000 });
    await waitFor(async () => (await problemCounts(page)).errors === 0, { what: "no errors in the built pipeline" });
    await shot("15-built-on-the-graph");
    // Undo is the editor's: one edit on the graph is one step back.
    await focusText(page, "build.mlf");
    await page.keyboard.press("Control+Z");
    await waitFor(async () => (await frame.locator("svg g.cluster.kind-if").count()) === 0, { what: "the `if` undone" });
    await page.keyboard.press("Control+Shift+Z");
    await frame.locator("svg g.cluster.kind-if").waitFor({ timeout: 30_000 });
    await page.keyboard.press("Control+S");
    const text = await waitFor(() => {
      const t = readFileSync(join(workFolder, "build.mlf"), "utf8");
      return t.includes("= pick_best(") ? t : null;
    }, { what: "build.mlf saved" });
    assert.match(text, new RegExp(`step ${best} += pick_best\\(models: fitted\\.model, errors: check\\.mse\\)`));
    assert.match(text, new RegExp(`if ${best}\\.mse <= max_mse \\{\\s+step ${release} += publish\\(model: ${best}\\.model, name: "line-fit"\\)`));
    // Run it.
    await gotoLineEnd(page, 74);
    await page.locator(".codelens-decoration a", { hasText: "▶ Run" }).first().click();
    const statuses = () => frame.locator("svg g.node.step").evaluateAll((gs) => gs.map((g) => [...g.classList].find((c) => c.startsWith("status-")) ?? ""));
    await waitFor(async () => {
      const s = await statuses();
      return s.length === 6 && s.every((c) => c === "status-succeeded" || c === "status-cached");
    }, { timeout: 120_000, what: "every step of the built pipeline succeeded" });
    await page.locator(".statusbar-item", { hasText: "succeeded" }).first().waitFor({ timeout: 30_000 });
    await shot("16-built-pipeline-ran");
  });

  test("go to definition on a std op opens the op library's source: read-only, highlighted", async () => {
    await openFile(page, "uses_std.mlf");
    // The server has answered for this file (its "▶ Run" lens), so it answers F12 too.
    await page.locator(".codelens-decoration", { hasText: "Run" }).first().waitFor({ state: "attached", timeout: 60_000 });
    // On the op's name in `step s = io.OP()` (line 4).
    await gotoLine(page, 4, "  step s = io.".length + 2);
    await page.keyboard.press("F12");
    await page.locator('.tab.active[data-resource-name="io.mlf"]').waitFor({ timeout: 30_000 });
    const editor = page.locator(".editor-group-container.active .monaco-editor").first();
    // Monaco draws spaces as no-break spaces.
    const shown = async () => (await editor.locator(".view-lines").innerText()).replace(/\u00a0/g, " ");
    await waitFor(async () => (await shown()).includes(`op ${STD_OP}(`), { what: `op ${STD_OP} in the std source` });
    await waitFor(async () => (await cursorLine(page)) === STD_OP_LINE, { what: `the cursor on line ${STD_OP_LINE} (op ${STD_OP})` });
    assert.equal((await page.locator('[id="status.editor.mode"]').innerText()).trim(), "MLForge");
    // MLForge's colours: the keyword `op` has a token colour other than the plain text's.
    const colours = await editor.locator(".view-line span span").evaluateAll((spans) => new Set(spans.map((s) => getComputedStyle(s).color)).size);
    assert.ok(colours > 1, "the std source is highlighted");
    await shot("17-std-source");
    // Read-only: typing is refused with VS Code's message, and the text stays.
    await page.keyboard.type("x");
    await page.locator(".monaco-editor-overlaymessage", { hasText: /read-only/i }).first().waitFor({ timeout: 10_000 });
    assert.ok(!(await shown()).includes(`x${STD_OP}`));
    assert.ok((await shown()).includes(`op ${STD_OP}(`));
  });
});
