// Level of detail: from the server's graph answer to what the preview draws. Pure functions
// (no DOM), so the choice of what to collapse, the stubs of a focus view and the structure
// key that decides between a new layout and an in-place update are unit-tested.

import type { DetailMode, GraphAnswer, GraphCluster, GraphModel, GraphNode } from "../../src/protocol";

export interface LodSettings {
  collapseAbove: number;
  focusHops: number;
}

/** Cluster id → expanded (true) or collapsed (false), as the user toggled it. */
export type CollapseOverrides = ReadonlyMap<string, boolean>;

/** Above this many drawn edges, edge labels are left out of the layout: each label is a
 * node of its own for Graphviz's `dot`, which doubles the ranks. The type stays in the
 * edge's tooltip. */
export const EDGE_LABEL_LIMIT = 400;

/** Drawn nodes up to which steps show their inputs and outputs as ports. */
export const PORT_LIMIT = 400;

/** An input or output of a step, drawn on its node. */
export interface ViewPort {
  name: string;
  type: string;
  /** Inputs: the step passes it. */
  given: boolean;
  /** Inputs: required (no default, not optional) and not given: the checker marks it. */
  missing: boolean;
}

export interface ViewNode {
  /** A step's id, a collapsed cluster's id, or `up:`/`down:` + the id a stub belongs to. */
  id: string;
  kind: "step" | "collapsed" | "stub";
  /** The expanded cluster that holds the node. */
  parent?: string;
  title: string;
  subtitle: string;
  broken: boolean;
  tooltip: string;
  /** A collapsed cluster's kind (`for`, `if`, `else`, `pipeline`). */
  clusterKind?: string;
  /** Steps inside a collapsed cluster. */
  steps?: number;
  /** A stub's direction and the step a click on it re-centres the focus view on. */
  stub?: { dir: "up" | "down"; node: string; count: number };
  /** The step the focus view is centred on. */
  focus?: boolean;
  /** Steps of an editable picture: inputs (top) and outputs (bottom). */
  ports?: { inputs: ViewPort[]; outputs: ViewPort[] };
}

export interface ViewEdge {
  id: string;
  from: string;
  to: string;
  kind: string;
  label: string;
  tooltip: string;
  /** Model edges drawn as this one (edges between collapsed clusters are merged). */
  count: number;
  /** Set when an end is an expanded cluster: the edge is clipped at the cluster's border. */
  fromCluster?: string;
  toCluster?: string;
  /** A data edge between two steps drawn with ports: the output and the input it joins. */
  fromPort?: string;
  toPort?: string;
}

export interface ViewCluster {
  id: string;
  kind: string;
  parent?: string;
  title: string;
  tooltip: string;
  steps: number;
}

export interface View {
  nodes: ViewNode[];
  edges: ViewEdge[];
  clusters: ViewCluster[];
  edgeLabels: boolean;
  /** Equal keys mean the same layout: same nodes, edges, clusters and collapse state. */
  key: string;
  /** Steps drawn as themselves (not inside a collapsed cluster, not stubs). */
  visibleSteps: number;
  /** Steps in the whole pipeline (the focus answer's `total`, else the model's). */
  totalSteps: number;
  /** Model node id → the view node that shows it (itself or a collapsed cluster). */
  shownAs: ReadonlyMap<string, string>;
  focus?: string;
}

/** The step a focus answer is centred on; undefined for an answer holding the whole graph
 * (the server writes `"focus": null` there). */
export function focusOf(answer: GraphAnswer): string | undefined {
  return typeof answer.focus === "string" ? answer.focus : undefined;
}

/** The text a cluster is labelled with: the list and its size, the condition, the
 * sub-pipeline's name and what it calls. */
export function clusterTitle(c: GraphCluster): string {
  switch (c.kind) {
    case "for":
      return c.size === undefined ? c.label : `${c.label} · ${c.size} ${c.size === 1 ? "item" : "items"}`;
    case "pipeline":
      return c.source && c.source !== c.label ? `${c.label}: ${c.source}` : c.label;
    default:
      return c.label;
  }
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

function nodeTooltip(n: GraphNode): string {
  const lines = [n.op ? `${n.label} = ${n.op}(…)` : n.label];
  // The types travel with the step too: big pictures draw edges without their labels.
  const ports = (list: { name: string; type: string }[] | undefined) => (list ?? []).map((p) => `${p.name}: ${p.type}`).join(", ");
  if (n.inputs?.length) lines.push(`in: ${ports(n.inputs)}`);
  if (n.outputs?.length) lines.push(`out: ${ports(n.outputs)}`);
  if (n.file) lines.push(`from ${n.file}`);
  for (const d of n.diagnostics ?? []) lines.push(`${d.severity} ${d.code}: ${d.message}`);
  if (n.hidden_up) lines.push(`${plural(n.hidden_up, "input step")} not shown`);
  if (n.hidden_down) lines.push(`${plural(n.hidden_down, "dependent step")} not shown`);
  return lines.join("\n");
}

/** A step's ports: from its signature when the callee resolves, else the inputs it passes
 * and the outputs it has. */
export function portsOf(n: GraphNode): { inputs: ViewPort[]; outputs: ViewPort[] } {
  if (n.signature) {
    return {
      inputs: n.signature.inputs.map((i) => ({ name: i.name, type: i.type, given: i.given === true, missing: i.required === true && i.given !== true })),
      outputs: n.signature.outputs.map((o) => ({ name: o.name, type: o.type, given: false, missing: false })),
    };
  }
  return {
    inputs: (n.inputs ?? []).map((i) => ({ name: i.name, type: i.type, given: true, missing: false })),
    outputs: (n.outputs ?? []).map((o) => ({ name: o.name, type: o.type, given: false, missing: false })),
  };
}

/** Parent links and step counts of a model's clusters. */
export class ClusterTree {
  readonly byId = new Map<string, GraphCluster>();
  /** Steps inside each cluster, nested clusters included. */
  readonly steps = new Map<string, number>();

  /** Each cluster's parent; unknown parents and links closing a cycle (bad input) are
   * dropped, so every walk up ends. */
  private readonly parents = new Map<string, string>();

  constructor(model: GraphModel) {
    for (const c of model.clusters) this.byId.set(c.id, c);
    for (const c of model.clusters) {
      if (c.parent === undefined || !this.byId.has(c.parent)) continue;
      if (!this.ancestors(c.parent).includes(c.id)) this.parents.set(c.id, c.parent);
    }
    for (const n of model.nodes) for (const c of this.ancestors(n.cluster)) this.steps.set(c, (this.steps.get(c) ?? 0) + 1);
  }

  parent(cluster: string): string | undefined {
    return this.parents.get(cluster);
  }

  /** The cluster and its ancestors, innermost first; empty for an unknown cluster. */
  ancestors(cluster: string | undefined): string[] {
    const out: string[] = [];
    for (let c = cluster; c !== undefined && this.byId.has(c); c = this.parents.get(c)) out.push(c);
    return out;
  }
}

/** Whether a cluster is drawn collapsed. The user's toggle wins; then the clusters around
 * the focus view's centre are open; the overview collapses every cluster; otherwise those
 * of more than `collapseAbove` steps are collapsed. */
export function isCollapsed(
  cluster: string,
  steps: number,
  mode: DetailMode,
  settings: LodSettings,
  overrides: CollapseOverrides,
  pinned: ReadonlySet<string>,
): boolean {
  const user = overrides.get(cluster);
  if (user !== undefined) return !user;
  if (pinned.has(cluster)) return false;
  if (mode === "overview") return true;
  return steps > settings.collapseAbove;
}

/** The picture to draw for an answer at a level of detail. */
export function buildView(
  answer: GraphAnswer,
  mode: DetailMode,
  settings: LodSettings,
  overrides: CollapseOverrides = new Map(),
  /** An editable picture: steps show ports (up to PORT_LIMIT drawn nodes). */
  editable = false,
): View {
  const model = answer.graph;
  const tree = new ClusterTree(model);
  const focus = focusOf(answer);
  const focusNode = focus !== undefined ? model.nodes.find((n) => n.id === focus) : undefined;
  const pinned = new Set(tree.ancestors(focusNode?.cluster));

  // The outermost collapsed cluster among a cluster and its ancestors, if any.
  const collapsedRoot = new Map<string, string | null>();
  const rootOf = (cluster: string | undefined): string | null => {
    if (cluster === undefined || !tree.byId.has(cluster)) return null;
    const known = collapsedRoot.get(cluster);
    if (known !== undefined) return known;
    let root: string | null = null;
    for (const c of tree.ancestors(cluster)) {
      if (isCollapsed(c, tree.steps.get(c) ?? 0, mode, settings, overrides, pinned)) root = c;
    }
    collapsedRoot.set(cluster, root);
    return root;
  };
  // The expanded cluster a drawn thing sits in: its innermost ancestor (collapsed ones are
  // never parents, since what they hold is not drawn).
  const parentOf = (cluster: string | undefined): string | undefined => (cluster !== undefined && tree.byId.has(cluster) ? cluster : undefined);

  const nodes: ViewNode[] = [];
  const shownAs = new Map<string, string>();
  const collapsedNodes = new Map<string, ViewNode>();
  const stubs = new Map<string, ViewNode>();
  const addStub = (owner: ViewNode, dir: "up" | "down", node: string, count: number) => {
    const id = `${dir}:${owner.id}`;
    const stub = stubs.get(id);
    if (stub?.stub) {
      stub.stub.count += count;
      return;
    }
    stubs.set(id, { id, kind: "stub", parent: owner.parent, title: "", subtitle: "", broken: false, tooltip: "", stub: { dir, node, count } });
  };

  for (const n of model.nodes) {
    const root = rootOf(n.cluster);
    if (root === null) {
      const v: ViewNode = {
        id: n.id,
        kind: "step",
        parent: parentOf(n.cluster),
        title: n.label,
        subtitle: n.op ?? n.kind,
        broken: n.broken === true,
        tooltip: nodeTooltip(n),
      };
      if (n.id === focus) v.focus = true;
      nodes.push(v);
      shownAs.set(n.id, n.id);
      if (n.hidden_up) addStub(v, "up", n.id, n.hidden_up);
      if (n.hidden_down) addStub(v, "down", n.id, n.hidden_down);
      continue;
    }
    shownAs.set(n.id, root);
    let c = collapsedNodes.get(root);
    if (!c) {
      const cluster = tree.byId.get(root)!;
      c = {
        id: root,
        kind: "collapsed",
        parent: tree.parent(root),
        title: clusterTitle(cluster),
        subtitle: "",
        broken: false,
        tooltip: "",
        clusterKind: cluster.kind,
        steps: 0,
      };
      collapsedNodes.set(root, c);
      nodes.push(c);
    }
    c.steps! += 1;
    if (n.broken) c.broken = true;
    if (n.hidden_up) addStub(c, "up", n.id, n.hidden_up);
    if (n.hidden_down) addStub(c, "down", n.id, n.hidden_down);
  }
  for (const c of collapsedNodes.values()) {
    c.subtitle = `${plural(c.steps!, "step")} ▸`;
    const broken = c.broken ? "\nsome steps inside have errors" : "";
    c.tooltip = `${c.title}\n${plural(c.steps!, "step")}, collapsed: click to expand${broken}`;
  }
  for (const s of stubs.values()) {
    const { dir, count } = s.stub!;
    s.title = `+${count.toLocaleString("en-US")}`;
    s.tooltip = `${plural(count, dir === "up" ? "input step" : "dependent step")} not shown: click to centre the view here`;
    nodes.push(s);
  }

  const withPorts = editable && nodes.length <= PORT_LIMIT;
  if (withPorts) {
    const byId = new Map(model.nodes.map((n) => [n.id, n]));
    for (const v of nodes) if (v.kind === "step") v.ports = portsOf(byId.get(v.id)!);
  }

  // Expanded clusters that hold something drawn (a focus answer may leave some empty).
  const used = new Set<string>();
  for (const v of nodes) for (const c of tree.ancestors(v.parent)) used.add(c);
  const clusters: ViewCluster[] = [];
  for (const c of model.clusters) {
    if (!used.has(c.id) || rootOf(c.id) !== null) continue;
    const steps = tree.steps.get(c.id) ?? 0;
    clusters.push({
      id: c.id,
      kind: c.kind,
      parent: tree.parent(c.id),
      title: clusterTitle(c),
      tooltip: `${clusterTitle(c)}\n${plural(steps, "step")}: click the title to collapse`,
      steps,
    });
  }

  // A drawn end for an edge's end: a step, or a cluster (control edges into an `if`, `after`
  // a sub-pipeline) — collapsed, it is its node; expanded, a node inside it with the edge
  // clipped at its border.
  // Edges leave a cluster from its last node and enter it at its first (model order is
  // source order), so what follows a sub-pipeline is drawn below all of it.
  const drawnClusters = new Set(clusters.map((c) => c.id));
  const firstIn = new Map<string, string>();
  const lastIn = new Map<string, string>();
  for (const v of nodes) {
    if (v.kind === "stub") continue;
    for (const c of tree.ancestors(v.parent)) {
      if (!firstIn.has(c)) firstIn.set(c, v.id);
      lastIn.set(c, v.id);
    }
  }
  const end = (id: string, side: "from" | "to"): { node: string; cluster?: string } | null => {
    const shown = shownAs.get(id);
    if (shown !== undefined) return { node: shown };
    if (!tree.byId.has(id)) return null;
    const root = rootOf(id);
    if (root !== null) return collapsedNodes.has(root) ? { node: root } : null;
    const anchor = (side === "from" ? lastIn : firstIn).get(id);
    return anchor !== undefined && drawnClusters.has(id) ? { node: anchor, cluster: id } : null;
  };

  const merged = new Map<string, { edge: ViewEdge; labels: Map<string, number> }>();
  for (const e of model.edges) {
    const from = end(e.from, "from");
    const to = end(e.to, "to");
    if (!from || !to || from.node === to.node) continue;
    const text = e.type ?? e.label ?? "";
    const key = `${from.node}\u0000${to.node}\u0000${from.cluster ?? ""}\u0000${to.cluster ?? ""}\u0000${e.kind}`;
    const direct = from.node === e.from && to.node === e.to;
    // Edges between the same two steps stay apart (two outputs feed two inputs); edges
    // that only meet because their ends are collapsed are merged.
    const mergeKey = direct ? `${key}\u0000${e.id}` : key;
    const found = merged.get(mergeKey);
    if (found) {
      found.edge.count += 1;
      found.labels.set(text, (found.labels.get(text) ?? 0) + 1);
      continue;
    }
    const edge: ViewEdge = { id: direct ? e.id : `merged:${merged.size}`, from: from.node, to: to.node, kind: e.kind, label: "", tooltip: "", count: 1 };
    if (from.cluster) edge.fromCluster = from.cluster;
    if (to.cluster) edge.toCluster = to.cluster;
    if (withPorts && direct && e.kind === "data" && e.label !== undefined && e.input !== undefined) {
      edge.fromPort = e.label;
      edge.toPort = e.input;
    }
    merged.set(mergeKey, { edge, labels: new Map([[text, 1]]) });
  }
  const edges: ViewEdge[] = [];
  for (const { edge, labels } of merged.values()) {
    const parts = [...labels].filter(([t]) => t !== "").map(([t, n]) => (n > 1 ? `${t} ×${n}` : t));
    edge.label = parts.length > 2 ? `${parts.slice(0, 2).join(", ")}, …` : parts.join(", ");
    if (edge.label === "" && edge.count > 1) edge.label = `×${edge.count}`;
    edge.tooltip = [edge.kind === "data" ? "" : `${edge.kind} edge`, parts.join(", ")].filter((s) => s !== "").join(": ");
    edges.push(edge);
  }
  for (const s of stubs.values()) {
    const { dir } = s.stub!;
    const owner = s.id.slice(dir.length + 1);
    edges.push({ id: `stub:${s.id}`, from: dir === "up" ? s.id : owner, to: dir === "up" ? owner : s.id, kind: "stub", label: "", tooltip: s.tooltip, count: 1 });
  }

  const edgeLabels = edges.length <= EDGE_LABEL_LIMIT;
  const view: View = {
    nodes,
    edges,
    clusters,
    edgeLabels,
    key: "",
    visibleSteps: nodes.filter((n) => n.kind === "step").length,
    totalSteps: answer.total?.nodes ?? model.nodes.length,
    shownAs,
    focus: focusNode?.id,
  };
  view.key = structureKey(view);
  return view;
}

/** What the layout depends on, and nothing else: the drawn nodes and their kinds and
 * clusters, the edges and which of them carry a label, the clusters. Texts, broken marks
 * and statuses are left out: they change on the drawn picture without a new layout. */
export function structureKey(view: Pick<View, "nodes" | "edges" | "clusters" | "edgeLabels">): string {
  const parts: string[] = [view.edgeLabels ? "L" : "-"];
  for (const n of view.nodes) {
    // Ports size the box: a step calling another op is laid out again.
    const ports = n.ports ? `\u0001${n.ports.inputs.map((p) => `${p.name}:${p.type}`).join(",")}\u0001${n.ports.outputs.map((p) => `${p.name}:${p.type}`).join(",")}` : "";
    parts.push(`n\u0001${n.id}\u0001${n.kind}\u0001${n.parent ?? ""}${ports}`);
  }
  for (const e of view.edges) {
    const labelled = view.edgeLabels && e.label !== "" ? "L" : "";
    parts.push(`e\u0001${e.from}\u0001${e.to}\u0001${e.kind}\u0001${e.fromCluster ?? ""}\u0001${e.toCluster ?? ""}\u0001${labelled}\u0001${e.fromPort ?? ""}\u0001${e.toPort ?? ""}`);
  }
  for (const c of view.clusters) parts.push(`c\u0001${c.id}\u0001${c.parent ?? ""}`);
  return parts.join("\u0002");
}

/** Each step's direct predecessors and successors through data and `after` edges; an end
 * that is a cluster stands for every step inside. Control edges lead into blocks, not
 * steps: never followed (as the server's focus subgraph does). */
export class Adjacency {
  readonly up = new Map<string, Set<string>>();
  readonly down = new Map<string, Set<string>>();

  constructor(model: GraphModel) {
    const tree = new ClusterTree(model);
    const members = new Map<string, string[]>();
    for (const n of model.nodes) {
      for (const c of tree.ancestors(n.cluster)) {
        let list = members.get(c);
        if (!list) members.set(c, (list = []));
        list.push(n.id);
      }
    }
    const ids = new Set(model.nodes.map((n) => n.id));
    const steps = (id: string): string[] => (ids.has(id) ? [id] : members.get(id) ?? []);
    const link = (map: Map<string, Set<string>>, a: string, b: string) => {
      let set = map.get(a);
      if (!set) map.set(a, (set = new Set()));
      set.add(b);
    };
    for (const e of model.edges) {
      if (e.kind === "control") continue;
      for (const from of steps(e.from)) {
        for (const to of steps(e.to)) {
          if (from === to) continue;
          link(this.down, from, to);
          link(this.up, to, from);
        }
      }
    }
  }
}

/** A focus answer made from a full one: the centre, the steps up to `hops` edges above and
 * below it, and for each step drawn the count of its direct neighbours left out. The
 * server computes the same when asked for a focus subgraph; the preview uses this when it
 * was given the whole graph. */
export function focusAnswer(answer: GraphAnswer, center: string, hops: number, adjacency = new Adjacency(answer.graph)): GraphAnswer {
  const model = answer.graph;
  if (!model.nodes.some((n) => n.id === center)) return answer;
  const keep = new Set([center]);
  for (const map of [adjacency.up, adjacency.down]) {
    const seen = new Set([center]);
    let frontier = [center];
    for (let hop = 0; hop < hops && frontier.length > 0; hop++) {
      const next: string[] = [];
      for (const id of frontier) {
        for (const other of map.get(id) ?? []) {
          if (seen.has(other)) continue;
          seen.add(other);
          keep.add(other);
          next.push(other);
        }
      }
      frontier = next;
    }
  }
  const missing = (set: Set<string> | undefined) => [...(set ?? [])].filter((id) => !keep.has(id)).length;
  const nodes: GraphNode[] = [];
  for (const n of model.nodes) {
    if (!keep.has(n.id)) continue;
    const copy: GraphNode = { ...n };
    delete copy.hidden_up;
    delete copy.hidden_down;
    const up = missing(adjacency.up.get(n.id));
    const down = missing(adjacency.down.get(n.id));
    if (up) copy.hidden_up = up;
    if (down) copy.hidden_down = down;
    nodes.push(copy);
  }
  const tree = new ClusterTree(model);
  const clusterIds = new Set<string>();
  for (const n of nodes) for (const c of tree.ancestors(n.cluster)) clusterIds.add(c);
  const isKept = (id: string) => keep.has(id) || clusterIds.has(id);
  return {
    ...answer,
    graph: {
      ...model,
      nodes,
      edges: model.edges.filter((e) => isKept(e.from) && isKept(e.to)),
      clusters: model.clusters.filter((c) => clusterIds.has(c.id)),
    },
    focus: center,
    total: answer.total ?? { nodes: model.nodes.length, edges: model.edges.length, clusters: model.clusters.length },
  };
}
