// A picture after an edit made on the graph, without a new layout: the nodes that were
// drawn stay where they were (a new layout would move half the picture for one added step),
// a new step goes where it was dropped or below the steps it reads from, and only the edges
// that changed are drawn anew. Pure, so the placement is unit-tested; the controller falls
// back to Graphviz when the change is not one it can place (a new block, many new steps).

import { FONT, sizingLines } from "./dot";
import type { View, ViewEdge, ViewNode } from "./lod";
import type { Scene, SceneBox, SceneCluster, SceneEdge } from "./scene";

/** More new nodes than this at once is a new picture, not an edit: lay it out. */
export const PIN_LIMIT = 8;

const RANK_GAP = 29; // Graphviz's ranksep (0.4 in)
const NODE_GAP = 22; // nodesep (0.3 in)
const CLUSTER_PAD = 8;
const CLUSTER_TITLE = 18;

const round = (v: number) => Math.round(v * 100) / 100;

/** An edge's identity across pictures: its ends, kind and ports. */
export function edgeKey(e: ViewEdge): string {
  return [e.from, e.to, e.kind, e.fromCluster ?? "", e.toCluster ?? "", e.fromPort ?? "", e.toPort ?? ""].join("\u0001");
}

/** A box for a node as Graphviz would size it (Helvetica's average width, the DOT's
 * margins and line height). */
export function estimateSize(n: ViewNode): { w: number; h: number } {
  const lines = sizingLines(n);
  const chars = Math.max(...lines.map((l) => l.length));
  return { w: round(Math.max(54, chars * FONT.node * 0.56 + 20)), h: round(Math.max(21.6, lines.length * FONT.node * 1.2 + 9)) };
}

function overlaps(a: SceneBox, b: SceneBox): boolean {
  return Math.abs(a.x - b.x) * 2 < a.w + b.w + NODE_GAP && Math.abs(a.y - b.y) * 2 < a.h + b.h + 8;
}

function curve(from: SceneBox, to: SceneBox, label: boolean): SceneEdge {
  const x1 = from.x;
  const y1 = from.y + from.h / 2;
  const x2 = to.x;
  const tip = to.y - to.h / 2;
  const y2 = tip - 7; // the arrowhead's length
  const bend = Math.max(20, Math.abs(y2 - y1) / 2);
  const path = `M${round(x1)},${round(y1)}C${round(x1)},${round(y1 + bend)} ${round(x2)},${round(y2 - bend)} ${round(x2)},${round(y2)}`;
  const arrow = `${round(x2)},${round(tip)} ${round(x2 - 3.5)},${round(y2)} ${round(x2 + 3.5)},${round(y2)}`;
  return { path, arrow, label: label ? [round((x1 + x2) / 2 + 8), round((y1 + y2) / 2)] : null };
}

/**
 * The scene of `next` with the nodes of the drawn picture (`drawn`, laid out as `scene`)
 * kept in place; null when `next` needs a layout of its own. `dropAt`: where the user
 * dropped a new step (drawing coordinates).
 */
export function pinnedScene(drawn: View, scene: Scene, next: View, dropAt?: { x: number; y: number } | null): Scene | null {
  if (drawn.edgeLabels !== next.edgeLabels || drawn.nodes.length === 0) return null;
  const oldClusters = new Map<string, SceneCluster>();
  drawn.clusters.forEach((c, i) => {
    const s = scene.clusters[i];
    if (s) oldClusters.set(c.id, s);
  });
  if (next.clusters.some((c) => !oldClusters.has(c.id))) return null;
  const oldBoxes = new Map<string, SceneBox>();
  const oldNodes = new Map<string, ViewNode>();
  drawn.nodes.forEach((n, i) => {
    const box = scene.nodes[i];
    if (box) oldBoxes.set(n.id, box);
    oldNodes.set(n.id, n);
  });
  const nextIds = new Set(next.nodes.map((n) => n.id));
  // A renamed step is a node gone and one come, same op, same place: it keeps the box.
  const gone = drawn.nodes.filter((n) => !nextIds.has(n.id) && n.kind === "step");

  const boxes = new Map<string, SceneBox>();
  const fresh: ViewNode[] = [];
  for (const n of next.nodes) {
    const old = oldNodes.get(n.id);
    const box = oldBoxes.get(n.id);
    const sameSize = old && box && (old.ports === undefined) === (n.ports === undefined) && sizingLines(old).join("\n") === sizingLines(n).join("\n");
    if (old && box && old.kind === n.kind && old.parent === n.parent && (sameSize || n.kind !== "step" || !n.ports)) {
      boxes.set(n.id, box);
      continue;
    }
    const twin = gone.findIndex((g) => g.parent === n.parent && g.subtitle === n.subtitle && oldBoxes.has(g.id));
    if (twin >= 0 && n.kind === "step") {
      const was = oldBoxes.get(gone[twin].id)!;
      const size = estimateSize(n);
      boxes.set(n.id, { ...was, w: Math.max(was.w, size.w) });
      gone.splice(twin, 1);
      continue;
    }
    fresh.push(n);
  }
  if (fresh.length > PIN_LIMIT || boxes.size === 0) return null;

  const placed = () => [...boxes.values()];
  const bottom = () => Math.max(...placed().map((b) => b.y + b.h / 2));
  const left = () => Math.min(...placed().map((b) => b.x - b.w / 2));
  let drop = dropAt ?? null;
  for (const n of fresh) {
    const { w, h } = estimateSize(n);
    const preds = next.edges.filter((e) => e.to === n.id && boxes.has(e.from)).map((e) => boxes.get(e.from)!);
    let box: SceneBox;
    if (preds.length > 0) {
      const x = preds.reduce((sum, b) => sum + b.x, 0) / preds.length;
      box = { x, y: Math.max(...preds.map((b) => b.y + b.h / 2)) + RANK_GAP + h / 2, w, h };
    } else if (drop) {
      box = { x: Math.max(w / 2 + 4, drop.x), y: Math.max(h / 2 + 4, drop.y), w, h };
      drop = null;
    } else {
      box = { x: left() + w / 2, y: bottom() + RANK_GAP + h / 2, w, h };
    }
    // Step aside (to the right) of whatever is there already.
    for (let guard = 0; guard < boxes.size + 1; guard++) {
      const hit = placed().find((b) => overlaps(b, box));
      if (!hit) break;
      box = { ...box, x: hit.x + hit.w / 2 + NODE_GAP + w / 2 };
    }
    boxes.set(n.id, { x: round(box.x), y: round(box.y), w, h });
  }

  // Clusters grow to hold what is drawn inside them now (innermost first, so that an outer
  // frame holds the grown inner one).
  const frames = new Map<string, SceneCluster>();
  for (const c of next.clusters) frames.set(c.id, { ...oldClusters.get(c.id)! });
  const depth = (id: string | undefined): number => (id === undefined ? 0 : 1 + depth(next.clusters.find((c) => c.id === id)?.parent));
  const byDepth = [...next.clusters].sort((a, b) => depth(b.id) - depth(a.id));
  const grow = (id: string | undefined, x1: number, y1: number, x2: number, y2: number) => {
    const f = id === undefined ? undefined : frames.get(id);
    if (!f) return;
    const nx1 = Math.min(f.x, x1 - CLUSTER_PAD);
    const ny1 = Math.min(f.y, y1 - CLUSTER_TITLE);
    const nx2 = Math.max(f.x + f.w, x2 + CLUSTER_PAD);
    const ny2 = Math.max(f.y + f.h, y2 + CLUSTER_PAD);
    frames.set(id!, { x: round(nx1), y: round(ny1), w: round(nx2 - nx1), h: round(ny2 - ny1), label: f.label && [round(nx1 + (f.label[0] - f.x)), round(ny1 + (f.label[1] - f.y))] });
  };
  for (const n of next.nodes) {
    const b = boxes.get(n.id)!;
    grow(n.parent, b.x - b.w / 2, b.y - b.h / 2, b.x + b.w / 2, b.y + b.h / 2);
  }
  for (const c of byDepth) {
    const f = frames.get(c.id)!;
    grow(c.parent, f.x, f.y, f.x + f.w, f.y + f.h);
  }

  const oldEdges = new Map<string, SceneEdge>();
  drawn.edges.forEach((e, i) => {
    const s = scene.edges[i];
    if (s) oldEdges.set(edgeKey(e), s);
  });
  const moved = (id: string) => oldBoxes.get(id) !== boxes.get(id);
  const edges = next.edges.map((e) => {
    const kept = oldEdges.get(edgeKey(e));
    if (kept && !moved(e.from) && !moved(e.to)) return kept;
    return curve(boxes.get(e.from)!, boxes.get(e.to)!, next.edgeLabels && e.label !== "");
  });

  let width = scene.width;
  let height = scene.height;
  for (const b of boxes.values()) {
    width = Math.max(width, b.x + b.w / 2 + 4);
    height = Math.max(height, b.y + b.h / 2 + 4);
  }
  for (const f of frames.values()) {
    width = Math.max(width, f.x + f.w + 4);
    height = Math.max(height, f.y + f.h + 4);
  }
  return {
    width: round(width),
    height: round(height),
    nodes: next.nodes.map((n) => boxes.get(n.id)!),
    edges,
    clusters: next.clusters.map((c) => frames.get(c.id)!),
  };
}
