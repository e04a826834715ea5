import { test } from "node:test";
import assert from "node:assert/strict";
import { ago, duration, lineageGraph, lineageStatuses, runLabel, stepAddress, stepLabel, valueText, type Lineage } from "../../src/runs/model";

test("element paths read as the CLI writes them", () => {
  assert.equal(stepAddress("fit", ""), "fit");
  assert.equal(stepAddress("fit", "2"), "fit[2]");
  assert.equal(stepAddress("fit", "1.0"), "fit[1,0]");
});

test("durations and ages for people", () => {
  assert.equal(duration(1000, 1250), "250 ms");
  assert.equal(duration(0, 5), "5 ms");
  assert.equal(duration(null, 5), "");
  assert.equal(duration(1000, null), "");
  assert.equal(duration(1000, 4500), "3.5 s");
  assert.equal(duration(1000, 1000 + 125_000), "2 min 5 s");
  assert.equal(ago(0, 30_000), "just now");
  assert.equal(ago(0, 5 * 60_000), "5 min ago");
  assert.equal(ago(0, 3 * 3_600_000), "3 h ago");
  assert.equal(ago(0, 2 * 86_400_000), "2 d ago");
});

test("run and step labels", () => {
  const run = { id: 3, pipeline: "quickstart", file: "q.mlf", status: "failed", started_ms: 1000, ended_ms: 1700 };
  assert.deepEqual(runLabel(run, 1000 + 120_000), { label: "#3 quickstart", description: "failed · 700 ms · 2 min ago" });
  const cached = { attempt: { id: 1, step: "fit", element: "1", attempt: 1, status: "succeeded", cached_from: 2 }, metrics: [], outputs: [] };
  assert.deepEqual(stepLabel(cached), { label: "fit[1]", description: "cached from #2" });
  const retried = { attempt: { id: 2, step: "best", element: "", attempt: 3, status: "failed", started_ms: 0, ended_ms: 2000 }, metrics: [], outputs: [] };
  assert.deepEqual(stepLabel(retried), { label: "best", description: "failed · 2.0 s · attempt 3" });
  assert.equal(valueText("x".repeat(100)).length, 78);
  assert.equal(valueText([1, 2]), "[1,2]");
});

const hostile = '<script>alert("x")</script>';
const lineage: Lineage = {
  root: "1/release.bundle",
  direction: "upstream",
  nodes: [
    { id: "artifact:ee", type: "artifact", name: hostile, hash: "ee", kind: "dir", type_name: "Dir", size: 70 },
    { id: "attempt:10", type: "attempt", name: "release", step: "release", element: "", run_id: 1, status: "succeeded", cached_from: null },
    { id: "attempt:5", type: "attempt", name: "fitted", step: "fitted", element: "2", run_id: 1, status: "succeeded", cached_from: 1 },
    { id: "attempt:6", type: "attempt", name: "x", step: "x", element: "", run_id: 1, status: "weird" },
  ],
  edges: [
    { from: "attempt:10", to: "artifact:ee", label: "bundle" },
    { from: "attempt:5", to: "attempt:10", label: "model" },
  ],
};

test("lineage becomes a graph the preview page draws; names stay data (escaping is the page's)", () => {
  const g = lineageGraph(lineage);
  assert.deepEqual(g.nodes.map((n) => [n.id, n.kind, n.label]), [
    ["artifact:ee", "artifact", hostile],
    ["attempt:10", "step", "release"],
    ["attempt:5", "step", "fitted[2]"],
    ["attempt:6", "step", "x"],
  ]);
  assert.equal(g.nodes[0].op, "Dir · 70 B");
  assert.equal(g.nodes[2].op, "run #1 (cached from #1)");
  assert.deepEqual(g.edges.map((e) => [e.from, e.to, e.label]), [["attempt:10", "artifact:ee", "bundle"], ["attempt:5", "attempt:10", "model"]]);
  assert.equal(new Set(g.edges.map((e) => e.id)).size, g.edges.length);
});

test("lineage statuses: attempts only, cached ones as cached, unknown statuses left out", () => {
  assert.deepEqual(lineageStatuses(lineage), { "attempt:10": { status: "succeeded" }, "attempt:5": { status: "cached" } });
});
