// When the page lays out again and when it does not; big graphs never block its thread.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { answerOf, fixture, startHarness } from "./harness.mjs";

let h;
before(async () => (h = await startHarness()));
after(() => h?.close());

test("an update with the same structure changes the drawn picture in place", async () => {
  const p = await h.open();
  await p.graph(1, answerOf(fixture("quickstart.json")));
  await p.page.evaluate(() => (document.querySelector('g.node[data-id="fitted"]').__before = true));
  const edited = fixture("quickstart.json");
  edited.nodes.find((n) => n.id === "fitted").op = "fit_faster";
  edited.clusters.find((c) => c.id === "for#1").label = "for lr in more_rates";
  edited.edges.find((e) => e.from === "data").type = "Table";
  const broken = edited.nodes.find((n) => n.id === "best");
  broken.broken = true;
  broken.diagnostics = [{ code: "E0205", severity: "error", message: "a message" }];
  const r = await p.graph(2, answerOf(edited));
  assert.deepEqual(r, { type: "rendered", seq: 2, nodes: 6, layoutMs: 0, relaidOut: false });
  const state = await p.page.evaluate(() => {
    const fitted = document.querySelector('g.node[data-id="fitted"]');
    return {
      same: fitted.__before === true,
      op: fitted.querySelector("text.sub").textContent,
      cluster: document.querySelector('g.cluster[data-id="for#1"] .cluster-label').textContent,
      broken: document.querySelector('g.node[data-id="best"]').classList.contains("broken"),
      labels: [...document.querySelectorAll("text.edge-label")].map((t) => t.textContent),
    };
  });
  assert.deepEqual({ ...state, labels: state.labels.includes("Table") }, { same: true, op: "fit_faster", cluster: "▾ for lr in more_rates · 3 items", broken: true, labels: true });
  // A new step is a new structure: laid out again.
  const added = fixture("quickstart.json");
  added.nodes.push({ id: "extra", kind: "step", label: "extra", op: "noop" });
  const again = await p.graph(3, answerOf(added));
  assert.equal(again.relaidOut, true);
  assert.equal(await p.page.$$eval('g.node[data-id="extra"]', (gs) => gs.length), 1);
  await p.close();
});

test("a late layout of an older graph is dropped", async () => {
  const p = await h.open();
  // The 300-step graph takes a while to lay out; the quickstart overtakes it.
  await p.send({ type: "graph", seq: 1, uri: "file:///work/s.mlf", answer: answerOf(fixture("synthetic-300.json.gz")), mode: "full", settings: { collapseAbove: 40, focusHops: 2 } });
  const r = await p.graph(2, answerOf(fixture("quickstart.json")));
  assert.equal(r.nodes, 6);
  // Give the older layout time to arrive, were it not dropped.
  await p.page.waitForTimeout(1500);
  const rendered = (await p.posted()).filter((m) => m.type === "rendered");
  assert.deepEqual(rendered.map((m) => m.seq), [2]);
  assert.equal(await p.page.$$eval("g.node", (gs) => gs.length), 6);
  await p.close();
});

test("the 300-step pipeline is drawn whole", async () => {
  const p = await h.open({ width: 1200, height: 900 });
  const graph = fixture("synthetic-300.json.gz");
  const r = await p.graph(1, answerOf(graph));
  assert.equal(r.nodes, graph.nodes.length);
  assert.equal(await p.page.$$eval("g.node.step", (gs) => gs.length), graph.nodes.length);
  assert.equal(await p.page.$$eval("g.cluster", (gs) => gs.length), graph.clusters.length);
  assert.equal(await p.page.$eval("#progress", (e) => e.hidden), true);
  await p.screenshot("synthetic-300-full");
  await p.close();
});

test("the 5,000-step pipeline opens in focus view with no long task over 200 ms", async () => {
  // The language server's focus answer (two hops around a step in the middle).
  const focus = fixture("synthetic-5000-focus.json");
  const center = focus.focus;
  const p = await h.open();
  // Only what the graph message causes: not the page's own start-up.
  await p.page.evaluate(() => (window.__longTasks.length = 0));
  const r = await p.graph(1, focus, "focus");
  const drawn = await p.page.evaluate(() => ({
    nodes: document.querySelectorAll("g.node").length,
    stubs: [...document.querySelectorAll("g.node.stub text.line")].map((t) => t.textContent),
    focus: document.querySelector("g.node.focus")?.dataset.id,
    counts: document.querySelector("#counts").textContent,
  }));
  const longTasks = await p.page.evaluate(() => window.__longTasks);
  await p.screenshot("synthetic-5000-focus");
  assert.equal(r.nodes, drawn.nodes);
  assert.equal(drawn.focus, center);
  assert.ok(drawn.stubs.length > 0 && drawn.stubs.every((s) => /^\+\d+$/.test(s)), drawn.stubs.join());
  assert.match(drawn.counts, /of 5,461 steps shown$/);
  assert.deepEqual(longTasks.filter((t) => t.duration > 200), [], JSON.stringify(longTasks));
  // A click on a stub asks for the view around the step it belongs to.
  await p.page.click("g.node.stub rect.shape");
  const asked = (await p.posted()).filter((m) => m.type === "focus").at(-1);
  assert.ok(asked && focus.graph.nodes.some((n) => n.id === asked.node));
  await p.close();
});

test("a worker stuck on a layout nobody wants is replaced, and the new graph drawn", async () => {
  const p = await h.open();
  // A 2,500-step layered graph, made in the page: its layout takes seconds.
  await p.page.evaluate(() => {
    const nodes = [];
    const edges = [];
    for (let i = 0; i < 2500; i++) {
      nodes.push({ id: `s${i}`, kind: "step", label: `s${i}`, op: "op" });
      for (const d of [7, 11, 13]) if (i >= d) edges.push({ id: `e${i}_${d}`, from: `s${i - d}`, to: `s${i}`, kind: "data", type: "T" });
    }
    const graph = { pipeline: "big", file: "big.mlf", nodes, edges, clusters: [] };
    window.postMessage({ type: "graph", seq: 1, uri: "file:///big.mlf", answer: { pipeline: "big", graph, stale: false }, mode: "full", settings: { collapseAbove: 40, focusHops: 2 } }, "*");
  });
  await p.page.waitForSelector("#progress:not([hidden])");
  assert.match(await p.page.$eval("#progress .text", (t) => t.textContent), /^Laying out 2,500 nodes… \d+ s$/);
  // Only a layout older than REPLACE_AFTER_MS (0.6 s) is abandoned: wait until it has run 1 s.
  await p.page.waitForFunction(() => /… [1-9]\d* s$/.test(document.querySelector("#progress .text")?.textContent ?? ""), null, { timeout: 60_000 });
  const r = await p.graph(2, answerOf(fixture("quickstart.json")));
  assert.equal(r.nodes, 6);
  assert.equal(await p.page.$eval("#progress", (e) => e.hidden), true);
  // The first worker was stopped and a second one started from the same blob: URL script.
  assert.equal(p.requests.filter((url) => url.startsWith(`blob:${h.origin}/`)).length, 2);
  assert.deepEqual((await p.posted()).filter((m) => m.type === "rendered").map((m) => m.seq), [2]);
  await p.close();
});
