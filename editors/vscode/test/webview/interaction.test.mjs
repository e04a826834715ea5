// What the user does in the preview, and what the page posts to the extension.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { answerOf, fixture, startHarness } from "./harness.mjs";

let h;
before(async () => (h = await startHarness()));
after(() => h?.close());

const node = (id) => `g.node[data-id="${id}"]`;
const lastPosted = async (p, type) => (await p.posted()).filter((m) => m.type === type).at(-1);
const transform = (p) => p.page.$eval("g.viewport", (g) => g.getAttribute("transform"));

test("a click reveals the step; a double-click or the context menu focuses on it", async () => {
  const p = await h.open();
  await p.graph(1, answerOf(fixture("quickstart.json")));
  await p.page.click(`${node("parts")} rect.shape`);
  assert.deepEqual(await lastPosted(p, "reveal"), { type: "reveal", node: "parts" });
  await p.page.dblclick(`${node("best")} rect.shape`);
  assert.deepEqual(await lastPosted(p, "focus"), { type: "focus", node: "best" });
  // The double-click's second click does not reveal again.
  assert.equal((await p.posted()).filter((m) => m.type === "reveal").length, 2);
  await p.page.click(`${node("check")} rect.shape`, { button: "right" });
  const items = await p.page.$$eval("#menu button", (bs) => bs.map((b) => b.textContent));
  assert.deepEqual(items, ["Go to step", "Focus here", "Run step", "Run from here"]);
  await p.page.click("#menu button:nth-child(2)");
  assert.deepEqual(await lastPosted(p, "focus"), { type: "focus", node: "check" });
  assert.equal(await p.page.$eval("#menu", (m) => m.hidden), true);
  // Running from the graph: the extension runs that step (or from it).
  await p.page.click(`${node("best")} rect.shape`, { button: "right" });
  await p.page.click("#menu button:nth-child(3)");
  assert.deepEqual(await lastPosted(p, "run"), { type: "run", node: "best", kind: "runStep" });
  await p.page.click(`${node("best")} rect.shape`, { button: "right" });
  await p.page.click("#menu button:nth-child(4)");
  assert.deepEqual(await lastPosted(p, "run"), { type: "run", node: "best", kind: "runFrom" });
  await p.close();
});

test("the keyboard: arrows move between nodes from the cursor's step, Enter reveals, Shift+Enter focuses", async () => {
  const p = await h.open();
  await p.graph(1, answerOf(fixture("quickstart.json")));
  await p.send({ type: "cursor", node: "data" });
  await p.page.focus("#canvas");
  await p.page.keyboard.press("ArrowDown");
  assert.equal(await p.page.$eval("g.node.selected", (g) => g.dataset.id), "parts");
  assert.equal(await p.page.$eval("#canvas", (c) => c.getAttribute("aria-label")), "Pipeline graph: parts, split");
  await p.page.keyboard.press("Enter");
  assert.deepEqual(await lastPosted(p, "reveal"), { type: "reveal", node: "parts" });
  await p.page.keyboard.press("ArrowDown");
  const next = await p.page.$eval("g.node.selected", (g) => g.dataset.id);
  assert.ok(["fitted", "check"].includes(next), next);
  await p.page.keyboard.press("Shift+Enter");
  assert.deepEqual(await lastPosted(p, "focus"), { type: "focus", node: next });
  // The focus view drawn here (the same picture: updated in place) keeps the selection.
  await p.page.waitForFunction(() => window.__posted.filter((m) => m.type === "rendered").length === 2);
  assert.equal(await p.page.$eval("g.node.selected", (g) => g.dataset.id), next);
  await p.close();
});

test("the cursor's step is highlighted and brought into view", async () => {
  const p = await h.open({ width: 500, height: 400 });
  await p.graph(1, answerOf(fixture("quickstart.json")));
  for (let i = 0; i < 6; i++) await p.send({ type: "command", command: "zoomIn" });
  await p.send({ type: "cursor", node: "release" });
  const seen = await p.page.evaluate((sel) => {
    const r = document.querySelector(sel).getBoundingClientRect();
    const c = document.querySelector("#canvas").getBoundingClientRect();
    return { cursor: document.querySelector(sel).classList.contains("cursor"), inside: r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom };
  }, node("release"));
  assert.deepEqual(seen, { cursor: true, inside: true });
  await p.send({ type: "cursor", node: "data" });
  assert.equal(await p.page.$$eval("g.node.cursor", (gs) => gs.map((g) => g.dataset.id).join()), "data");
  await p.close();
});

test("clusters collapse and expand on click, and stay so across updates", async () => {
  const p = await h.open();
  await p.graph(1, answerOf(fixture("nightly.json")));
  const before = await p.posted();
  await p.page.click('g.cluster[data-id="te"] text.cluster-label');
  await p.page.waitForSelector(`${node("te")}.collapsed`);
  assert.deepEqual(await p.page.$eval(node("te"), (g) => [...g.querySelectorAll("text.line")].map((t) => t.textContent)), ["te: train_eval", "2 steps ▸"]);
  assert.equal(await p.page.$$eval("g.cluster", (gs) => gs.length), 0);
  // The next answer keeps it collapsed, without a layout.
  const r = await p.graph(2, answerOf(fixture("nightly.json")));
  assert.equal(r.relaidOut, false);
  assert.equal(await p.page.$$eval(`${node("te")}.collapsed`, (gs) => gs.length), 1);
  // A click on the collapsed node expands it again.
  await p.page.click(`${node("te")} rect.shape:not(.back)`);
  await p.page.waitForSelector('g.cluster[data-id="te"]');
  assert.ok(!(await p.posted()).slice(before.length).some((m) => m.type === "reveal"), "toggling reveals nothing");
  await p.close();
});

test("clusters above collapseAbove open collapsed; the overview collapses every cluster", async () => {
  const p = await h.open();
  const r = await p.graph(1, answerOf(fixture("quickstart.json")), "full", { collapseAbove: 1, focusHops: 2 });
  assert.equal(r.nodes, 5);
  assert.equal(await p.page.$$eval("g.node.collapsed", (gs) => gs.map((g) => g.dataset.id).join()), "for#1");
  assert.equal(await p.page.$eval("#counts", (c) => c.textContent), "4 of 6 steps shown");
  await p.graph(2, answerOf(fixture("nightly.json")), "overview");
  assert.equal(await p.page.$$eval("g.node.collapsed", (gs) => gs.map((g) => g.dataset.id).join()), "te");
  assert.equal(await p.page.$$eval("g.cluster", (gs) => gs.length), 0);
  await p.screenshot("nightly-overview");
  await p.close();
});

test("the mode switcher asks the extension, and switches at once when it can", async () => {
  const p = await h.open();
  await p.graph(1, answerOf(fixture("quickstart.json")));
  assert.equal(await p.page.$eval('[data-mode="full"]', (b) => b.getAttribute("aria-checked")), "true");
  await p.page.click('[data-mode="focus"]');
  assert.deepEqual(await lastPosted(p, "setMode"), { type: "setMode", mode: "focus" });
  await p.page.waitForFunction(() => document.querySelector('[data-mode="focus"]').getAttribute("aria-checked") === "true");
  await p.page.click('[data-mode="overview"]');
  assert.deepEqual(await lastPosted(p, "setMode"), { type: "setMode", mode: "overview" });
  await p.close();
});

test("search: Enter goes to the next match, Shift+Enter back; the match is centred and marked", async () => {
  const p = await h.open();
  await p.graph(1, answerOf(fixture("synthetic-300.json.gz")));
  await p.send({ type: "command", command: "search" });
  assert.equal(await p.page.evaluate(() => document.activeElement?.id), "search");
  await p.page.keyboard.type("s12_");
  await p.page.keyboard.press("Enter");
  await p.page.keyboard.press("Enter");
  const state = await p.page.evaluate(() => {
    const g = document.querySelector("g.node.match");
    const r = g.getBoundingClientRect();
    const c = document.querySelector("#canvas").getBoundingClientRect();
    return { id: g.dataset.id, note: document.querySelector("#notes .search").textContent, dx: Math.abs(r.x + r.width / 2 - (c.x + c.width / 2)), dy: Math.abs(r.y + r.height / 2 - (c.y + c.height / 2)) };
  });
  assert.equal(state.id, "s12_1");
  assert.match(state.note, /^2 of \d+: s12_1$/);
  assert.ok(state.dx < 2 && state.dy < 2, `centred (${state.dx}, ${state.dy})`);
  await p.page.keyboard.press("Shift+Enter");
  assert.equal(await p.page.$eval("g.node.match", (g) => g.dataset.id), "s12_0");
  await p.page.fill("#search", "no such step");
  await p.page.keyboard.press("Enter");
  assert.equal(await p.page.$eval("#notes .search", (n) => n.textContent), "No step matches “no such step”.");
  await p.close();
});

test("zoom with the wheel and the buttons, pan by dragging (no click), fit", async () => {
  const p = await h.open();
  await p.graph(1, answerOf(fixture("quickstart.json")));
  const scale = async () => Number((await transform(p)).match(/scale\(([\d.]+)\)/)[1]);
  const fitted = await scale();
  await p.page.mouse.move(450, 350);
  await p.page.mouse.wheel(0, -300);
  await p.page.waitForFunction((k) => Number(document.querySelector("g.viewport").getAttribute("transform").match(/scale\(([\d.]+)\)/)[1]) > k, fitted);
  await p.page.click('[data-action="zoomOut"]');
  await p.page.click('[data-action="zoomOut"]');
  await p.page.click('[data-action="zoomOut"]');
  assert.ok((await scale()) < fitted);
  const before = await transform(p);
  const box = await p.page.$eval(`${node("parts")} rect.shape`, (r) => r.getBoundingClientRect().toJSON());
  await p.page.mouse.move(box.x + 5, box.y + 5);
  await p.page.mouse.down();
  await p.page.mouse.move(box.x + 60, box.y + 45, { steps: 5 });
  await p.page.mouse.up();
  assert.notEqual(await transform(p), before);
  assert.equal((await p.posted()).filter((m) => m.type === "reveal").length, 0, "a drag is not a click");
  await p.page.click('[data-action="fit"]');
  assert.equal(await scale(), fitted);
  await p.close();
});

test("export posts the whole graph as a standalone SVG with the theme's colours", async () => {
  const p = await h.open({ vars: { "--vscode-errorForeground": "rgb(255, 0, 0)" } });
  await p.graph(1, answerOf(fixture("quickstart-broken.json")));
  await p.page.click('[data-action="exportSvg"]');
  const { svg } = await lastPosted(p, "exportSvg");
  assert.match(svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg /);
  const info = await p.page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const check = doc.querySelector('g[data-id="check"] rect');
    return { ok: !doc.querySelector("parsererror"), classes: doc.querySelectorAll("[class]").length, transform: doc.querySelector("g").getAttribute("transform"), stroke: check.getAttribute("stroke"), texts: [...doc.querySelectorAll("text")].map((t) => t.textContent) };
  }, svg);
  assert.equal(info.ok, true);
  assert.equal(info.classes, 0, "styles are inlined");
  assert.equal(info.transform, null, "the whole graph, not the zoomed view");
  assert.equal(info.stroke, "rgb(255, 0, 0)");
  for (const name of ["data", "parts", "fitted", "check", "best", "release"]) assert.ok(info.texts.includes(name), name);
  await p.close();
});

test("a stale answer keeps the picture with a note; a message replaces the picture", async () => {
  const p = await h.open();
  await p.graph(1, answerOf(fixture("quickstart.json")));
  const r = await p.graph(2, answerOf(fixture("quickstart.json"), { stale: true }));
  assert.equal(r.relaidOut, false);
  assert.equal(await p.page.$eval("#notes .stale", (n) => n.textContent), "The file has errors: this is the last graph built before them.");
  await p.screenshot("stale");
  await p.graph(3, answerOf(fixture("quickstart.json")));
  assert.equal(await p.page.$$eval("#notes .stale", (n) => n.length), 0);
  await p.send({ type: "message", text: "Open an .mlf file to see its graph." });
  assert.deepEqual(await p.page.evaluate(() => [document.querySelector("#message").textContent, document.querySelector("#canvas").hidden]), ["Open an .mlf file to see its graph.", true]);
  await p.graph(4, answerOf(fixture("nightly.json")));
  assert.equal(await p.page.$eval("#message", (m) => m.hidden), true);
  await p.close();
});
