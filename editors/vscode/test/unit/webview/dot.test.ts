import { test } from "node:test";
import assert from "node:assert/strict";
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { dotLines, dotString, toDot, tuning } from "../../../webview/src/dot";
import { buildView } from "../../../webview/src/lod";
import { sceneFromLayout } from "../../../webview/src/scene";
import { answer } from "./fixtures";

const settings = { collapseAbove: 40, focusHops: 2 };
const HOSTILE = ['<script>alert(1)</script>', '"', "\\", "{}", "]]>", 'a\\"b', "\\N\\G\\L", "&amp;&lt;", "end\\", "x\u0001y\nz", "ünï 🎉", "}; n9 -> n0; {"];

test("dotString escapes quotes, backslashes, entities and control characters", () => {
  assert.equal(dotString('say "hi"'), '"say \\"hi\\""');
  assert.equal(dotString("a\\b"), '"a\\\\b"');
  assert.equal(dotString("a\\"), '"a\\\\"');
  assert.equal(dotString("&lt;"), '"&amp;lt;"');
  assert.equal(dotString("a\nb\tc\u0000d"), '"a b c d"');
  assert.equal(dotString("<b>]]>{}"), '"<b>]]>{}"');
  assert.equal(dotLines(["x", 'y"']), '"x\\ny\\""');
});

test("hostile labels stay inside their strings: Graphviz sees exactly the nodes and clusters made", async () => {
  const gv = await Graphviz.load();
  const a = answer("quickstart.json");
  a.graph.nodes.forEach((n, i) => {
    n.label = HOSTILE[i % HOSTILE.length];
    n.op = HOSTILE[(i + 3) % HOSTILE.length];
  });
  a.graph.clusters.forEach((c, i) => (c.label = HOSTILE[(i + 5) % HOSTILE.length]));
  a.graph.edges.forEach((e, i) => (e.type = HOSTILE[(i + 7) % HOSTILE.length]));
  const view = buildView(a, "full", settings);
  const dot = toDot(view);
  for (const n of a.graph.nodes) assert.ok(!dot.includes(`${n.id} [`), "model ids are never DOT names");
  const scene = sceneFromLayout(JSON.parse(gv.layout(dot, "json0" as "json", "dot")));
  assert.equal(scene.nodes.filter(Boolean).length, view.nodes.length);
  assert.equal(scene.clusters.filter(Boolean).length, view.clusters.length);
  assert.equal(scene.edges.filter(Boolean).length, view.edges.length);
  // Graphviz's own parse of the DOT agrees on the count of nodes: no label ended its string.
  const canon = gv.layout(dot, "dot_json" as "json", "dot");
  assert.equal(JSON.parse(canon).objects.filter((o: { name: string }) => /^n\d+$/.test(o.name)).length, view.nodes.length);
});

test("clusters nest as DOT subgraphs; a collapsed one is a node, not a subgraph", () => {
  const expanded = toDot(buildView(answer("synthetic-300.json.gz"), "full", settings));
  const view = buildView(answer("synthetic-300.json.gz"), "full", settings);
  const nested = view.clusters.filter((c) => c.parent !== undefined);
  assert.ok(nested.length > 0);
  // The subgraph of a nested cluster opens inside its parent's.
  for (const c of nested.slice(0, 5)) {
    const i = view.clusters.indexOf(c);
    const p = view.clusters.findIndex((x) => x.id === c.parent);
    const open = expanded.indexOf(`subgraph cluster_${p} {`);
    const inner = expanded.indexOf(`subgraph cluster_${i} {`);
    assert.ok(open >= 0 && inner > open, `${c.id} inside ${c.parent}`);
    const indent = (at: number) => at - expanded.lastIndexOf("\n", at) - 1;
    assert.ok(indent(inner) > indent(open));
  }
  const quick = buildView(answer("quickstart.json"), "full", settings, new Map([["for#1", false]]));
  const dot = toDot(quick);
  const loop = quick.nodes.findIndex((n) => n.id === "for#1");
  assert.match(dot, new RegExp(`n${loop} \\[id="n${loop}", class="node collapsed", label="for lr in rates · 3 items\\\\n2 steps ▸"`));
  assert.equal((dot.match(/subgraph cluster_/g) ?? []).length, 1);
});

test("edges into an expanded cluster are clipped at its border (lhead/ltail)", () => {
  const view = buildView(answer("quickstart.json"), "full", settings);
  const dot = toDot(view);
  const ifCluster = view.clusters.findIndex((c) => c.id === "if#1");
  assert.match(dot, new RegExp(`lhead=cluster_${ifCluster}`));
  const nightly = buildView(answer("nightly.json"), "full", settings);
  assert.match(toDot(nightly), /ltail=cluster_0/);
});

test("edge labels only when the view says so; tuning only for big layouts", () => {
  const view = buildView(answer("quickstart.json"), "full", settings);
  assert.match(toDot(view), /label="Dataset"/);
  assert.doesNotMatch(toDot({ ...view, edgeLabels: false }), /label="Dataset"/);
  assert.deepEqual(tuning(300), []);
  assert.ok(tuning(3000).length > 0);
});
