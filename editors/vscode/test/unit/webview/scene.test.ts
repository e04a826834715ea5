import { test } from "node:test";
import assert from "node:assert/strict";
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { toDot } from "../../../webview/src/dot";
import { buildView } from "../../../webview/src/lod";
import { sceneFromLayout } from "../../../webview/src/scene";
import { answer } from "./fixtures";

test("a real layout becomes boxes, routes and cluster frames in view order, y pointing down", async () => {
  const gv = await Graphviz.load();
  const view = buildView(answer("quickstart.json"), "full", { collapseAbove: 40, focusHops: 2 });
  const scene = sceneFromLayout(JSON.parse(gv.layout(toDot(view), "json0" as "json", "dot")));
  assert.equal(scene.nodes.length, view.nodes.length);
  assert.ok(scene.width > 0 && scene.height > 0);
  const box = (id: string) => scene.nodes[view.nodes.findIndex((n) => n.id === id)]!;
  // data feeds parts feeds the loop: top to bottom.
  assert.ok(box("data").y < box("parts").y && box("parts").y < box("fitted").y);
  for (const [i, c] of view.clusters.entries()) {
    const frame = scene.clusters[i]!;
    for (const [j, n] of view.nodes.entries()) {
      if (n.parent !== c.id) continue;
      const b = scene.nodes[j]!;
      assert.ok(b.x - b.w / 2 >= frame.x && b.x + b.w / 2 <= frame.x + frame.w, `${n.id} inside ${c.id} (x)`);
      assert.ok(b.y - b.h / 2 >= frame.y && b.y + b.h / 2 <= frame.y + frame.h, `${n.id} inside ${c.id} (y)`);
    }
    assert.ok(frame.label !== null);
  }
  for (const e of scene.edges) {
    assert.ok(e);
    assert.match(e.path, /^M[\d.-]+,[\d.-]+(C[\d.,\s-]+)+$/);
    assert.ok(e.arrow === null || e.arrow.split(" ").length === 3);
  }
  assert.ok(scene.edges.some((e) => e?.label !== null), "labelled edges have label positions");
});

test("layout JSON without positions or with foreign names is skipped, not trusted", () => {
  const scene = sceneFromLayout({
    bb: "0,0,100,50",
    objects: [{ name: "n0", pos: "10,10", width: "1", height: "0.5" }, { name: "n1" }, { name: "x5", pos: "1,1", width: "1", height: "1" }, { name: "cluster_0", bb: "bad" }],
    edges: [{ id: "e0", pos: "e,1,1 2,2" }, { id: "zzz", pos: "0,0 1,1 2,2 3,3" }, { id: "e1", pos: "s,0,0 e,9,9 0,0 1,1 2,2 3,3" }],
  });
  assert.deepEqual(scene.nodes, [{ x: 10, y: 40, w: 72, h: 36 }]);
  assert.deepEqual(scene.clusters, []);
  assert.equal(scene.edges[0], null);
  assert.equal(scene.edges[1]?.path, "M0,50C1,49 2,48 3,47");
  assert.ok(scene.edges[1]?.arrow);
});
