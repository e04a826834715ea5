// Editing the pipeline on the picture: the palette, drops, connections between ports, the
// arguments form, delete and rename — what each gesture posts to the extension.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { answerOf, fixture, startHarness } from "./harness.mjs";

let h;
before(async () => (h = await startHarness()));
after(() => h?.close());

const node = (id) => `g.node[data-id="${id}"]`;
const port = (id, dir, name) => `${node(id)} g[data-port="${name}"][data-dir="${dir}"]`;
const edits = async (p) => (await p.posted()).filter((m) => m.type === "edit").map((m) => m.edit);
const catalog = () => fixture("edit-catalog.json").ops;

/** The live preview: an editable graph and the palette's ops. */
async function opened(graph = "quickstart.json", size = {}) {
  const p = await h.open({ width: 1200, height: 800, ...size });
  await p.send({ type: "catalog", ops: catalog() });
  await p.send({ type: "graph", seq: 1, uri: "file:///work/grow.mlf", answer: answerOf(fixture(graph)), mode: "full", settings: { collapseAbove: 40, focusHops: 2 }, editable: true });
  await p.rendered(1);
  return p;
}

const centre = async (p, selector) => {
  const r = await p.page.$eval(selector, (e) => e.getBoundingClientRect().toJSON());
  return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
};

/** A drag with the mouse, in small steps, as a hand makes it. */
async function drag(p, from, to) {
  await p.page.mouse.move(from.x, from.y);
  await p.page.mouse.down();
  await p.page.mouse.move(from.x + 10, from.y + 10, { steps: 3 });
  await p.page.mouse.move(to.x, to.y, { steps: 8 });
  await p.page.mouse.up();
}

test("the palette lists the workspace's ops with their docs and filters them as you type", async () => {
  const p = await opened();
  const names = await p.page.$$eval("#ops li.op .name", (els) => els.map((e) => e.textContent));
  assert.deepEqual([...names].sort(), ["fit", "grow", "make_data", "pick_best", "publish", "score", "split"]);
  const doc = await p.page.$eval('#ops li[data-op="pick_best"] .doc', (e) => e.textContent);
  assert.equal(doc, "Picks the model with the lowest error.");
  await p.page.fill("#op-search", "model");
  const shown = await p.page.$$eval("#ops li.op", (els) => els.map((e) => e.dataset.op));
  assert.deepEqual(shown, ["fit", "pick_best", "publish", "score"]);
  await p.page.fill("#op-search", "lowest error");
  assert.deepEqual(await p.page.$$eval("#ops li.op", (els) => els.map((e) => e.dataset.op)), ["pick_best"]);
  await p.page.fill("#op-search", "no such thing");
  assert.equal(await p.page.$eval("#ops li.empty", (e) => e.textContent), "No op matches “no such thing”.");
  await p.close();
});

test("an op dropped on the empty canvas is a step in the pipeline's body; into a `for` block, a step in that block", async () => {
  const p = await opened();
  const canvas = await p.page.$eval("#canvas", (e) => e.getBoundingClientRect().toJSON());
  await drag(p, await centre(p, '#ops li[data-op="score"]'), { x: canvas.x + canvas.width - 30, y: canvas.y + 30 });
  const frame = await p.page.$eval('g.cluster[data-id="for#1"] rect.frame', (e) => e.getBoundingClientRect().toJSON());
  await drag(p, await centre(p, '#ops li[data-op="fit"]'), { x: frame.x + 6, y: frame.y + frame.height - 6 });
  const posted = await edits(p);
  assert.deepEqual(posted, [
    { kind: "addStep", op: "score", name: null, block: null, index: null, import: null },
    { kind: "addStep", op: "fit", name: null, block: "for#1", index: null, import: null },
  ]);
  // Each edit names the picture it was made on.
  assert.deepEqual((await p.posted()).filter((m) => m.type === "edit").map((m) => m.seq), [1, 1]);
  // A drop back on the palette is no edit.
  const palette = await p.page.$eval("#palette", (e) => e.getBoundingClientRect().toJSON());
  await drag(p, await centre(p, '#ops li[data-op="fit"]'), { x: palette.x + 20, y: palette.y + palette.height - 20 });
  assert.equal((await edits(p)).length, 2);
  await p.close();
});

test("ports show each input and output with its type; required inputs not given are marked", async () => {
  const p = await opened("edit-partial.json");
  const ports = await p.page.$$eval(`${node("pick_best")} g[data-port]`, (gs) => gs.map((g) => [g.dataset.dir, g.querySelector("text").textContent, g.classList.contains("missing")]));
  assert.deepEqual(ports, [
    ["in", "models: list<Model>", true],
    ["in", "errors: list<float>", true],
    ["out", "model: Model", false],
    ["out", "mse: float", false],
  ]);
  assert.match(await p.page.$eval(node("pick_best"), (g) => g.getAttribute("aria-label")), /, missing models, errors$/);
  assert.equal(await p.page.$eval(port("fitted", "in", "data"), (g) => g.classList.contains("given")), true);
  assert.equal(await p.page.$eval(port("fitted", "in", "epochs"), (g) => g.classList.contains("missing") || g.classList.contains("given")), false, "a default: neither");
  await p.screenshot("edit-missing-inputs");
  await p.close();
});

test("dragging from an output lights only the inputs that can take it; a drop on one connects", async () => {
  const p = await opened();
  const lit = () => p.page.$$eval("g[data-port].lit", (gs) => gs.map((g) => `${g.closest("g.node").dataset.id}.${g.dataset.port}`).sort());
  const unlit = () => p.page.$$eval("g[data-port].unlit", (gs) => gs.map((g) => `${g.closest("g.node").dataset.id}.${g.dataset.port}`));

  // From fitted.model (inside the `for`): check reads one Model, best a list<Model>; release (in the `if`) cannot take a list.
  const from = await centre(p, `${port("fitted", "out", "model")} circle.dot`);
  await p.page.mouse.move(from.x, from.y);
  await p.page.mouse.down();
  await p.page.mouse.move(from.x + 20, from.y + 40, { steps: 4 });
  assert.deepEqual(await lit(), ["best.models", "check.model"]);
  assert.ok((await unlit()).includes("release.model"));
  assert.ok((await unlit()).includes("best.errors"));
  await p.screenshot("edit-connecting");
  const target = await centre(p, `${port("best", "in", "models")} circle.dot`);
  await p.page.mouse.move(target.x, target.y, { steps: 8 });
  await p.page.mouse.up();
  assert.deepEqual((await edits(p)).at(-1), { kind: "connect", from: { step: "fitted", output: "model" }, to: { step: "best", input: "models" } });
  assert.deepEqual(await lit(), [], "the lights go out");

  // From best.model onto release.name (a string): not lit, and no edit.
  const before = (await edits(p)).length;
  await drag(p, await centre(p, `${port("best", "out", "model")} circle.dot`), await centre(p, `${port("release", "in", "name")} circle.dot`));
  assert.equal((await edits(p)).length, before);
  // A drag from a port does not pan the picture.
  assert.equal((await p.posted()).filter((m) => m.type === "reveal").length, 0);
  await p.close();
});

test("the form shows the selected step's literal arguments and sets the one edited", async () => {
  const p = await opened();
  await p.page.click(`${node("release")} rect.shape`);
  assert.deepEqual(await p.page.$$eval("#inspector .field", (fs) => fs.map((f) => [f.dataset.input, f.querySelector("input").value])), [["name", "line-fit"]]);
  await p.page.fill("#inspector input[name=name]", "line-fit-2");
  await p.page.keyboard.press("Enter");
  assert.deepEqual((await edits(p)).at(-1), { kind: "setArg", step: "release", input: "name", value: "line-fit-2" });

  await p.page.click(`${node("data")} rect.shape`);
  assert.deepEqual(await p.page.$$eval("#inspector .field", (fs) => fs.map((f) => f.dataset.input)), ["rows", "seed"]);
  await p.page.fill("#inspector input[name=rows]", "many");
  await p.page.keyboard.press("Enter");
  assert.equal(await p.page.$eval('#inspector .field[data-input="rows"] .error', (e) => e.textContent), "“many” is not a whole number.");
  await p.page.fill("#inspector input[name=seed]", "7");
  await p.page.keyboard.press("Enter");
  await p.page.click('#inspector .field[data-input="rows"] button.clear');
  const last = (await edits(p)).slice(-2);
  assert.deepEqual(last, [
    { kind: "setArg", step: "data", input: "seed", value: 7 },
    { kind: "setArg", step: "data", input: "rows", value: null },
  ]);
  await p.screenshot("edit-form");
  await p.close();
});

test("delete, rename in place and disconnect from the context menu; a refusal shows the server's sentence", async () => {
  const p = await opened();
  const menu = async (selector, item) => {
    await p.page.click(selector, { button: "right" });
    await p.page.getByRole("menuitem", { name: item }).click();
  };
  await menu(`${node("best")} rect.shape`, "Delete step");
  assert.deepEqual((await edits(p)).at(-1), { kind: "deleteStep", step: "best", cascade: false });
  const id = (await p.posted()).filter((m) => m.type === "edit").at(-1).id;
  await p.send({ type: "editResult", id, ok: false, error: "Nothing was deleted: release still reads best." });
  await p.page.waitForSelector("#notes .note.edit");
  assert.equal(await p.page.$eval("#notes .note.edit", (n) => n.textContent), "Nothing was deleted: release still reads best.");

  await menu(`${node("check")} rect.shape`, "Rename…");
  await p.page.fill("#rename", "scored");
  await p.page.keyboard.press("Enter");
  assert.deepEqual((await p.posted()).filter((m) => m.type === "rename").at(-1), { type: "rename", id: id + 1, node: "check", name: "scored" });
  assert.equal(await p.page.$$eval("#notes .note.edit", (n) => n.length), 0, "the next edit clears the note");

  await menu(`${port("release", "in", "model")} circle.dot`, "Disconnect model");
  assert.deepEqual((await edits(p)).at(-1), { kind: "disconnect", step: "release", input: "model" });

  await menu(`${node("release")} rect.shape`, "Wrap in if…");
  await p.page.fill("#prompt input[name=condition]", "best.mse < 2");
  await p.page.keyboard.press("Enter");
  assert.deepEqual((await edits(p)).at(-1), { kind: "wrapIf", steps: ["release"], condition: "best.mse < 2" });
  await p.close();
});

test("an empty pipeline: the first op dropped anywhere on the stage is its first step", async () => {
  const p = await opened("edit-empty.json");
  assert.equal(await p.page.$eval("#message", (m) => m.textContent), "This pipeline has no steps yet: drag an op from the palette onto this space.");
  const stage = await p.page.$eval("#stage", (e) => e.getBoundingClientRect().toJSON());
  await drag(p, await centre(p, '#ops li[data-op="make_data"]'), { x: stage.x + stage.width / 2, y: stage.y + stage.height / 2 });
  assert.deepEqual(await edits(p), [{ kind: "addStep", op: "make_data", name: null, block: null, index: null, import: null }]);
  await p.close();
});

test("after an edit the drawn steps stay where they were, the new one is selected with its form", async () => {
  const p = await opened();
  const boxes = () => p.page.$$eval("g.node rect.shape", (rs) => Object.fromEntries(rs.map((r) => [r.closest("g.node").dataset.id, [r.getAttribute("x"), r.getAttribute("y")]])));
  const was = await boxes();
  const canvas = await p.page.$eval("#canvas", (e) => e.getBoundingClientRect().toJSON());
  await drag(p, await centre(p, '#ops li[data-op="publish"]'), { x: canvas.x + canvas.width - 60, y: canvas.y + 60 });
  const { id } = (await p.posted()).filter((m) => m.type === "edit").at(-1);
  await p.send({ type: "editResult", id, ok: true, select: "publish" });
  // What the server's graph says once the step is in the text.
  const answer = answerOf(fixture("quickstart.json"));
  const publish = structuredClone(answer.graph.nodes.find((n) => n.id === "release"));
  Object.assign(publish, { id: "publish", label: "publish", cluster: undefined, args: [] });
  publish.signature.inputs.forEach((i) => (i.given = false));
  answer.graph.nodes.push(publish);
  await p.send({ type: "graph", seq: 2, uri: "file:///work/grow.mlf", answer, mode: "full", settings: { collapseAbove: 40, focusHops: 2 }, editable: true });
  const r = await p.rendered(2);
  assert.equal(r.pinned, true);
  const now = await boxes();
  for (const [id, xy] of Object.entries(was)) assert.deepEqual(now[id], xy, id);
  assert.equal(await p.page.$eval("g.node.selected", (g) => g.dataset.id), "publish");
  assert.equal(await p.page.$eval("#inspector h2", (e) => e.textContent), "publish");
  assert.deepEqual(await p.page.$$eval(`${node("publish")} g[data-port].missing`, (gs) => gs.map((g) => g.dataset.port)), ["model", "name"]);
  await p.screenshot("edit-added-step");
  await p.close();
});
