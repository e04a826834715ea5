// The extension's side of a graph edit: the request, the applied answer, the refusals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CONTENT_MODIFIED, REQUEST_FAILED, sendGraphEdit, type EditHost, type GraphEditParams } from "../../src/preview/edits";

function host(answers: (((p: GraphEditParams) => unknown) | Error)[], { apply = true, confirm = true } = {}) {
  const log = { requests: [] as GraphEditParams[], applied: [] as unknown[], asked: [] as string[] };
  const h: EditHost = {
    async request(params) {
      log.requests.push(structuredClone(params));
      const next = answers.shift()!;
      if (next instanceof Error) throw next;
      return next(params) as never;
    },
    async apply(edit) {
      log.applied.push(edit);
      return apply;
    },
    async confirm(message) {
      log.asked.push(message);
      return confirm;
    },
  };
  return { h, log };
}

const refused = (code: number, message: string, data?: unknown) => Object.assign(new Error(message), { code, data });
const params: GraphEditParams = { uri: "file:///w/q.mlf", version: 7, pipeline: "quickstart", edit: { kind: "addStep", op: "fit", name: null, block: "for#1", index: null } };
const workspaceEdit = { documentChanges: [{ textDocument: { uri: "file:///w/q.mlf", version: 7 }, edits: [] }] };

test("an edit is sent with the picture's version; its answer is applied and the new step selected", async () => {
  const { h, log } = host([() => ({ edit: workspaceEdit, select: "fit" })]);
  assert.deepEqual(await sendGraphEdit(h, params), { ok: true, select: "fit" });
  assert.deepEqual(log.requests, [params]);
  assert.deepEqual(log.applied, [workspaceEdit]);
});

test("a refusal shows the server's sentence; nothing is applied", async () => {
  const { h, log } = host([refused(REQUEST_FAILED, "expected Dataset, found Model", { reason: "typeMismatch" })]);
  assert.deepEqual(await sendGraphEdit(h, params), { ok: false, error: "expected Dataset, found Model" });
  assert.deepEqual(log.applied, []);
});

test("a stale version says the picture moved on", async () => {
  const { h } = host([refused(CONTENT_MODIFIED, "The document changed since the graph was drawn.")]);
  const out = await sendGraphEdit(h, params);
  assert.equal(out.ok, false);
  assert.match((out as { error: string }).error, /^The document changed since the graph was drawn\. The graph shows the file as it is now/);
});

test("deleting a step others read asks first, then deletes them too", async () => {
  const del: GraphEditParams = { ...params, edit: { kind: "deleteStep", step: "fitted", cascade: false } };
  const { h, log } = host([refused(REQUEST_FAILED, "Other steps read fitted.", { reason: "dependants", dependants: ["check", "best"] }), () => ({ edit: workspaceEdit, select: null })]);
  assert.deepEqual(await sendGraphEdit(h, del), { ok: true, select: null });
  assert.deepEqual(log.asked, ["Other steps read fitted. Delete fitted and check and best?"]);
  assert.deepEqual(log.requests.map((r) => r.edit), [del.edit, { kind: "deleteStep", step: "fitted", cascade: true }]);
});

test("declining the confirmation deletes nothing", async () => {
  const del: GraphEditParams = { ...params, edit: { kind: "deleteStep", step: "fitted", cascade: false } };
  const { h, log } = host([refused(REQUEST_FAILED, "Other steps read fitted.", { reason: "dependants", dependants: ["check"] })], { confirm: false });
  assert.deepEqual(await sendGraphEdit(h, del), { ok: false, error: "Nothing was deleted: check still reads fitted." });
  assert.equal(log.requests.length, 1);
});

test("an edit the editor cannot apply is reported", async () => {
  const { h } = host([() => ({ edit: workspaceEdit, select: "fit" })], { apply: false });
  const out = await sendGraphEdit(h, params);
  assert.equal(out.ok, false);
});
