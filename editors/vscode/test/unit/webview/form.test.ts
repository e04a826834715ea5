import { test } from "node:test";
import assert from "node:assert/strict";
import { fieldOf, fieldText, parseField } from "../../../webview/src/form";

test("a field for each literal type; none for artifacts", () => {
  assert.deepEqual(fieldOf("int"), { literal: "int", list: false });
  assert.deepEqual(fieldOf("float?"), { literal: "float", list: false });
  assert.deepEqual(fieldOf("list<string>"), { literal: "string", list: true });
  assert.deepEqual(fieldOf("duration"), { literal: "duration", list: false });
  assert.equal(fieldOf("Dataset"), null);
  assert.equal(fieldOf("list<Model>"), null);
});

test("typed values from the field's text, or a sentence saying what is wrong", () => {
  assert.deepEqual(parseField("int", " 300 "), { value: 300 });
  assert.deepEqual(parseField("float", "0.25"), { value: 0.25 });
  assert.deepEqual(parseField("float", "1e-3"), { value: 0.001 });
  assert.deepEqual(parseField("bool", "true"), { value: true });
  assert.deepEqual(parseField("string", " line-fit"), { value: " line-fit" });
  assert.deepEqual(parseField("duration", "10m"), { value: { duration: "10m" } });
  assert.deepEqual(parseField("list<float>", "0.1, 1,2.5"), { value: [0.1, 1, 2.5] });
  assert.deepEqual(parseField("list<string>", "a, b"), { value: ["a", "b"] });
  assert.deepEqual(parseField("list<int>", ""), { value: [] });
  assert.match((parseField("int", "2.5") as { error: string }).error, /not a whole number/);
  assert.match((parseField("duration", "10 minutes") as { error: string }).error, /e\.g\. 10m/);
  assert.match((parseField("list<int>", "1, x") as { error: string }).error, /^In the list: “x”/);
  assert.match((parseField("Model", "x") as { error: string }).error, /connect it on the graph/);
});

test("the field shows a literal's value; an expression is not a literal", () => {
  assert.equal(fieldText('"line-fit"'), "line-fit");
  assert.equal(fieldText("300"), "300");
  assert.equal(fieldText("[0.001, 0.01]"), "0.001, 0.01");
  assert.equal(fieldText('["a", "b"]'), "a, b");
  assert.equal(fieldText("10m"), "10m");
  assert.equal(fieldText("lr"), null);
  assert.equal(fieldText("parts.train"), null);
});
