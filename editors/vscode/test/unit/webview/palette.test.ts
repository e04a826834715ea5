import { test } from "node:test";
import assert from "node:assert/strict";
import type { CatalogOp } from "../../../src/protocol";
import { filterOps, signatureLine } from "../../../webview/src/palette";

const op = (name: string, doc: string | null, inputs: [string, string][] = [], outputs: [string, string][] = []): CatalogOp => ({
  name,
  kind: "op",
  file: "file:///w/ops.mlf",
  doc,
  inputs: inputs.map(([n, type]) => ({ name: n, type, required: true, default: null })),
  outputs: outputs.map(([n, type]) => ({ name: n, type })),
  import: null,
});

const ops = [op("score", "Mean squared error", [["model", "Model"]], [["mse", "float"]]), op("fit", "Fits a line", [["data", "Dataset"]], [["model", "Model"]]), op("ops.fit_tree", null)];
const elsewhere = { ...op("other.fit_all", "Fits them all"), import: "other.mlf" };

test("the palette filters on every word, in names, docs and port types; names starting with the query first", () => {
  assert.deepEqual(filterOps(ops, "").map((o) => o.name), ["fit", "ops.fit_tree", "score"]);
  assert.deepEqual(filterOps(ops, "fit").map((o) => o.name), ["fit", "ops.fit_tree"]);
  assert.deepEqual(filterOps(ops, "model").map((o) => o.name), ["fit", "score"]);
  assert.deepEqual(filterOps(ops, "SQUARED error").map((o) => o.name), ["score"]);
  assert.deepEqual(filterOps(ops, "dataset line").map((o) => o.name), ["fit"]);
  assert.deepEqual(filterOps(ops, "nothing like it"), []);
  // Ops the file can call without a new import come first.
  assert.deepEqual(filterOps([elsewhere, ...ops], "fit").map((o) => o.name), ["fit", "ops.fit_tree", "other.fit_all"]);
  assert.deepEqual(filterOps([elsewhere, ...ops], "").map((o) => o.name), ["fit", "ops.fit_tree", "score", "other.fit_all"]);
});

test("an op's signature in one line, with defaults", () => {
  const o = op("split", null, [["data", "Dataset"]], [["train", "Dataset"]]);
  o.inputs.push({ name: "test_share", type: "float", required: false, default: "0.25" });
  assert.equal(signatureLine(o), "(data: Dataset, test_share: float = 0.25) -> (train: Dataset)");
});
