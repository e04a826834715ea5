import { test } from "node:test";
import assert from "node:assert/strict";
import { assignableText, parseType, Placement } from "../../../webview/src/compat";
import { model } from "./fixtures";

test("types as the graph writes them parse; anything else is null", () => {
  assert.deepEqual(parseType("list<Model>"), { kind: "list", elem: { kind: "artifact", name: "Model" } });
  assert.deepEqual(parseType("float?"), { kind: "optional", inner: { kind: "float" } });
  assert.deepEqual(parseType("list<int?>?"), { kind: "optional", inner: { kind: "list", elem: { kind: "optional", inner: { kind: "int" } } } });
  assert.equal(parseType("list<"), null);
  assert.equal(parseType("a b"), null);
});

test("the checker's rule: same type, T into T?, int into float, subkinds, lists element-wise", () => {
  const yes: [string, string][] = [
    ["Dataset", "Dataset"],
    ["Dataset", "File"],
    ["Model", "Model?"],
    ["int", "float"],
    ["list<int>", "list<float>"],
    ["list<Model>", "list<File>"],
    ["float?", "float?"],
    ["unknown", "Model"],
    // A kind declared in a file comes without its parents: the server decides.
    ["Features", "Dataset"],
  ];
  const no: [string, string][] = [
    ["Dataset", "Model"],
    ["File", "Dataset"],
    ["Dir", "File"],
    ["float", "int"],
    ["Model?", "Model"],
    ["Model", "list<Model>"],
    ["list<Model>", "Model"],
    ["string", "int"],
    ["Model", "float"],
  ];
  for (const [from, to] of yes) assert.equal(assignableText(from, to), true, `${from} → ${to}`);
  for (const [from, to] of no) assert.equal(assignableText(from, to), false, `${from} → ${to}`);
});

test("an output seen from outside its `for` is a list, from outside its `if` an option", () => {
  const p = new Placement(model("quickstart.json"));
  // fitted is in for#1: best reads a list of models, check (same block) one model.
  assert.equal(p.seenFrom("fitted", "Model", "best"), "list<Model>");
  assert.equal(p.seenFrom("fitted", "Model", "check"), "Model");
  assert.equal(p.seenFrom("release", "Dir", "best"), "Dir?");
  assert.equal(p.canConnect("fitted", "Model", "best", "list<Model>"), true);
  assert.equal(p.canConnect("fitted", "Model", "release", "Model"), false);
  assert.equal(p.canConnect("best", "Model", "release", "Model"), true);
  assert.equal(p.canConnect("best", "Model", "best", "list<Model>"), false, "not into itself");
});

test("steps inside a sub-pipeline are not connected from outside it", () => {
  const m = model("nightly.json");
  const inner = m.nodes.find((n) => n.cluster === "te")!;
  const outer = m.nodes.find((n) => n.cluster === undefined)!;
  const p = new Placement(m);
  assert.equal(p.seenFrom(outer.id, "Dataset", inner.id), null);
  assert.equal(p.seenFrom(inner.id, "Dataset", outer.id), null);
});
