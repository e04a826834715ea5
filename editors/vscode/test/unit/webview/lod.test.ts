import { test } from "node:test";
import assert from "node:assert/strict";
import { Adjacency, buildView, clusterTitle, focusAnswer, focusOf, isCollapsed, structureKey } from "../../../webview/src/lod";
import type { GraphAnswer } from "../../../src/protocol";
import { answer, clone, model } from "./fixtures";

const settings = { collapseAbove: 40, focusHops: 2 };

test("the full quickstart draws every step, both clusters and typed edges", () => {
  const view = buildView(answer("quickstart.json"), "full", settings);
  assert.deepEqual(
    view.nodes.map((n) => [n.id, n.kind, n.parent ?? null, n.subtitle]),
    [
      ["data", "step", null, "make_data"],
      ["parts", "step", null, "split"],
      ["fitted", "step", "for#1", "fit"],
      ["check", "step", "for#1", "score"],
      ["best", "step", null, "pick_best"],
      ["release", "step", "if#1", "publish"],
    ],
  );
  assert.deepEqual(
    view.clusters.map((c) => [c.id, c.title, c.steps]),
    [
      ["for#1", "for lr in rates · 3 items", 2],
      ["if#1", "if best.mse <= max_mse", 1],
    ],
  );
  assert.equal(view.edges.find((e) => e.from === "data" && e.to === "parts")?.label, "Dataset");
  // The condition's control edge goes into the `if` cluster, clipped at its border.
  const control = view.edges.find((e) => e.kind === "control");
  assert.deepEqual([control?.from, control?.to, control?.toCluster], ["best", "release", "if#1"]);
  assert.equal(view.visibleSteps, 6);
  assert.equal(view.totalSteps, 6);
  assert.equal(view.nodes[2].tooltip, "fitted = fit(…)\nin: data: Dataset, lr: float\nout: model: Model");
});

test("cluster titles carry the list and its size, the condition, the sub-pipeline's callee", () => {
  assert.equal(clusterTitle({ id: "f", kind: "for", label: "for x in xs", size: 1 }), "for x in xs · 1 item");
  assert.equal(clusterTitle({ id: "f", kind: "for", label: "for x in xs" }), "for x in xs");
  assert.equal(clusterTitle({ id: "i", kind: "if", label: "if a > b" }), "if a > b");
  assert.equal(clusterTitle({ id: "te", kind: "pipeline", label: "te", source: "train_eval" }), "te: train_eval");
});

test("a collapsed cluster is one node; edges into it are merged and never loop back", () => {
  const view = buildView(answer("quickstart.json"), "full", { collapseAbove: 1, focusHops: 2 });
  const loop = view.nodes.find((n) => n.id === "for#1");
  assert.equal(loop?.kind, "collapsed");
  assert.equal(loop?.steps, 2);
  assert.equal(loop?.subtitle, "2 steps ▸");
  assert.equal(view.shownAs.get("fitted"), "for#1");
  assert.equal(view.shownAs.get("check"), "for#1");
  // if#1 holds one step: not above the limit, still expanded.
  assert.deepEqual(view.clusters.map((c) => c.id), ["if#1"]);
  const into = view.edges.filter((e) => e.from === "parts" && e.to === "for#1");
  assert.equal(into.length, 1);
  assert.equal(into[0].count, 2);
  assert.equal(into[0].label, "Dataset ×2");
  assert.ok(view.edges.every((e) => e.from !== e.to), "no self-loops");
  // fitted → check is inside the collapsed loop: gone.
  assert.ok(!view.edges.some((e) => e.from === "fitted" || e.to === "check"));
});

test("collapse decisions: the user's toggle wins, then the focus centre's clusters stay open; the overview collapses all", () => {
  const none = new Map<string, boolean>();
  assert.equal(isCollapsed("c", 41, "full", settings, none, new Set()), true);
  assert.equal(isCollapsed("c", 40, "full", settings, none, new Set()), false);
  assert.equal(isCollapsed("c", 41, "focus", settings, none, new Set()), true);
  assert.equal(isCollapsed("c", 41, "focus", settings, none, new Set(["c"])), false);
  assert.equal(isCollapsed("c", 1, "overview", settings, none, new Set()), true);
  assert.equal(isCollapsed("c", 50, "overview", settings, new Map([["c", true]]), new Set()), false);
  assert.equal(isCollapsed("c", 2, "full", settings, new Map([["c", false]]), new Set()), true);
});

test("a collapsed sub-pipeline takes the edges of its steps and the `after` edge from it", () => {
  const expanded = buildView(answer("nightly.json"), "full", settings);
  assert.deepEqual(buildView(answer("nightly.json"), "overview", settings).clusters, [], "the overview collapses it");
  const after = expanded.edges.find((e) => e.kind === "after");
  assert.equal(after?.fromCluster, "te");
  assert.equal(after?.to, "done");
  const collapsed = buildView(answer("nightly.json"), "full", settings, new Map([["te", false]]));
  assert.deepEqual(collapsed.nodes.map((n) => n.id), ["feats", "parts", "te", "done"]);
  assert.deepEqual(
    collapsed.edges.map((e) => [e.from, e.to, e.kind, e.fromCluster ?? null]),
    [
      ["feats", "parts", "data", null],
      ["parts", "te", "data", null],
      ["te", "done", "after", null],
    ],
  );
});

test("the structure key ignores texts, broken marks and diagnostics, and sees everything else", () => {
  const base = answer("quickstart.json");
  const key = buildView(base, "full", settings).key;

  const texts = clone(base);
  texts.graph.nodes[2].op = "fit_faster";
  texts.graph.nodes[3].broken = true;
  texts.graph.nodes[3].diagnostics = [{ code: "E0205", severity: "error", message: "no output `tset`" }];
  texts.graph.clusters[0].label = "for lr in other_rates";
  texts.graph.clusters[0].size = 7;
  texts.graph.edges[0].type = "Table";
  assert.equal(buildView(texts, "full", settings).key, key);

  const added = clone(base);
  added.graph.nodes.push({ ...added.graph.nodes[0], id: "extra" });
  assert.notEqual(buildView(added, "full", settings).key, key);

  const rewired = clone(base);
  rewired.graph.edges.pop();
  assert.notEqual(buildView(rewired, "full", settings).key, key);

  const moved = clone(base);
  delete moved.graph.nodes[5].cluster;
  assert.notEqual(buildView(moved, "full", settings).key, key);

  assert.notEqual(buildView(base, "full", settings, new Map([["for#1", false]])).key, key);
  // A label appearing where there was none changes the layout (it takes room).
  const unlabelled = buildView(base, "full", settings);
  unlabelled.edges[0].label = "";
  assert.notEqual(structureKey(unlabelled), key);
});

test("big views leave edge labels out of the layout", () => {
  const small = buildView(answer("quickstart.json"), "full", settings);
  assert.equal(small.edgeLabels, true);
  const big = buildView(answer("synthetic-300.json.gz"), "full", settings);
  assert.equal(big.edgeLabels, false);
  assert.ok(big.nodes.every((n) => n.kind !== "step" || /\nout: /.test(n.tooltip)), "types stay in the steps' tooltips");
});

test("a focus answer keeps the steps within N hops up and down and counts what it leaves out", () => {
  const full = answer("synthetic-300.json.gz");
  const adjacency = new Adjacency(full.graph);
  for (const center of ["s0_0", full.graph.nodes[150].id, full.graph.nodes[300].id]) {
    const focus = focusAnswer(full, center, 2, adjacency);
    assert.equal(focus.focus, center);
    assert.equal(focus.total?.nodes, full.graph.nodes.length);
    const kept = new Set(focus.graph.nodes.map((n) => n.id));
    // Everything within two hops in either direction is there, nothing else.
    const within = new Set([center]);
    for (const map of [adjacency.up, adjacency.down]) {
      let frontier = [center];
      for (let i = 0; i < 2; i++) frontier = frontier.flatMap((id) => [...(map.get(id) ?? [])]).filter((id) => (within.has(id) ? false : (within.add(id), true)));
    }
    assert.deepEqual([...kept].sort(), [...within].sort());
    for (const n of focus.graph.nodes) {
      const up = [...(adjacency.up.get(n.id) ?? [])].filter((id) => !kept.has(id)).length;
      const down = [...(adjacency.down.get(n.id) ?? [])].filter((id) => !kept.has(id)).length;
      assert.equal(n.hidden_up ?? 0, up, `hidden_up of ${n.id}`);
      assert.equal(n.hidden_down ?? 0, down, `hidden_down of ${n.id}`);
    }
    for (const e of focus.graph.edges) {
      const ids = new Set([...kept, ...focus.graph.clusters.map((c) => c.id)]);
      assert.ok(ids.has(e.from) && ids.has(e.to), `edge ${e.id} has both ends`);
    }
  }
});

test("the focus view draws +n stubs and keeps the centre's clusters open", () => {
  const full = answer("synthetic-5000.json.gz");
  const center = full.graph.nodes.find((n) => n.cluster !== undefined && n.hidden_up === undefined && full.graph.edges.some((e) => e.to === n.id))!;
  const focus = focusAnswer(full, center.id, 2);
  // Collapse everything with more than one step: the centre's clusters still open.
  const view = buildView(focus, "focus", { collapseAbove: 1, focusHops: 2 });
  assert.equal(view.nodes.find((n) => n.id === center.id)?.focus, true);
  assert.equal(view.shownAs.get(center.id), center.id);
  const stubs = view.nodes.filter((n) => n.kind === "stub");
  const hidden = focus.graph.nodes.reduce((sum, n) => sum + (n.hidden_up ?? 0) + (n.hidden_down ?? 0), 0);
  assert.ok(hidden > 0, "the 5,000-step graph has more than two hops around the centre");
  assert.equal(stubs.reduce((sum, s) => sum + s.stub!.count, 0), hidden);
  for (const s of stubs) {
    assert.match(s.title, /^\+\d+$/);
    const edge = view.edges.find((e) => e.kind === "stub" && (e.from === s.id || e.to === s.id));
    assert.ok(edge, `stub ${s.id} is attached`);
  }
  assert.equal(view.totalSteps, full.graph.nodes.length);
  assert.ok(view.nodes.length < 200, `a focus view is small (${view.nodes.length} nodes)`);
});

test("bad input: unknown clusters and edge ends, parent cycles", () => {
  const a = answer("quickstart.json");
  a.graph.nodes[0].cluster = "nowhere";
  a.graph.edges.push({ id: "x", from: "ghost", to: "data", kind: "data" });
  a.graph.clusters.push({ id: "loop1", kind: "if", label: "a", parent: "loop2" }, { id: "loop2", kind: "if", label: "b", parent: "loop1" });
  a.graph.nodes[1].cluster = "loop1";
  const view = buildView(a, "overview", { collapseAbove: 0, focusHops: 2 });
  assert.equal(view.nodes.find((n) => n.id === "data")?.parent, undefined);
  assert.ok(!view.edges.some((e) => e.id === "x"));
  assert.ok(view.nodes.some((n) => n.id === "loop2" || n.id === "loop1"));
});

test("an answer with `focus: null` (as the server writes it) is a whole graph", () => {
  const whole = { ...answer("quickstart.json"), focus: null as unknown as string };
  assert.equal(focusOf(whole), undefined);
  assert.equal(buildView(whole, "full", settings).focus, undefined);
  assert.equal(focusOf({ ...whole, focus: "parts" }), "parts");
});

test("focus neighbours follow data and `after` edges, not control edges", () => {
  const a = answer("quickstart.json");
  // Without its data edge from `best`, `release` depends on `best` only through the
  // condition of its `if` block: not a neighbour.
  a.graph.edges = a.graph.edges.filter((e) => !(e.kind === "data" && e.to === "release"));
  const adjacency = new Adjacency(a.graph);
  assert.equal(adjacency.up.get("release"), undefined);
  assert.deepEqual([...(adjacency.down.get("best") ?? [])], []);
  const focus = focusAnswer(a, "best", 1, adjacency);
  assert.ok(!focus.graph.nodes.some((n) => n.id === "release"));
  // `after te` stands for every step of the sub-pipeline.
  const nightly = new Adjacency(answer("nightly.json").graph);
  assert.deepEqual([...(nightly.up.get("done") ?? [])].sort(), ["te.eval", "te.fit"]);
});

test("the page's focus subgraph is the language server's", () => {
  const served = model("synthetic-5000-focus.json") as unknown as GraphAnswer;
  const made = focusAnswer(answer("synthetic-5000.json.gz"), served.focus!, 2);
  const summary = (a: GraphAnswer) => ({
    nodes: a.graph.nodes.map((n) => [n.id, n.hidden_up ?? 0, n.hidden_down ?? 0]),
    edges: a.graph.edges.map((e) => e.id),
    clusters: a.graph.clusters.map((c) => c.id),
    focus: a.focus,
    total: a.total,
  });
  assert.deepEqual(summary(made), summary(served));
});
