import { test } from "node:test";
import assert from "node:assert/strict";
import type { CatalogOp, DetailMode, FromWebview, GraphAnswer, ToWebview } from "../../../src/protocol";
import { Controller, marksForView, searchSteps, type Effects, type SavedState } from "../../../webview/src/controller";
import { buildView, type View } from "../../../webview/src/lod";
import type { Scene } from "../../../webview/src/scene";
import { answer, clone } from "./fixtures";

/** Records what the controller asks of the page. */
class Page implements Effects {
  posted: FromWebview[] = [];
  layouts: { id: number; dot: string; view: View }[] = [];
  drawn: View[] = [];
  updated: View[] = [];
  cancelled = 0;
  cursor: [string | null, boolean][] = [];
  marks: Map<string, unknown>[] = [];
  matches: (string | null)[] = [];
  notes = new Map<string, string | null>();
  message: string | null = null;
  mode: DetailMode | null = null;
  commands: string[] = [];
  saved: SavedState | null = null;
  clock = 0;
  post = (m: FromWebview) => void this.posted.push(m);
  layout = (id: number, dot: string, view: View) => void this.layouts.push({ id, dot, view });
  cancelLayout = () => void this.cancelled++;
  draw = (scene: Scene, view: View, done: () => void) => {
    this.drawn.push(view);
    this.scenes.push(scene);
    done();
  };
  update = (view: View) => void this.updated.push(view);
  setCursor = (id: string | null, scroll: boolean) => void this.cursor.push([id, scroll]);
  setStatuses = (marks: ReadonlyMap<string, unknown>) => void this.marks.push(new Map(marks));
  diffs: Map<string, unknown>[] = [];
  setDiff = (marks: ReadonlyMap<string, unknown>) => void this.diffs.push(new Map(marks));
  showMatch = (id: string | null) => void this.matches.push(id);
  setNote = (kind: string, text: string | null) => void this.notes.set(kind, text);
  showMessage = (text: string | null) => void (this.message = text);
  setMode = (mode: DetailMode) => void (this.mode = mode);
  command = (c: string) => void this.commands.push(c);
  saveState = (s: SavedState) => void (this.saved = clone(s));
  catalogs: (CatalogOp[] | null)[] = [];
  setCatalog = (ops: CatalogOp[] | null) => void this.catalogs.push(ops);
  selected: (string | null)[] = [];
  select = (id: string | null) => void this.selected.push(id);
  scenes: Scene[] = [];
  now = () => this.clock;

  rendered() {
    return this.posted.filter((m) => m.type === "rendered");
  }
}

const scene: Scene = { width: 10, height: 10, nodes: [], edges: [], clusters: [] };
const settings = { collapseAbove: 40, focusHops: 2 };

type GraphMessage = Extract<ToWebview, { type: "graph" }>;

function graph(seq: number, a: GraphAnswer, mode: DetailMode = "full", collapseAbove = settings.collapseAbove): GraphMessage {
  return { type: "graph", seq, uri: "file:///q.mlf", answer: a, mode, settings: { ...settings, collapseAbove } };
}

function opened(a: GraphAnswer = answer("quickstart.json"), mode: DetailMode = "full") {
  const page = new Page();
  const c = new Controller(page);
  c.onMessage(graph(1, a, mode));
  page.clock = 120;
  c.onLayout({ id: page.layouts[0].id, ok: true, scene, ms: 100 });
  return { page, c };
}

test("a graph is laid out, drawn, and reported with its sequence number", () => {
  const { page } = opened();
  assert.equal(page.layouts.length, 1);
  assert.match(page.layouts[0].dot, /^digraph G \{/);
  assert.equal(page.drawn.length, 1);
  assert.deepEqual(page.rendered(), [{ type: "rendered", seq: 1, nodes: 6, layoutMs: 120, relaidOut: true }]);
  assert.equal(page.mode, "full");
});

test("an update that changes only texts and marks is drawn in place, without a layout", () => {
  const { page, c } = opened();
  const edited = answer("quickstart.json");
  edited.graph.nodes[3].broken = true;
  edited.graph.nodes[2].op = "fit2";
  c.onMessage(graph(2, edited));
  assert.equal(page.layouts.length, 1);
  assert.equal(page.updated.length, 1);
  assert.equal(page.updated[0].nodes[2].subtitle, "fit2");
  assert.equal(page.updated[0].nodes[3].broken, true);
  assert.deepEqual(page.rendered().at(-1), { type: "rendered", seq: 2, nodes: 6, layoutMs: 0, relaidOut: false });
});

test("a late layout of an older graph is dropped", () => {
  const { page, c } = opened();
  const added = answer("quickstart.json");
  added.graph.nodes.push({ id: "extra", kind: "step", label: "extra" });
  c.onMessage(graph(2, added));
  const removed = answer("quickstart.json");
  removed.graph.nodes.pop();
  removed.graph.edges = removed.graph.edges.filter((e) => e.to !== "release");
  c.onMessage(graph(3, removed));
  assert.equal(page.layouts.length, 3);
  c.onLayout({ id: page.layouts[1].id, ok: true, scene, ms: 5 });
  assert.equal(page.drawn.length, 1, "graph 2's layout arrives late: not drawn");
  c.onLayout({ id: page.layouts[2].id, ok: true, scene, ms: 5 });
  assert.equal(page.drawn.length, 2);
  assert.equal(page.rendered().at(-1)?.type === "rendered" && page.rendered().at(-1)?.seq, 3);
});

test("back to the drawn structure while a layout runs: updated in place, the layout cancelled", () => {
  const { page, c } = opened();
  const added = answer("quickstart.json");
  added.graph.nodes.push({ id: "extra", kind: "step", label: "extra" });
  c.onMessage(graph(2, added));
  c.onMessage(graph(3, answer("quickstart.json")));
  assert.equal(page.cancelled, 1);
  assert.equal(page.updated.length, 1);
  c.onLayout({ id: page.layouts[1].id, ok: true, scene, ms: 5 });
  assert.equal(page.drawn.length, 1);
});

test("a newer graph with the structure being laid out waits for that layout and is drawn with it", () => {
  const page = new Page();
  const c = new Controller(page);
  c.onMessage(graph(1, answer("quickstart.json")));
  const renamed = answer("quickstart.json");
  renamed.graph.nodes[0].op = "make_more_data";
  c.onMessage(graph(2, renamed));
  assert.equal(page.layouts.length, 1);
  c.onLayout({ id: page.layouts[0].id, ok: true, scene, ms: 5 });
  assert.equal(page.drawn[0].nodes[0].subtitle, "make_more_data");
  assert.equal(page.rendered().at(-1)?.type === "rendered" && page.rendered().at(-1)?.seq, 2);
});

test("graph messages older than the last are ignored", () => {
  const { page, c } = opened();
  const older = answer("quickstart.json");
  older.graph.nodes.pop();
  c.onMessage({ ...graph(0, older) });
  assert.equal(page.layouts.length, 1);
  assert.equal(page.updated.length, 0);
});

test("clicks: a step reveals, a collapsed cluster expands (kept across updates), a stub re-centres", () => {
  const page = new Page();
  const c = new Controller(page);
  c.onMessage(graph(1, answer("quickstart.json"), "full", 1));
  c.onLayout({ id: page.layouts[0].id, ok: true, scene, ms: 1 });
  c.click("parts");
  assert.deepEqual(page.posted.at(-1), { type: "reveal", node: "parts" });
  c.click("for#1");
  assert.equal(page.layouts.length, 2);
  assert.ok(page.layouts[1].view.nodes.some((n) => n.id === "fitted"));
  assert.deepEqual(page.saved?.overrides["file:///q.mlf#quickstart#full"], { "for#1": true });
  c.onLayout({ id: page.layouts[1].id, ok: true, scene, ms: 1 });
  // The next answer keeps the loop expanded and is drawn in place.
  c.onMessage(graph(2, answer("quickstart.json"), "full", 1));
  assert.equal(page.layouts.length, 2);
  assert.equal(page.updated.length, 1);
  // And a new page (the webview reloaded) restores the toggle from VS Code's state.
  const again = new Page();
  const restored = new Controller(again, page.saved);
  restored.onMessage(graph(1, answer("quickstart.json"), "full", 1));
  assert.ok(again.layouts[0].view.nodes.some((n) => n.id === "fitted"));

  const big = answer("synthetic-300.json.gz");
  const focus = new Page();
  const f = new Controller(focus);
  f.onMessage(graph(1, big, "focus"));
  f.onLayout({ id: focus.layouts[0].id, ok: true, scene, ms: 1 });
  const stub = focus.layouts[0].view.nodes.find((n) => n.kind === "stub")!;
  f.click(stub.id);
  assert.deepEqual(focus.posted.at(-1), { type: "focus", node: stub.stub!.node });
});

test("focus: made here from a whole graph, around the cursor, re-centred when the cursor leaves it", () => {
  const big = answer("synthetic-300.json.gz");
  const page = new Page();
  const c = new Controller(page);
  c.onMessage({ type: "cursor", node: "s5_0" });
  c.onMessage(graph(1, big, "focus"));
  const first = page.layouts[0].view;
  assert.equal(first.focus, "s5_0");
  assert.ok(first.nodes.length < big.graph.nodes.length);
  c.onLayout({ id: page.layouts[0].id, ok: true, scene, ms: 1 });
  assert.deepEqual(page.cursor.at(-1), ["s5_0", true]);
  c.onMessage({ type: "cursor", node: "s20_3" });
  assert.equal(page.layouts.length, 2);
  assert.equal(page.layouts[1].view.focus, "s20_3");
  // A server's focus answer is drawn as given.
  const served = { ...answer("quickstart.json"), focus: "parts" };
  c.onMessage(graph(2, served, "focus"));
  assert.equal(page.layouts.at(-1)?.view.focus, "parts");
});

test("mode buttons: switched here when the answer allows, always asked of the extension", () => {
  const { page, c } = opened();
  c.setMode("focus");
  assert.deepEqual(page.posted.at(-1), { type: "setMode", mode: "focus" });
  assert.equal(page.mode, "focus");
  const focused = new Page();
  const f = new Controller(focused);
  f.onMessage(graph(1, { ...answer("quickstart.json"), focus: "parts" }, "focus"));
  f.setMode("full");
  assert.deepEqual(focused.posted.at(-1), { type: "setMode", mode: "full" });
  assert.equal(focused.mode, "focus", "a focus answer cannot show the full graph");
});

test("focus here on a whole graph switches to the focus view at once", () => {
  const { page, c } = opened(answer("synthetic-300.json.gz"));
  c.focusOn("s3_0");
  assert.deepEqual(page.posted.at(-1), { type: "focus", node: "s3_0" });
  assert.equal(page.layouts.at(-1)?.view.focus, "s3_0");
});

test("the cursor and statuses are shown on what stands for the step", () => {
  const page = new Page();
  const c = new Controller(page);
  c.onMessage(graph(1, answer("quickstart.json"), "full", 1));
  c.onLayout({ id: page.layouts[0].id, ok: true, scene, ms: 1 });
  c.onMessage({ type: "cursor", node: "check" });
  assert.deepEqual(page.cursor.at(-1), ["for#1", true]);
  c.onMessage({ type: "cursor", node: null });
  assert.deepEqual(page.cursor.at(-1), [null, true]);
  c.onMessage({ type: "status", statuses: { data: { status: "succeeded", durationMs: 1200 }, fitted: { status: "succeeded" }, check: { status: "running" } } });
  assert.deepEqual(page.marks.at(-1), new Map<string, unknown>([["data", { status: "succeeded", durationMs: 1200 }], ["for#1", { status: "running" }]]));
  c.onMessage({ type: "clearStatus" });
  assert.equal(page.marks.at(-1)?.size, 0);
});

test("marks of a collapsed cluster: the most urgent status inside", () => {
  const view = buildView(answer("quickstart.json"), "full", { collapseAbove: 1, focusHops: 2 });
  const marks = marksForView(view, new Map([["fitted", { status: "failed" as const }], ["check", { status: "succeeded" as const }]]));
  assert.deepEqual(marks.get("for#1"), { status: "failed" });
});

test("search cycles through matches, names first, and says when nothing matches", () => {
  const a = answer("quickstart.json");
  assert.deepEqual(searchSteps(a, "E"), ["fitted", "check", "best", "release", "data"], "names first, then ops (make_data)");
  assert.deepEqual(searchSteps(a, "pick"), ["best"], "by op");
  assert.deepEqual(searchSteps(a, "  "), []);
  const { page, c } = opened(a);
  c.searchNext("t");
  c.searchNext("t");
  const matches = searchSteps(a, "t");
  assert.deepEqual(page.matches, matches.slice(0, 2));
  assert.equal(page.notes.get("search"), `2 of ${matches.length}: ${matches[1]}`);
  c.searchNext("t", true);
  assert.equal(page.matches.at(-1), matches[0]);
  c.searchNext("zzz");
  assert.equal(page.notes.get("search"), "No step matches “zzz”.");
  assert.equal(page.matches.at(-1), null);
});

test("a stale answer keeps its picture with a note; messages and commands reach the page", () => {
  const { page, c } = opened();
  c.onMessage(graph(2, { ...answer("quickstart.json"), stale: true }));
  assert.equal(page.layouts.length, 1);
  assert.match(page.notes.get("stale") ?? "", /errors/);
  c.onMessage(graph(3, answer("quickstart.json")));
  assert.equal(page.notes.get("stale"), null);
  c.onMessage({ type: "message", text: "Open an .mlf file to see its graph." });
  assert.equal(page.message, "Open an .mlf file to see its graph.");
  c.onMessage({ type: "command", command: "fit" });
  assert.deepEqual(page.commands, ["fit"]);
});

test("a failed layout is reported, and the next graph is laid out again", () => {
  const page = new Page();
  const c = new Controller(page);
  c.onMessage(graph(1, answer("quickstart.json")));
  c.onLayout({ id: page.layouts[0].id, ok: false, error: "syntax error in line 3" });
  assert.match(page.notes.get("error") ?? "", /Graphviz could not lay out this graph: syntax error/);
  assert.deepEqual(page.posted.at(-1), { type: "error", message: page.notes.get("error") });
  c.onMessage(graph(2, answer("quickstart.json")));
  assert.equal(page.layouts.length, 2);
});

test("an empty pipeline says so", () => {
  const page = new Page();
  const c = new Controller(page);
  const empty = answer("quickstart.json");
  empty.graph = { ...empty.graph, nodes: [], edges: [], clusters: [] };
  c.onMessage(graph(1, empty));
  assert.equal(page.message, "This pipeline has no steps yet.");
});

test("a whole graph with `focus: null` in focus mode gets its focus view made here", () => {
  const page = new Page();
  const c = new Controller(page);
  c.onMessage({ type: "cursor", node: "s5_0" });
  c.onMessage(graph(1, { ...answer("synthetic-300.json.gz"), focus: null as unknown as string }, "focus"));
  assert.equal(page.layouts[0].view.focus, "s5_0");
  c.setMode("full");
  assert.equal(page.mode, "full", "a whole graph can be shown whole at once");
});

test("a graph diff marks the steps as drawn, notes the removed ones, and an empty diff clears it", () => {
  const page = new Page();
  const c = new Controller(page);
  c.onMessage(graph(1, answer("quickstart.json"), "full", 1)); // the for block collapsed
  c.onLayout({ id: page.layouts[0].id, ok: true, scene, ms: 1 });
  c.onMessage({
    type: "diff",
    against: "HEAD",
    marks: { best: { mark: "renamed", detail: "was pick" }, fitted: { mark: "rerun" }, check: { mark: "changed" }, gone: { mark: "added" } },
    removed: ["old_step"],
  });
  // `check` and `fitted` are inside the collapsed for block: it shows the stronger mark.
  assert.deepEqual(
    page.diffs.at(-1),
    new Map<string, unknown>([["best", { mark: "renamed", detail: "was pick" }], ["for#1", { mark: "changed" }]]),
  );
  assert.match(page.notes.get("diff") ?? "", /Compared with HEAD: 4 steps marked\. Removed: old_step\./);
  // Redrawn graphs keep the diff; an empty one clears it.
  c.onMessage({ type: "cursor", node: "data" });
  assert.equal(page.diffs.at(-1)?.size, 2);
  c.onMessage({ type: "diff", against: "HEAD", marks: {}, removed: [] });
  assert.equal(page.diffs.at(-1)?.size, 0);
  assert.equal(page.notes.get("diff"), null);
});

function editable(a: GraphAnswer = answer("quickstart.json")) {
  const page = new Page();
  const c = new Controller(page);
  c.onMessage({ ...graph(1, a), editable: true });
  const v = page.layouts[0].view;
  const laid: Scene = { width: 200, height: 600, nodes: v.nodes.map((_, i) => ({ x: 100, y: 30 + i * 70, w: 90, h: 50 })), edges: v.edges.map(() => null), clusters: v.clusters.map(() => ({ x: 0, y: 0, w: 200, h: 600, label: null })) };
  c.onLayout({ id: page.layouts[0].id, ok: true, scene: laid, ms: 10 });
  return { page, c, laid };
}

test("an edit on the picture is posted with the sequence number of the graph it was made on", () => {
  const { page, c } = editable();
  assert.equal(c.isEditable, true);
  assert.ok(page.layouts[0].view.nodes.every((n) => n.ports), "steps have ports");
  const id = c.edit({ kind: "connect", from: { step: "best", output: "model" }, to: { step: "release", input: "model" } });
  assert.deepEqual(page.posted.at(-1), { type: "edit", id, seq: 1, edit: { kind: "connect", from: { step: "best", output: "model" }, to: { step: "release", input: "model" } } });
  c.rename("best", "winner");
  assert.deepEqual(page.posted.at(-1), { type: "rename", id: id + 1, node: "best", name: "winner" });
});

test("a refused edit shows the server's sentence; the next edit clears it", () => {
  const { page, c } = editable();
  const id = c.edit({ kind: "deleteStep", step: "best", cascade: false });
  c.onMessage({ type: "editResult", id, ok: false, error: "expected Dataset, found Model" });
  assert.equal(page.notes.get("edit"), "expected Dataset, found Model");
  c.edit({ kind: "deleteStep", step: "best", cascade: false });
  assert.equal(page.notes.get("edit"), null);
});

test("after an edit the new graph keeps the drawn nodes in place (no layout) and selects the new step", () => {
  const { page, c, laid } = editable();
  const id = c.edit({ kind: "addStep", op: "score", name: null, block: null, index: null }, { x: 400, y: 50 });
  c.onMessage({ type: "editResult", id, ok: true, select: "score" });
  const after = answer("quickstart.json");
  after.graph.nodes.push({ id: "score", kind: "step", label: "score", op: "score", signature: { inputs: [{ name: "model", type: "Model", required: true }], outputs: [{ name: "mse", type: "float" }] } });
  c.onMessage({ ...graph(2, after), editable: true });
  assert.equal(page.layouts.length, 1, "no new layout");
  const drawn = page.scenes.at(-1)!;
  assert.deepEqual(drawn.nodes.slice(0, laid.nodes.length), laid.nodes);
  assert.deepEqual([drawn.nodes.at(-1)!.x, drawn.nodes.at(-1)!.y], [400, 50]);
  assert.deepEqual(page.rendered().at(-1), { type: "rendered", seq: 2, nodes: 7, layoutMs: 0, relaidOut: true, pinned: true });
  assert.deepEqual(page.selected.at(-1), "score");
  assert.equal(page.drawn.at(-1)!.nodes.at(-1)!.ports!.inputs[0].missing, true);
  // Tidy lays it out anew.
  c.relayout();
  assert.equal(page.layouts.length, 2);
});

test("the lineage picture (not editable) has no ports and no palette", () => {
  const { page, c } = opened();
  assert.equal(c.isEditable, false);
  assert.ok(page.layouts[0].view.nodes.every((n) => n.ports === undefined));
  c.onMessage({ type: "catalog", ops: [] });
  assert.deepEqual(page.catalogs, []);
});
