import { test } from "node:test";
import assert from "node:assert/strict";
import { diffMarks, type DiffAnswer } from "../../src/diff/marks";

const answer: DiffAnswer = {
  changed: true,
  summary: "+1 steps, −1, ~2 changed, 1 renamed; 4 steps will re-run",
  pipelines: [
    { pipeline: "other", steps: { x: { status: "added" } } },
    {
      pipeline: "main",
      steps: {
        fresh: { status: "added", rerun: true },
        gone: { status: "removed" },
        dataset: { status: "changed", renamed_from: "data", rerun: true, changes: [{ kind: "argument" }] },
        moved: { status: "renamed", renamed_from: "old_moved" },
        fit: { status: "changed", rerun: true, changes: [{ kind: "op_body" }] },
        best: { status: "unchanged", rerun: true },
        quiet: { status: "unchanged", rerun: false },
      },
    },
  ],
};

test("each step's status becomes its mark; removed steps are listed; the pipeline shown is chosen", () => {
  const m = diffMarks(answer, "main");
  assert.deepEqual(m.marks, {
    fresh: { mark: "added" },
    dataset: { mark: "renamed", detail: "was data; argument changed; will re-run" },
    moved: { mark: "renamed", detail: "was old_moved" },
    fit: { mark: "changed", detail: "op body changed; will re-run" },
    best: { mark: "rerun", detail: "will re-run" },
  });
  assert.deepEqual(m.removed, ["gone"]);
  assert.equal(m.summary, answer.summary);
  assert.deepEqual(Object.keys(diffMarks(answer, "other").marks), ["x"]);
  assert.deepEqual(diffMarks({ ...answer, pipelines: [answer.pipelines[0]] }, undefined).marks, { x: { mark: "added" } });
  assert.deepEqual(diffMarks(answer, "nope").marks, {});
});
