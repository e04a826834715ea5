// The preview's logic, apart from the DOM: what each message from the extension and each
// user action does — lay out again, update the drawn picture in place, or only decorate it —
// and what is posted back. main.ts gives it the page's effects; unit tests give it a recorder.

import type { CatalogOp, DetailMode, DiffMark, FromWebview, GraphAnswer, GraphEdit, GraphNode, StepStatus, ToWebview } from "../../src/protocol";
import { toDot } from "./dot";
import { Adjacency, buildView, focusAnswer, focusOf, type LodSettings, type View } from "./lod";
import { pinnedScene } from "./pin";
import type { LayoutReply, Scene } from "./scene";

export type Command = Extract<ToWebview, { type: "command" }>["command"];

export interface StatusMark {
  status: StepStatus;
  durationMs?: number;
}

/** What the controller asks of the page. */
export interface Effects {
  post(message: FromWebview): void;
  /** Start laying out `dot`; the reply comes back through `Controller.onLayout`. */
  layout(id: number, dot: string, view: View): void;
  /** The pending layout is no longer wanted. */
  cancelLayout(): void;
  /** Replace the picture with a new layout; `done` once it is all on the page (a big
   * picture is built over several tasks). `pinned`: the drawn nodes kept their places. */
  draw(scene: Scene, view: View, done: () => void, pinned?: boolean): void;
  /** Same layout, new texts and marks. */
  update(view: View): void;
  /** The view node to highlight as the cursor's step, and whether to bring it into sight. */
  setCursor(viewNode: string | null, scroll: boolean): void;
  setStatuses(marks: ReadonlyMap<string, StatusMark>): void;
  /** Diff marks per view node (a collapsed cluster shows the strongest of its steps). */
  setDiff(marks: ReadonlyMap<string, { mark: DiffMark; detail?: string }>): void;
  /** Centre on a view node and mark it as the current search match. */
  showMatch(viewNode: string | null): void;
  /** A note above the picture (stale graph, search results…); null clears it. */
  setNote(kind: "stale" | "search" | "error" | "diff" | "edit", text: string | null): void;
  /** A message instead of the picture; null shows the picture again. */
  showMessage(text: string | null): void;
  setMode(mode: DetailMode, counts: { shown: number; total: number }): void;
  command(command: Command): void;
  /** The palette's ops (and whether the picture is editable at all). */
  setCatalog(ops: CatalogOp[] | null): void;
  /** Select a drawn node (the form shows its arguments); null: none. */
  select(viewNode: string | null): void;
  saveState(state: SavedState): void;
  now(): number;
}

/** Kept by VS Code while the webview lives (`setState`): the user's collapse toggles. */
export interface SavedState {
  /** `uri#pipeline#mode` → cluster id → expanded. */
  overrides: Record<string, Record<string, boolean>>;
}

interface Pending {
  id: number;
  key: string;
  view: View;
  seq: number;
  started: number;
}

/** An edit posted from the picture, until the graph that shows it is drawn. */
interface EditInFlight {
  id: number;
  /** Where a new step was dropped (drawing coordinates). */
  dropAt: { x: number; y: number } | null;
  /** The node to select once drawn (from the extension's `editResult`). */
  select?: string | null;
}

const DIFF_STRENGTH: DiffMark[] = ["added", "renamed", "changed", "rerun"];

/** Diff marks on the nodes as drawn: a step hidden in a collapsed cluster marks the cluster. */
export function diffForView(view: View, marks: Record<string, { mark: DiffMark; detail?: string }>): Map<string, { mark: DiffMark; detail?: string }> {
  const out = new Map<string, { mark: DiffMark; detail?: string }>();
  for (const [node, mark] of Object.entries(marks)) {
    const shown = view.shownAs.get(node);
    if (shown === undefined) continue;
    const had = out.get(shown);
    if (!had || DIFF_STRENGTH.indexOf(mark.mark) < DIFF_STRENGTH.indexOf(had.mark)) out.set(shown, shown === node ? mark : { mark: mark.mark });
  }
  return out;
}

/** Statuses that say the most when a collapsed cluster stands for many steps. */
const URGENCY: StepStatus[] = ["failed", "running", "cancelled", "queued", "skipped", "succeeded", "cached"];

/** Marks per drawn node: a step's own, or for a collapsed cluster the most urgent inside. */
export function marksForView(view: View, statuses: ReadonlyMap<string, StatusMark>): Map<string, StatusMark> {
  const marks = new Map<string, StatusMark>();
  for (const [node, mark] of statuses) {
    const shown = view.shownAs.get(node);
    if (shown === undefined) continue;
    if (shown === node) {
      marks.set(shown, mark);
      continue;
    }
    const had = marks.get(shown);
    if (!had || URGENCY.indexOf(mark.status) < URGENCY.indexOf(had.status)) marks.set(shown, { status: mark.status });
  }
  return marks;
}

/** Steps whose name (or id, or op) contains the query, ignoring case; names first. */
export function searchSteps(answer: GraphAnswer, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (q === "") return [];
  const byName: string[] = [];
  const byOther: string[] = [];
  for (const n of answer.graph.nodes) {
    if (n.label.toLowerCase().includes(q)) byName.push(n.id);
    else if (n.id.toLowerCase().includes(q) || (n.op ?? "").toLowerCase().includes(q)) byOther.push(n.id);
  }
  return byName.concat(byOther);
}

export class Controller {
  private seq = 0;
  private uri = "";
  private answer: GraphAnswer | null = null;
  private mode: DetailMode = "full";
  private settings: LodSettings = { collapseAbove: 40, focusHops: 2 };
  /** The centre of a focus view made here from a whole graph (the server gave no focus). */
  private localFocus: string | null = null;
  private adjacency: { answer: GraphAnswer; adjacency: Adjacency } | null = null;
  private shown: { key: string; view: View; scene: Scene } | null = null;
  private editable = false;
  private catalog: CatalogOp[] | null = null;
  private editId = 0;
  private edits: EditInFlight[] = [];
  /** "Tidy": the next picture is laid out anew even after an edit. */
  private tidy = false;
  private pending: Pending | null = null;
  private layoutId = 0;
  private cursor: string | null = null;
  private readonly statuses = new Map<string, StatusMark>();
  private diff: Extract<ToWebview, { type: "diff" }> | null = null;
  private search = { query: "", matches: [] as string[], index: -1 };
  private readonly state: SavedState;

  constructor(
    private readonly fx: Effects,
    saved?: SavedState | null,
  ) {
    this.state = saved && typeof saved.overrides === "object" ? saved : { overrides: {} };
  }

  /** The picture currently drawn (for the page's hit-testing and export). */
  get current(): View | null {
    return this.shown?.view ?? null;
  }

  /** Whether the picture edits the text (the live preview, not the lineage picture). */
  get isEditable(): boolean {
    return this.editable && this.answer !== null && focusOf(this.answer) === undefined;
  }

  /** A step of the graph answer (its signature and arguments, for the form). */
  node(id: string): GraphNode | undefined {
    return this.answer?.graph.nodes.find((n) => n.id === id);
  }

  get graph(): GraphAnswer | null {
    return this.answer;
  }

  /** Posts a graph edit made on the picture drawn now. */
  edit(edit: GraphEdit, dropAt: { x: number; y: number } | null = null): number {
    const id = ++this.editId;
    this.edits.push({ id, dropAt });
    this.fx.setNote("edit", null);
    this.fx.post({ type: "edit", id, seq: this.seq, edit });
    return id;
  }

  rename(node: string, name: string): void {
    const id = ++this.editId;
    this.edits.push({ id, dropAt: null });
    this.fx.setNote("edit", null);
    this.fx.post({ type: "rename", id, node, name });
  }

  /** "Tidy": lay the picture out anew. */
  relayout(): void {
    this.tidy = true;
    this.shown = this.shown && { ...this.shown, key: "" };
    this.refresh();
  }

  get currentMode(): DetailMode {
    return this.mode;
  }

  onMessage(message: ToWebview): void {
    switch (message.type) {
      case "graph":
        if (message.seq < this.seq) return; // an answer overtaken by a newer one
        if (message.uri !== this.uri) {
          this.localFocus = null;
          this.search = { query: "", matches: [], index: -1 };
        }
        this.seq = message.seq;
        this.uri = message.uri;
        this.answer = message.answer;
        this.mode = message.mode;
        this.settings = message.settings;
        if (this.editable !== (message.editable === true)) {
          this.editable = message.editable === true;
          this.fx.setCatalog(this.editable ? this.catalog ?? [] : null);
        }
        this.fx.showMessage(null);
        this.refresh();
        return;
      case "catalog":
        this.catalog = message.ops;
        if (this.editable) this.fx.setCatalog(message.ops);
        return;
      case "editResult": {
        const edit = this.edits.find((e) => e.id === message.id);
        if (!message.ok) {
          this.edits = this.edits.filter((e) => e.id !== message.id);
          this.fx.setNote("edit", message.error ?? "The graph could not be edited.");
          return;
        }
        this.fx.setNote("edit", null);
        if (edit) edit.select = message.select ?? null;
        return;
      }
      case "cursor":
        this.cursor = message.node;
        if (message.node !== null && this.needsLocalRefocus(message.node)) {
          this.localFocus = message.node;
          this.refresh();
          return;
        }
        this.decorate(true);
        return;
      case "status":
        for (const [node, mark] of Object.entries(message.statuses)) this.statuses.set(node, mark);
        this.decorate(false);
        return;
      case "clearStatus":
        this.statuses.clear();
        this.decorate(false);
        return;
      case "diff": {
        const empty = Object.keys(message.marks).length === 0 && message.removed.length === 0;
        this.diff = empty ? null : message;
        const removed = message.removed.length ? ` Removed: ${message.removed.join(", ")}.` : "";
        this.fx.setNote("diff", empty ? null : `Compared with ${message.against}: ${Object.keys(message.marks).length} steps marked.${removed}`);
        this.decorate(false);
        return;
      }
      case "message":
        this.fx.showMessage(message.text);
        return;
      case "command":
        this.fx.command(message.command);
        return;
    }
  }

  onLayout(reply: LayoutReply): void {
    const pending = this.pending;
    if (!pending || reply.id !== pending.id) return; // a late layout of an older graph
    this.pending = null;
    if (!reply.ok) {
      const text = `Graphviz could not lay out this graph: ${reply.error}`;
      this.fx.setNote("error", text);
      this.fx.post({ type: "error", message: text });
      return;
    }
    this.fx.setNote("error", null);
    this.drawScene(reply.scene, pending);
  }

  /** The edits the picture now shows are done: the step the last of them made, to select. */
  private finishEdits(): string | null {
    const done = this.edits.filter((e) => e.select !== undefined);
    this.edits = this.edits.filter((e) => e.select === undefined);
    return done.map((e) => e.select ?? null).filter((s) => s !== null).at(-1) ?? null;
  }

  private drawScene(scene: Scene, pending: Omit<Pending, "id">, pinned = false): void {
    this.shown = { key: pending.key, view: pending.view, scene };
    const select = this.finishEdits();
    this.fx.draw(scene, pending.view, () => {
      this.decorate(true);
      if (select && pending.view.shownAs.has(select)) this.fx.select(pending.view.shownAs.get(select)!);
      const rendered: FromWebview = { type: "rendered", seq: pending.seq, nodes: pending.view.nodes.length, layoutMs: Math.round(this.fx.now() - pending.started), relaidOut: true };
      if (pinned) rendered.pinned = true;
      this.fx.post(rendered);
    }, pinned);
  }

  /** The layout worker failed before answering (it could not start, or crashed). */
  onLayoutFailure(message: string): void {
    this.pending = null;
    this.fx.setNote("error", message);
    this.fx.post({ type: "error", message });
  }

  /** A click on a drawn node. */
  click(viewNode: string): void {
    const node = this.shown?.view.nodes.find((n) => n.id === viewNode);
    if (!node) return;
    if (node.kind === "stub") this.focusOn(node.stub!.node);
    else if (node.kind === "collapsed") this.toggleCluster(node.id);
    else this.fx.post({ type: "reveal", node: node.id });
  }

  /** "Focus here": centre the focus view on a step. */
  focusOn(node: string): void {
    this.fx.post({ type: "focus", node });
    // With the whole graph at hand the focus view is drawn at once; the extension's own
    // answer follows and, being the same picture, only updates it.
    if (this.answer && focusOf(this.answer) === undefined && this.answer.graph.nodes.some((n) => n.id === node)) {
      this.mode = "focus";
      this.localFocus = node;
      this.refresh();
    }
  }

  setMode(mode: DetailMode): void {
    this.fx.post({ type: "setMode", mode });
    // A focus answer holds too little for the other views: wait for the extension's.
    if (!this.answer || (focusOf(this.answer) !== undefined && mode !== "focus")) return;
    this.mode = mode;
    this.refresh();
  }

  toggleCluster(cluster: string): void {
    const view = this.shown?.view;
    if (!view) return;
    const collapsedNow = view.nodes.some((n) => n.kind === "collapsed" && n.id === cluster);
    const key = this.overrideKey();
    (this.state.overrides[key] ??= {})[cluster] = collapsedNow;
    this.fx.saveState(this.state);
    this.refresh();
  }

  /** Enter in the search box: the next match (or the previous, with Shift). */
  searchNext(query: string, backwards = false): void {
    if (!this.answer) return;
    if (query !== this.search.query) this.search = { query, matches: searchSteps(this.answer, query), index: -1 };
    const { matches } = this.search;
    if (matches.length === 0) {
      this.fx.showMatch(null);
      this.fx.setNote("search", query.trim() === "" ? null : `No step matches “${query.trim()}”.`);
      return;
    }
    const n = matches.length;
    this.search.index = backwards ? (this.search.index - 1 + n) % n : (this.search.index + 1) % n;
    const id = matches[this.search.index];
    const label = this.answer.graph.nodes.find((x) => x.id === id)?.label ?? id;
    this.fx.setNote("search", `${this.search.index + 1} of ${n}: ${label}`);
    const shown = this.shown?.view.shownAs.get(id);
    if (shown !== undefined) this.fx.showMatch(shown);
    else if (this.mode === "focus") this.focusOn(id);
  }

  private overrideKey(): string {
    return `${this.uri}#${this.answer?.pipeline ?? ""}#${this.mode}`;
  }

  private needsLocalRefocus(node: string): boolean {
    const a = this.answer;
    return this.mode === "focus" && a !== null && focusOf(a) === undefined && node !== this.localFocus && a.graph.nodes.some((n) => n.id === node);
  }

  /** The answer to draw: the extension's, or a focus view made from its whole graph. */
  private effectiveAnswer(answer: GraphAnswer): GraphAnswer {
    if (this.mode !== "focus" || focusOf(answer) !== undefined || answer.graph.nodes.length === 0) return answer;
    const center = [this.localFocus, this.cursor].find((id) => id !== null && answer.graph.nodes.some((n) => n.id === id)) ?? answer.graph.nodes[0].id;
    this.localFocus = center;
    if (this.adjacency?.answer !== answer) this.adjacency = { answer, adjacency: new Adjacency(answer.graph) };
    return focusAnswer(answer, center, this.settings.focusHops, this.adjacency.adjacency);
  }

  private refresh(): void {
    if (!this.answer) return;
    const answer = this.effectiveAnswer(this.answer);
    const overrides = new Map(Object.entries(this.state.overrides[this.overrideKey()] ?? {}));
    const view = buildView(answer, this.mode, this.settings, overrides, this.editable);
    this.fx.setMode(this.mode, { shown: view.visibleSteps, total: view.totalSteps });
    this.fx.setNote("stale", answer.stale ? "The file has errors: this is the last graph built before them." : null);
    if (view.nodes.length === 0) this.fx.showMessage(this.isEditable ? "This pipeline has no steps yet: drag an op from the palette onto this space." : "This pipeline has no steps yet.");
    if (this.shown && this.shown.key === view.key) {
      // Same structure: no layout. Whatever was being laid out is obsolete.
      if (this.pending) this.fx.cancelLayout();
      this.pending = null;
      this.fx.update(view);
      this.shown = { ...this.shown, key: view.key, view };
      this.decorate(false);
      const select = this.finishEdits();
      if (select && view.shownAs.has(select)) this.fx.select(view.shownAs.get(select)!);
      this.fx.post({ type: "rendered", seq: this.seq, nodes: view.nodes.length, layoutMs: 0, relaidOut: false });
      return;
    }
    if (this.pending && this.pending.key === view.key) {
      // That layout is under way: draw the newest texts with it when it arrives.
      this.pending.view = view;
      this.pending.seq = this.seq;
      return;
    }
    const started = this.fx.now();
    // After an edit on the picture, what was drawn stays where it was.
    const edit = this.edits.find((e) => e.select !== undefined);
    const scene = this.shown && edit && !this.tidy ? pinnedScene(this.shown.view, this.shown.scene, view, edit.dropAt) : null;
    this.tidy = false;
    if (scene) {
      if (this.pending) this.fx.cancelLayout();
      this.pending = null;
      this.drawScene(scene, { key: view.key, view, seq: this.seq, started }, true);
      return;
    }
    const id = ++this.layoutId;
    this.pending = { id, key: view.key, view, seq: this.seq, started };
    this.fx.layout(id, toDot(view), view);
  }

  private decorate(scroll: boolean): void {
    const view = this.shown?.view;
    if (!view) return;
    const cursor = this.cursor === null ? null : view.shownAs.get(this.cursor) ?? null;
    this.fx.setCursor(cursor, scroll);
    this.fx.setStatuses(marksForView(view, this.statuses));
    this.fx.setDiff(diffForView(view, this.diff?.marks ?? {}));
  }
}
