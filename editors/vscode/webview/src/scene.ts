// Positions from a Graphviz `json0` layout, in the drawing's coordinates (points, y down),
// indexed like the view the DOT was made from (dot.ts names things `n<i>`, `cluster_<i>`,
// `e<i>`). Runs in the layout worker; the page only builds elements from it. Text from the
// layout (labels) is never read: the page draws its own.

export interface SceneBox {
  /** Centre (nodes) and size. */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface SceneCluster {
  /** Top-left corner and size. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** The title's centre. */
  label: [number, number] | null;
}

export interface SceneEdge {
  /** An SVG path (cubic Bézier pieces). */
  path: string;
  /** The arrowhead as SVG polygon points, or null. */
  arrow: string | null;
  /** The label's centre, if the edge was laid out with a label. */
  label: [number, number] | null;
}

/** Page → layout worker. */
export interface LayoutRequest {
  id: number;
  dot: string;
}

/** Layout worker → page. `ms`: Graphviz's time for this layout. */
export type LayoutReply = { id: number; ok: true; scene: Scene; ms: number } | { id: number; ok: false; error: string };

export interface Scene {
  width: number;
  height: number;
  nodes: (SceneBox | null)[];
  edges: (SceneEdge | null)[];
  clusters: (SceneCluster | null)[];
}

interface LayoutObject {
  name?: string;
  pos?: string;
  width?: string;
  height?: string;
  bb?: string;
  lp?: string;
}

interface LayoutEdge {
  id?: string;
  pos?: string;
  lp?: string;
}

export interface LayoutJson {
  bb?: string;
  objects?: LayoutObject[];
  edges?: LayoutEdge[];
}

const round = (v: number) => Math.round(v * 100) / 100;

function numbers(text: string | undefined): number[] {
  if (!text) return [];
  return text.split(/[ ,]+/).filter((s) => s !== "").map(Number);
}

function indexOf(name: string | undefined, prefix: string): number | null {
  if (!name || !name.startsWith(prefix)) return null;
  const rest = name.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : null;
}

function put<T>(list: (T | null)[], index: number, value: T) {
  while (list.length <= index) list.push(null);
  list[index] = value;
}

/** An arrowhead from `from` (the spline's end) to the tip: Graphviz leaves the gap. */
function arrowhead(fx: number, fy: number, tx: number, ty: number): string | null {
  const dx = tx - fx;
  const dy = ty - fy;
  const len = Math.hypot(dx, dy);
  if (len < 0.01) return null;
  const nx = -dy * 0.35;
  const ny = dx * 0.35;
  return `${round(tx)},${round(ty)} ${round(fx + nx)},${round(fy + ny)} ${round(fx - nx)},${round(fy - ny)}`;
}

/** `pos` of an edge: `e,x,y` (arrow tip), optional `s,x,y`, then 1 + 3n spline points. */
function edgeFromPos(pos: string, flip: (y: number) => number): Omit<SceneEdge, "label"> | null {
  let end: [number, number] | null = null;
  const points: [number, number][] = [];
  // Several splines are separated by `;` (concentrated edges); the first one is enough.
  for (const token of pos.split(";")[0].trim().split(/\s+/)) {
    const parts = token.split(",");
    if (parts[0] === "e" && parts.length === 3) end = [Number(parts[1]), flip(Number(parts[2]))];
    else if (parts[0] === "s" && parts.length === 3) continue;
    else if (parts.length === 2) points.push([Number(parts[0]), flip(Number(parts[1]))]);
  }
  if (points.length < 4 || points.some(([x, y]) => !Number.isFinite(x) || !Number.isFinite(y))) return null;
  let path = `M${round(points[0][0])},${round(points[0][1])}`;
  for (let i = 1; i + 2 < points.length; i += 3) {
    path += `C${points.slice(i, i + 3).map(([x, y]) => `${round(x)},${round(y)}`).join(" ")}`;
  }
  const last = points[points.length - 1];
  return { path, arrow: end ? arrowhead(last[0], last[1], end[0], end[1]) : null };
}

export function sceneFromLayout(layout: LayoutJson): Scene {
  const [, , bbw = 0, bbh = 0] = numbers(layout.bb);
  const flip = (y: number) => round(bbh - y);
  const scene: Scene = { width: round(bbw), height: round(bbh), nodes: [], edges: [], clusters: [] };
  for (const o of layout.objects ?? []) {
    const node = indexOf(o.name, "n");
    if (node !== null) {
      const [x, y] = numbers(o.pos);
      const w = Number(o.width) * 72;
      const h = Number(o.height) * 72;
      if ([x, y, w, h].every(Number.isFinite)) put(scene.nodes, node, { x: round(x), y: flip(y), w: round(w), h: round(h) });
      continue;
    }
    const cluster = indexOf(o.name, "cluster_");
    if (cluster !== null) {
      const [x1, y1, x2, y2] = numbers(o.bb);
      if (![x1, y1, x2, y2].every(Number.isFinite)) continue;
      const [lx, ly] = numbers(o.lp);
      const label: [number, number] | null = Number.isFinite(lx) && Number.isFinite(ly) ? [round(lx), flip(ly)] : null;
      put(scene.clusters, cluster, { x: round(x1), y: flip(y2), w: round(x2 - x1), h: round(y2 - y1), label });
    }
  }
  for (const e of layout.edges ?? []) {
    const index = indexOf(e.id, "e");
    if (index === null || !e.pos) continue;
    const drawn = edgeFromPos(e.pos, flip);
    if (!drawn) continue;
    const [lx, ly] = numbers(e.lp);
    const label: [number, number] | null = Number.isFinite(lx) && Number.isFinite(ly) ? [round(lx), flip(ly)] : null;
    put(scene.edges, index, { ...drawn, label });
  }
  return scene;
}
