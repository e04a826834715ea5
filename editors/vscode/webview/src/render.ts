// Builds the SVG of a laid-out view, and updates it in place when only texts and marks
// changed. Every text goes in through `textContent` and every id through `setAttribute`:
// nothing from the graph is ever parsed as markup.

import type { StatusMark } from "./controller";
import { CLUSTER_TOGGLE, FONT, nodeLines } from "./dot";
import type { View, ViewCluster, ViewEdge, ViewNode } from "./lod";
import type { Scene } from "./scene";

const SVG = "http://www.w3.org/2000/svg";

export interface Drawing {
  svg: SVGSVGElement;
  /** The group pan and zoom transform. */
  root: SVGGElement;
  width: number;
  height: number;
  /** View node id → its group; collapsed clusters and stubs included. */
  nodes: Map<string, SVGGElement>;
  /** Expanded cluster id → its group. */
  clusters: Map<string, SVGGElement>;
  /** In view order; null where the layout gave no route. */
  edges: (SVGGElement | null)[];
  /** Node boxes by view node id, for centring and hit-testing. */
  boxes: Map<string, { x: number; y: number; w: number; h: number }>;
}

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function setTitle(g: SVGGElement, text: string): void {
  let title = g.querySelector(":scope > title");
  if (!title) title = el("title", {}, g);
  g.insertBefore(title, g.firstChild);
  title.textContent = text;
}

function nodeClass(n: ViewNode): string {
  const parts = ["node", n.kind];
  if (n.broken) parts.push("broken");
  if (n.focus) parts.push("focus");
  if (n.clusterKind) parts.push(`kind-${n.clusterKind.replace(/[^a-z]/g, "")}`);
  if (n.stub) parts.push(`stub-${n.stub.dir}`);
  return parts.join(" ");
}

/** Texts, classes and tooltip of a node: the part that may change without a layout. */
function applyNode(g: SVGGElement, n: ViewNode): void {
  const keep = Array.from(g.classList).filter((c) => c === "cursor" || c === "match" || c.startsWith("status-"));
  g.setAttribute("class", [nodeClass(n), ...keep].join(" "));
  g.dataset.id = n.id;
  const lines = nodeLines(n);
  g.querySelectorAll<SVGTextElement>(":scope > text.line").forEach((t, i) => {
    t.textContent = lines[i] ?? "";
  });
  setTitle(g, n.tooltip);
  g.setAttribute("aria-label", `${lines.join(", ")}${n.broken ? ", has errors" : ""}`);
}

function drawNode(parent: SVGGElement, n: ViewNode, box: { x: number; y: number; w: number; h: number }): SVGGElement {
  const g = el("g", { role: "button", tabindex: -1 }, parent);
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
  el("text", { class: "badge", x: x + box.w, y: y + box.h + 9, "font-size": FONT.edge }, g);
  applyNode(g, n);
  return g;
}

function applyCluster(g: SVGGElement, c: ViewCluster): void {
  g.setAttribute("class", `cluster kind-${c.kind.replace(/[^a-z]/g, "")}`);
  g.dataset.id = c.id;
  const label = g.querySelector(":scope > text.cluster-label");
  if (label) label.textContent = CLUSTER_TOGGLE + c.title;
  setTitle(g, c.tooltip);
}

function applyEdge(g: SVGGElement, e: ViewEdge, labels: boolean): void {
  g.setAttribute("class", `edge kind-${e.kind.replace(/[^a-z]/g, "")}${e.count > 1 ? " merged" : ""}`);
  const label = g.querySelector(":scope > text.edge-label");
  if (label) label.textContent = labels ? e.label : "";
  setTitle(g, e.tooltip);
}

export function drawScene(scene: Scene, view: View): Drawing {
  const svg = el("svg", { class: "graph", width: "100%", height: "100%" });
  const root = el("g", { class: "viewport" }, svg);
  const clusterLayer = el("g", { class: "clusters" }, root);
  const edgeLayer = el("g", { class: "edges" }, root);
  const nodeLayer = el("g", { class: "nodes" }, root);
  const drawing: Drawing = { svg, root, width: scene.width, height: scene.height, nodes: new Map(), clusters: new Map(), edges: [], boxes: new Map() };

  view.clusters.forEach((c, i) => {
    const s = scene.clusters[i];
    if (!s) return;
    const g = el("g", {}, clusterLayer);
    el("rect", { class: "frame", x: s.x, y: s.y, width: s.w, height: s.h, rx: 6 }, g);
    const labelY = s.label ? s.label[1] : s.y + FONT.cluster + 4;
    el("text", { class: "cluster-label", x: s.x + 8, y: labelY, "font-size": FONT.cluster }, g);
    applyCluster(g, c);
    drawing.clusters.set(c.id, g);
  });
  view.edges.forEach((e, i) => {
    const s = scene.edges[i];
    if (!s) {
      drawing.edges.push(null);
      return;
    }
    const g = el("g", {}, edgeLayer);
    el("path", { class: "line", d: s.path }, g);
    if (s.arrow) el("polygon", { class: "arrow", points: s.arrow }, g);
    if (s.label) el("text", { class: "edge-label", x: s.label[0], y: s.label[1], "font-size": FONT.edge }, g);
    applyEdge(g, e, view.edgeLabels);
    drawing.edges.push(g);
  });
  view.nodes.forEach((n, i) => {
    const box = scene.nodes[i];
    if (!box) return;
    drawing.nodes.set(n.id, drawNode(nodeLayer, n, box));
    drawing.boxes.set(n.id, box);
  });
  return drawing;
}

/** New texts and marks on the same layout (the view's structure key is the drawn one's). */
export function updateDrawing(drawing: Drawing, view: View): void {
  for (const n of view.nodes) {
    const g = drawing.nodes.get(n.id);
    if (g) applyNode(g, n);
  }
  for (const c of view.clusters) {
    const g = drawing.clusters.get(c.id);
    if (g) applyCluster(g, c);
  }
  view.edges.forEach((e, i) => {
    const g = drawing.edges[i];
    if (g) applyEdge(g, e, view.edgeLabels);
  });
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function setStatuses(drawing: Drawing, marks: ReadonlyMap<string, StatusMark>): void {
  for (const [id, g] of drawing.nodes) {
    for (const c of Array.from(g.classList)) if (c.startsWith("status-")) g.classList.remove(c);
    const mark = marks.get(id);
    const badge = g.querySelector(":scope > text.badge");
    if (mark) g.classList.add(`status-${mark.status.replace(/[^a-z]/g, "")}`);
    if (badge) badge.textContent = mark ? (mark.durationMs !== undefined ? `${mark.status} · ${formatDuration(mark.durationMs)}` : mark.status) : "";
  }
}

/** Marks one node (or none) with a class, removing it from the others. */
export function markOne(drawing: Drawing, className: string, id: string | null): SVGGElement | null {
  drawing.root.querySelectorAll(`.node.${className}`).forEach((g) => g.classList.remove(className));
  const g = id === null ? undefined : drawing.nodes.get(id);
  g?.classList.add(className);
  return g ?? null;
}
