// Builds the SVG of a laid-out view, and updates it in place when only texts and marks
// changed. Every text goes in through `textContent` and every id through `setAttribute`:
// nothing from the graph is ever parsed as markup.
//
// Big pictures stay cheap for the page's thread: nodes are built in slices (`build` with a
// deadline, called again from a new task until done), edges without labels are drawn as
// one path per kind, and tooltips are made when the pointer first reaches a node.

import type { StatusMark } from "./controller";
import { CLUSTER_TOGGLE, FONT, nodeLines, portLabel } from "./dot";
import type { View, ViewCluster, ViewEdge, ViewNode, ViewPort } from "./lod";
import type { Scene, SceneBox, SceneCluster } from "./scene";

const SVG = "http://www.w3.org/2000/svg";

/** Up to this many nodes, tooltips are made with the nodes (and tests can read them). */
const EAGER_TITLES = 1000;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function setTitle(g: SVGGElement, text: string): void {
  let title = g.firstElementChild;
  if (!(title instanceof SVGTitleElement)) {
    title = el("title");
    g.insertBefore(title, g.firstChild);
  }
  title.textContent = text;
}

const kindClass = (kind: string) => `kind-${kind.replace(/[^a-z]/g, "")}`;

function nodeClass(n: ViewNode): string {
  const parts = ["node", n.kind];
  if (n.broken) parts.push("broken");
  if (n.focus) parts.push("focus");
  if (n.clusterKind) parts.push(kindClass(n.clusterKind));
  if (n.stub) parts.push(`stub-${n.stub.dir}`);
  return parts.join(" ");
}

function applyCluster(g: SVGGElement, c: ViewCluster): void {
  g.setAttribute("class", `cluster ${kindClass(c.kind)}`);
  g.dataset.id = c.id;
  const label = g.querySelector(":scope > text.cluster-label");
  if (label) label.textContent = CLUSTER_TOGGLE + c.title;
  setTitle(g, c.tooltip);
}

function applyEdge(g: SVGGElement, e: ViewEdge): void {
  g.setAttribute("class", `edge ${kindClass(e.kind)}${e.count > 1 ? " merged" : ""}`);
  const label = g.querySelector(":scope > text.edge-label");
  if (label) label.textContent = e.label;
  setTitle(g, e.tooltip);
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const round = (v: number) => Math.round(v * 100) / 100;

/** Where a port sits on its node's box: evenly spaced along the top (inputs) or the bottom
 * (outputs). */
export function portPoint(box: SceneBox, count: number, index: number, dir: "in" | "out"): { x: number; y: number } {
  return { x: round(box.x - box.w / 2 + (box.w * (index + 0.5)) / count), y: round(dir === "in" ? box.y - box.h / 2 : box.y + box.h / 2) };
}

/** An edge laid out from the bottom centre of one box to the top centre of another, with
 * its ends moved sideways onto the ports (the control points next to them too, so the
 * curve still leaves and arrives straight). */
export function shiftEnds(path: string, arrow: string | null, dxStart: number, dxEnd: number): { path: string; arrow: string | null } {
  const points = (path.match(/-?[\d.]+,-?[\d.]+/g) ?? []).map((p) => p.split(",").map(Number) as [number, number]);
  if (points.length < 4) return { path, arrow };
  points[0][0] += dxStart;
  points[1][0] += dxStart;
  points[points.length - 1][0] += dxEnd;
  points[points.length - 2][0] += dxEnd;
  const pt = ([x, y]: [number, number]) => `${round(x)},${round(y)}`;
  let out = `M${pt(points[0])}`;
  for (let i = 1; i + 2 < points.length; i += 3) out += `C${points.slice(i, i + 3).map(pt).join(" ")}`;
  const moved = arrow?.split(" ").map((p) => {
    const [x, y] = p.split(",").map(Number);
    return pt([x + dxEnd, y]);
  });
  return { path: out, arrow: moved ? moved.join(" ") : null };
}

function portClass(p: ViewPort, dir: "in" | "out"): string {
  return `port ${dir}${p.given ? " given" : ""}${p.missing ? " missing" : ""}`;
}

function portTitle(p: ViewPort, dir: "in" | "out"): string {
  const what = dir === "in" ? "input" : "output";
  const state = dir === "out" ? "drag onto an input to connect" : p.missing ? "required, not given" : p.given ? "given" : "optional";
  return `${what} ${portLabel(p)} (${state})`;
}

const arrowPath = (points: string) => {
  const [a, b, c] = points.split(" ");
  return `M${a}L${b}L${c}Z`;
};

function sameNode(a: ViewNode | undefined, b: ViewNode): boolean {
  return (
    a !== undefined &&
    a.id === b.id &&
    a.title === b.title &&
    a.subtitle === b.subtitle &&
    a.broken === b.broken &&
    a.tooltip === b.tooltip &&
    a.focus === b.focus &&
    a.stub?.count === b.stub?.count
  );
}

export class Drawing {
  readonly svg: SVGSVGElement;
  /** The group pan and zoom transform. */
  readonly root: SVGGElement;
  readonly width: number;
  readonly height: number;
  /** Built nodes by view node id (collapsed clusters and stubs included). */
  readonly nodes = new Map<string, SVGGElement>();
  /** Node boxes by view node id, all of them from the start: centring needs no DOM. */
  readonly boxes = new Map<string, SceneBox>();
  private readonly clusters = new Map<string, SVGGElement>();
  /** Expanded clusters' frames (top-left corner and size), for drops into a block. */
  readonly clusterBoxes = new Map<string, SceneCluster>();
  /** Edge groups in view order when edges are drawn one by one (labelled views). */
  private readonly edges: (SVGGElement | null)[] = [];
  private readonly nodeLayer: SVGGElement;
  private view: View;
  private next = 0;
  private marks: ReadonlyMap<string, StatusMark> = new Map();
  /** Class name (`cursor`, `match`, `selected`) → the node carrying it. */
  private readonly marked = new Map<string, string | null>();

  /** The picture this one replaces after an edit: nodes that kept their box and ports are
   * moved over instead of built again. */
  private readonly previous: Drawing | null;

  constructor(
    readonly scene: Scene,
    view: View,
    previous: Drawing | null = null,
  ) {
    this.previous = previous;
    this.view = view;
    this.width = scene.width;
    this.height = scene.height;
    this.svg = el("svg", { class: "graph", width: "100%", height: "100%" });
    this.root = el("g", { class: "viewport" }, this.svg);
    const clusterLayer = el("g", { class: "clusters" }, this.root);
    const edgeLayer = el("g", { class: "edges" }, this.root);
    this.nodeLayer = el("g", { class: "nodes" }, this.root);

    view.clusters.forEach((c, i) => {
      const s = scene.clusters[i];
      if (!s) return;
      const g = el("g", {}, clusterLayer);
      el("rect", { class: "frame", x: s.x, y: s.y, width: s.w, height: s.h, rx: 6 }, g);
      el("text", { class: "cluster-label", x: s.x + 8, y: s.label ? s.label[1] : s.y + FONT.cluster + 4, "font-size": FONT.cluster }, g);
      applyCluster(g, c);
      this.clusters.set(c.id, g);
      this.clusterBoxes.set(c.id, s);
    });
    view.nodes.forEach((n, i) => {
      const box = scene.nodes[i];
      if (box) this.boxes.set(n.id, box);
    });
    const byId = new Map(view.nodes.map((n) => [n.id, n]));
    // An edge between ports leaves from its output and arrives at its input.
    const drawnEdge = (e: ViewEdge, s: { path: string; arrow: string | null }) => {
      if (e.fromPort === undefined || e.toPort === undefined) return s;
      const [from, to] = [this.boxes.get(e.from), this.boxes.get(e.to)];
      const outs = byId.get(e.from)?.ports?.outputs ?? [];
      const ins = byId.get(e.to)?.ports?.inputs ?? [];
      const [o, i] = [outs.findIndex((p) => p.name === e.fromPort), ins.findIndex((p) => p.name === e.toPort)];
      if (!from || !to || o < 0 || i < 0) return s;
      return shiftEnds(s.path, s.arrow, portPoint(from, outs.length, o, "out").x - from.x, portPoint(to, ins.length, i, "in").x - to.x);
    };

    if (view.edgeLabels) {
      view.edges.forEach((e, i) => {
        const s = scene.edges[i];
        if (!s) return void this.edges.push(null);
        const g = el("g", {}, edgeLayer);
        const d = drawnEdge(e, s);
        el("path", { class: "line", d: d.path }, g);
        if (d.arrow) el("path", { class: "arrow", d: arrowPath(d.arrow) }, g);
        g.dataset.id = e.id;
        if (s.label) el("text", { class: "edge-label", x: s.label[0], y: s.label[1], "font-size": FONT.edge }, g);
        applyEdge(g, e);
        this.edges.push(g);
      });
    } else {
      // Many edges, no labels: one path per kind (thousands of elements cost the page
      // more to style and paint than the whole rest of the picture).
      const byKind = new Map<string, { lines: string[]; arrows: string[] }>();
      view.edges.forEach((e, i) => {
        const s = scene.edges[i];
        if (!s) return;
        let batch = byKind.get(e.kind);
        if (!batch) byKind.set(e.kind, (batch = { lines: [], arrows: [] }));
        const d = drawnEdge(e, s);
        batch.lines.push(d.path);
        if (d.arrow) batch.arrows.push(arrowPath(d.arrow));
      });
      for (const [kind, batch] of byKind) {
        const g = el("g", { class: `edge ${kindClass(kind)}` }, edgeLayer);
        el("path", { class: "line", d: batch.lines.join("") }, g);
        el("path", { class: "arrow", d: batch.arrows.join("") }, g);
      }
    }
  }

  /** The view drawn (its latest texts). */
  get currentView(): View {
    return this.view;
  }

  /** Whether every node is built. */
  get complete(): boolean {
    return this.next >= this.view.nodes.length;
  }

  get size(): number {
    return this.view.nodes.length;
  }

  /** Builds nodes until `deadline` (a `performance.now()` time); true when all are. */
  build(deadline: number): boolean {
    const nodes = this.view.nodes;
    while (this.next < nodes.length) {
      const i = this.next++;
      const box = this.scene.nodes[i];
      if (box) this.buildNode(nodes[i], box);
      if ((this.next & 31) === 0 && performance.now() > deadline) break;
    }
    return this.complete;
  }

  /** A node of the previous picture with the same box, kind and ports, to move over. */
  private previousNodes: Map<string, ViewNode> | null = null;

  private reusable(n: ViewNode, box: SceneBox): { g: SVGGElement; old: ViewNode } | null {
    const prev = this.previous;
    const g = prev?.nodes.get(n.id);
    const was = prev?.boxes.get(n.id);
    if (!prev || !g || !was || was.x !== box.x || was.y !== box.y || was.w !== box.w || was.h !== box.h) return null;
    this.previousNodes ??= new Map(prev.view.nodes.map((x) => [x.id, x]));
    const old = this.previousNodes.get(n.id);
    if (!old || old.kind !== n.kind) return null;
    const names = (v: ViewNode) => `${v.ports?.inputs.map((p) => p.name).join(",")}|${v.ports?.outputs.map((p) => p.name).join(",")}`;
    return names(old) === names(n) ? { g, old } : null;
  }

  private buildNode(n: ViewNode, box: SceneBox): void {
    const reused = this.reusable(n, box);
    if (reused) {
      const kept = reused.g;
      this.nodeLayer.appendChild(kept);
      this.nodes.set(n.id, kept);
      // Marks are this picture's (set again below); statuses too (applyMark).
      kept.classList.remove(...this.previous!.markedClasses());
      const portState = (v: ViewNode) => v.ports?.inputs.map((p) => `${p.given}${p.missing}`).join() ?? "";
      if (!sameNode(reused.old, n) || portState(reused.old) !== portState(n)) this.applyNode(kept, n);
      this.applyMark(n.id, kept);
      for (const [className, id] of this.marked) if (id === n.id) kept.classList.add(className);
      return;
    }
    const g = el("g", { role: "button", tabindex: -1 }, this.nodeLayer);
    const x = box.x - box.w / 2;
    const y = box.y - box.h / 2;
    if (n.kind === "collapsed") {
      // A stack of cards: the cluster's steps behind one box.
      el("rect", { class: "shape back", x: x + 4, y: y + 4, width: box.w - 4, height: box.h - 4, rx: 3 }, g);
      el("rect", { class: "shape", x, y, width: box.w - 4, height: box.h - 4, rx: 3 }, g);
    } else {
      el("rect", { class: "shape", x, y, width: box.w, height: box.h, rx: n.kind === "stub" ? box.h / 2 : 4 }, g);
    }
    const lines = nodeLines(n);
    const cx = n.kind === "collapsed" ? box.x - 2 : box.x;
    const cy = n.kind === "collapsed" ? box.y - 2 : box.y;
    const lineHeight = FONT.node * 1.25;
    lines.forEach((_, i) => {
      const size = n.kind === "stub" ? FONT.stub : i === 0 ? FONT.node : FONT.sub;
      el("text", { class: `line ${i === 0 ? "name" : "sub"}`, x: cx, y: cy + (i - (lines.length - 1) / 2) * lineHeight, "font-size": size }, g);
    });
    if (n.ports) this.buildPorts(g, n.ports, box);
    this.nodes.set(n.id, g);
    this.applyNode(g, n);
    this.applyMark(n.id, g);
    for (const [className, id] of this.marked) if (id === n.id) g.classList.add(className);
  }

  private buildPorts(g: SVGGElement, ports: NonNullable<ViewNode["ports"]>, box: SceneBox): void {
    const place = (list: ViewPort[], dir: "in" | "out") =>
      list.forEach((p, i) => {
        const at = portPoint(box, list.length, i, dir);
        const pg = el("g", {}, g);
        pg.dataset.port = p.name;
        pg.dataset.dir = dir;
        pg.dataset.type = p.type;
        el("circle", { class: "hit", cx: at.x, cy: at.y, r: 9 }, pg);
        el("circle", { class: "dot", cx: at.x, cy: at.y, r: 4 }, pg);
        const label = el("text", { class: "port-label", x: at.x, y: dir === "in" ? at.y + FONT.port + 3 : at.y - 4, "font-size": FONT.port }, pg);
        label.textContent = portLabel(p);
      });
    place(ports.inputs, "in");
    place(ports.outputs, "out");
  }

  /** Texts, classes and tooltip of a node: what may change without a layout. */
  private applyNode(g: SVGGElement, n: ViewNode): void {
    const keep = Array.from(g.classList).filter((c) => this.marked.has(c) || c.startsWith("status-"));
    g.setAttribute("class", [nodeClass(n), ...keep].join(" "));
    g.dataset.id = n.id;
    const lines = nodeLines(n);
    g.querySelectorAll<SVGTextElement>(":scope > text.line").forEach((t, i) => {
      t.textContent = lines[i] ?? "";
    });
    if (this.view.nodes.length <= EAGER_TITLES || g.firstElementChild instanceof SVGTitleElement) setTitle(g, n.tooltip);
    if (n.ports) {
      // Names and types are the layout's; whether an input is given changes in place.
      const all = [...n.ports.inputs.map((p) => [p, "in"] as const), ...n.ports.outputs.map((p) => [p, "out"] as const)];
      g.querySelectorAll<SVGGElement>(":scope > g[data-port]").forEach((pg, i) => {
        const [p, dir] = all[i] ?? [];
        if (!p || !dir) return;
        const keep = pg.classList.contains("lit") ? " lit" : pg.classList.contains("unlit") ? " unlit" : "";
        pg.setAttribute("class", portClass(p, dir) + keep);
        setTitle(pg, portTitle(p, dir));
      });
    }
    const missing = n.ports?.inputs.filter((p) => p.missing).map((p) => p.name) ?? [];
    g.setAttribute("aria-label", `${lines.join(", ")}${n.broken ? ", has errors" : ""}${missing.length ? `, missing ${missing.join(", ")}` : ""}`);
  }

  /** The tooltip of a node, made when first needed (pointer over it) in big pictures. */
  ensureTitle(id: string): void {
    const g = this.nodes.get(id);
    if (!g || g.firstElementChild instanceof SVGTitleElement) return;
    const n = this.view.nodes.find((x) => x.id === id);
    if (n) setTitle(g, n.tooltip);
  }

  /** New texts and marks on the same layout (the view's structure key is the drawn one's);
   * nodes not built yet will be built from this view. */
  update(view: View): void {
    const before = this.view;
    this.view = view;
    // Only what changed is touched: a keystroke changes one step's texts, not 300.
    view.nodes.forEach((n, i) => {
      if (i >= this.next || sameNode(before.nodes[i], n)) return;
      const g = this.nodes.get(n.id);
      if (g) this.applyNode(g, n);
    });
    view.clusters.forEach((c, i) => {
      const old = before.clusters[i];
      if (old && old.title === c.title && old.tooltip === c.tooltip) return;
      const g = this.clusters.get(c.id);
      if (g) applyCluster(g, c);
    });
    view.edges.forEach((e, i) => {
      const old = before.edges[i];
      if (old && old.label === e.label && old.tooltip === e.tooltip && old.count === e.count) return;
      const g = this.edges[i];
      if (g) applyEdge(g, e);
    });
  }

  setStatuses(marks: ReadonlyMap<string, StatusMark>): void {
    const before = this.marks;
    this.marks = marks;
    // Only nodes whose mark changed: a run sends a message per burst of events, and
    // touching every marked node each time made a 1,000-step run fall seconds behind.
    for (const id of new Set([...before.keys(), ...marks.keys()])) {
      const was = before.get(id);
      const now = marks.get(id);
      if (was && now && was.status === now.status && was.durationMs === now.durationMs) continue;
      const g = this.nodes.get(id);
      if (g) this.applyMark(id, g);
    }
  }

  private diffMarks: ReadonlyMap<string, { mark: string; detail?: string }> = new Map();

  /** `diff-added` … classes, and the change in the node's accessible label. */
  setDiff(marks: ReadonlyMap<string, { mark: string; detail?: string }>): void {
    const before = this.diffMarks;
    this.diffMarks = marks;
    for (const id of new Set([...before.keys(), ...marks.keys()])) {
      const g = this.nodes.get(id);
      if (!g) continue;
      for (const c of Array.from(g.classList)) if (c.startsWith("diff-")) g.classList.remove(c);
      const mark = marks.get(id);
      if (mark) g.classList.add(`diff-${mark.mark.replace(/[^a-z]/g, "")}`);
      g.dataset.diff = mark ? `${mark.mark}${mark.detail ? `: ${mark.detail}` : ""}` : "";
    }
  }

  private applyMark(id: string, g: SVGGElement): void {
    for (const c of Array.from(g.classList)) if (c.startsWith("status-")) g.classList.remove(c);
    const mark = this.marks.get(id);
    let badge = g.querySelector(":scope > text.badge");
    // Queued needs no words (the colour says it), and a run queues every ready step at once:
    // a badge each made the first burst of a 1,000-step run one long task.
    if (mark) g.classList.add(`status-${mark.status.replace(/[^a-z]/g, "")}`);
    if (!mark || mark.status === "queued") return void badge?.remove();
    if (!badge) {
      const box = this.boxes.get(id)!;
      badge = el("text", { class: "badge", x: box.x + box.w / 2, y: box.y + box.h / 2 + 9, "font-size": FONT.edge }, g);
    }
    badge.textContent = mark.durationMs !== undefined ? `${mark.status} · ${formatDuration(mark.durationMs)}` : mark.status;
  }

  /** The classes `markOne` puts on nodes (`cursor`, `match`, `selected`). */
  markedClasses(): string[] {
    return [...this.marked.keys()];
  }

  /** Marks one node (or none) with a class, removing it from the others. */
  markOne(className: string, id: string | null): SVGGElement | null {
    const had = this.marked.get(className);
    if (had !== undefined && had !== null) this.nodes.get(had)?.classList.remove(className);
    this.marked.set(className, id);
    const g = id === null ? undefined : this.nodes.get(id);
    g?.classList.add(className);
    return g ?? null;
  }
}
