import { test } from "node:test";
import assert from "node:assert/strict";
import type { GraphAnswer } from "../../../src/protocol";
import { buildView } from "../../../webview/src/lod";
import { edgeKey, pinnedScene, PIN_LIMIT } from "../../../webview/src/pin";
import type { Scene } from "../../../webview/src/scene";
import { answer, clone } from "./fixtures";

const settings = { collapseAbove: 40, focusHops: 2 };
const view = (a: GraphAnswer) => buildView(a, "full", settings, new Map(), true);

/** A made-up layout: each node in a row of its own, each cluster around its nodes. */
function laidOut(a: GraphAnswer): Scene {
  const v = view(a);
  const nodes = v.nodes.map((_, i) => ({ x: 100, y: 40 + i * 60, w: 80, h: 40 }));
  return {
    width: 300,
    height: 40 + v.nodes.length * 60,
    nodes,
    edges: v.edges.map(() => ({ path: "M0,0C0,1 0,2 0,3", arrow: null, label: null })),
    clusters: v.clusters.map((c) => {
      const inside = v.nodes.map((n, i) => [n, nodes[i]] as const).filter(([n]) => n.parent === c.id).map(([, b]) => b);
      const top = Math.min(...inside.map((b) => b.y - b.h / 2)) - 20;
      const bottom = Math.max(...inside.map((b) => b.y + b.h / 2)) + 8;
      return { x: 40, y: top, w: 200, h: bottom - top, label: [60, top + 10] as [number, number] };
    }),
  };
}

function withStep(a: GraphAnswer, id: string, from: string | null, cluster?: string): GraphAnswer {
  const b = clone(a);
  b.graph.nodes.push({ id, kind: "step", label: id, op: "score", cluster, inputs: [{ name: "model", type: "Model" }], outputs: [{ name: "mse", type: "float" }] });
  if (from) b.graph.edges.push({ id: `data:${from}.model->${id}.model`, from, to: id, kind: "data", label: "model", input: "model", type: "Model" });
  return b;
}

test("a step added after an edit: every drawn node keeps its place, the new one goes below what it reads", () => {
  const before = answer("quickstart.json");
  const scene = laidOut(before);
  const drawn = view(before);
  const after = withStep(before, "again", "best");
  const next = view(after);
  const pinned = pinnedScene(drawn, scene, next)!;
  assert.ok(pinned);
  drawn.nodes.forEach((n, i) => assert.deepEqual(pinned.nodes[next.nodes.findIndex((m) => m.id === n.id)], scene.nodes[i], n.id));
  const best = scene.nodes[drawn.nodes.findIndex((n) => n.id === "best")]!;
  const again = pinned.nodes[next.nodes.findIndex((n) => n.id === "again")]!;
  assert.ok(again.y - again.h / 2 > best.y + best.h / 2, "below best");
  // Nothing else is under it.
  for (const b of pinned.nodes) if (b && b !== again) assert.ok(Math.abs(b.x - again.x) * 2 >= b.w + again.w || Math.abs(b.y - again.y) * 2 >= b.h + again.h, "no overlap");
  // Old edges keep their paths; the new one is drawn.
  const old = new Map(drawn.edges.map((e, i) => [edgeKey(e), scene.edges[i]]));
  next.edges.forEach((e, i) => {
    if (old.has(edgeKey(e))) assert.equal(pinned.edges[i], old.get(edgeKey(e)));
    else assert.match(pinned.edges[i]!.path, /^M[\d.]+,[\d.]+C/);
  });
});

test("a dropped step with no inputs goes where it was dropped; a block it was dropped in grows around it", () => {
  const before = answer("quickstart.json");
  const scene = laidOut(before);
  const drawn = view(before);
  const frame = scene.clusters[drawn.clusters.findIndex((c) => c.id === "for#1")]!;
  const next = view(withStep(before, "extra", null, "for#1"));
  const pinned = pinnedScene(drawn, scene, next, { x: 500, y: 100 })!;
  const box = pinned.nodes[next.nodes.findIndex((n) => n.id === "extra")]!;
  assert.deepEqual([box.x, box.y], [500, 100]);
  const grown = pinned.clusters[next.clusters.findIndex((c) => c.id === "for#1")]!;
  assert.ok(grown.x <= frame.x && grown.x + grown.w >= box.x + box.w / 2 && grown.y <= box.y - box.h / 2, "the frame holds the new step");
  assert.ok(pinned.width >= box.x + box.w / 2);
});

test("a renamed step keeps its box", () => {
  const before = answer("quickstart.json");
  const scene = laidOut(before);
  const drawn = view(before);
  const after = clone(before);
  const node = after.graph.nodes.find((n) => n.id === "best")!;
  node.id = node.label = "winner";
  for (const e of after.graph.edges) {
    if (e.from === "best") e.from = "winner";
    if (e.to === "best") e.to = "winner";
  }
  const next = view(after);
  const pinned = pinnedScene(drawn, scene, next)!;
  const was = scene.nodes[drawn.nodes.findIndex((n) => n.id === "best")]!;
  const now = pinned.nodes[next.nodes.findIndex((n) => n.id === "winner")]!;
  assert.deepEqual([now.x, now.y], [was.x, was.y]);
});

test("a new block, or more new steps than an edit makes, is laid out anew", () => {
  const before = answer("quickstart.json");
  const scene = laidOut(before);
  const drawn = view(before);
  const wrapped = clone(before);
  wrapped.graph.clusters.push({ id: "if#2", kind: "if", label: "if x" });
  wrapped.graph.nodes.find((n) => n.id === "data")!.cluster = "if#2";
  assert.equal(pinnedScene(drawn, scene, view(wrapped)), null);
  let many = before;
  for (let i = 0; i <= PIN_LIMIT; i++) many = withStep(many, `s${i}`, null);
  assert.equal(pinnedScene(drawn, scene, view(many)), null);
  // An empty picture has nothing to keep.
  const empty = answer("quickstart.json");
  empty.graph = { ...empty.graph, nodes: [], edges: [], clusters: [] };
  assert.equal(pinnedScene(view(empty), { width: 0, height: 0, nodes: [], edges: [], clusters: [] }, view(before)), null);
});

test("a drop lands in the innermost block under it, or a collapsed block's node; else the body", async () => {
  const { blockAt } = await import("../../../webview/src/editing");
  const a = answer("quickstart.json");
  const v = view(a);
  const frames = new Map([
    ["for#1", { x: 0, y: 100, w: 200, h: 100 }],
    ["if#1", { x: 0, y: 300, w: 200, h: 100 }],
  ]);
  const boxes = new Map<string, { x: number; y: number; w: number; h: number }>();
  assert.equal(blockAt(v, frames, boxes, { x: 50, y: 150 }), "for#1");
  assert.equal(blockAt(v, frames, boxes, { x: 50, y: 350 }), "if#1");
  assert.equal(blockAt(v, frames, boxes, { x: 50, y: 250 }), null);
  const collapsed = buildView(a, "overview", settings, new Map(), true);
  const node = collapsed.nodes.find((n) => n.kind === "collapsed")!;
  boxes.set(node.id, { x: 500, y: 500, w: 80, h: 40 });
  assert.equal(blockAt(collapsed, new Map(), boxes, { x: 510, y: 505 }), node.id);
});
