// DOT for Graphviz from a view (lod.ts). Graphviz only lays the picture out: the page draws
// it from the positions (render.ts) and puts every text in with `textContent`, so labels
// reach the DOT only to size the boxes. Names in the DOT are positional (`n3`, `cluster_2`,
// `e7`) and map back to the view by index; no step name is ever a DOT identifier.

import type { View, ViewNode } from "./lod";

/** Drawn before an expanded cluster's title; a click on the title collapses it. */
export const CLUSTER_TOGGLE = "▾ ";

/** Font sizes in points (1 point = 1 unit of the drawing), shared with the renderer. */
export const FONT = { node: 11, sub: 10, cluster: 11, edge: 9, stub: 9, port: 8 } as const;

/** A port's label on its node. */
export const portLabel = (p: { name: string; type: string }) => `${p.name}: ${p.type}`;

/** The text that sizes a row of ports in the layout: each port gets the room of the
 * longest label (ports are spaced evenly), measured at the node's font (bigger than the
 * ports' own, which leaves room between them). */
export function portRow(ports: { name: string; type: string }[]): string {
  if (ports.length === 0) return "";
  const width = Math.max(...ports.map((p) => portLabel(p).length));
  return Array.from({ length: ports.length }, () => "n".repeat(Math.ceil(width * 0.8))).join("  ");
}

/**
 * A DOT string literal holding `text` as plain text. In a quoted DOT string `"` ends the
 * string and `\` starts an escape (`\n`, `\l`, `\N` …), and Graphviz decodes `&…;` entity
 * references in labels; line breaks and other control characters are made spaces. What
 * comes out is measured the same as the text the page shows.
 */
export function dotString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "&") out += "&amp;";
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += " ";
    else out += ch;
  }
  return `${out}"`;
}

/** Several lines as one DOT label (a DOT `\n` between escaped lines). */
export function dotLines(lines: string[]): string {
  return `"${lines.map((l) => dotString(l).slice(1, -1)).join("\\n")}"`;
}

/** The lines a node shows; the renderer draws the same. */
export function nodeLines(n: ViewNode): string[] {
  return n.kind === "stub" ? [n.title] : [n.title, n.subtitle];
}

/** What sizes a node's box: its lines, and the rows of ports above and below them. */
export function sizingLines(n: ViewNode): string[] {
  return n.ports ? [portRow(n.ports.inputs), ...nodeLines(n), portRow(n.ports.outputs)] : nodeLines(n);
}

function nodeStatement(n: ViewNode, index: number): string {
  const attrs = [`id="n${index}"`, `class="node ${n.kind}"`, `label=${dotLines(sizingLines(n))}`];
  if (n.kind === "stub") attrs.push(`fontsize=${FONT.stub}`, "height=0.22", "width=0.3", `margin="0.05,0.02"`);
  if (n.kind === "collapsed") attrs.push(`margin="0.2,0.08"`);
  return `n${index} [${attrs.join(", ")}];`;
}

/** Graph attributes that keep big layouts bounded: fewer crossing-minimisation passes
 * and network-simplex iterations above a thousand nodes (below, the defaults take well
 * under a second and draw fewer crossings). */
export function tuning(nodes: number): string[] {
  if (nodes <= 1000) return [];
  return ["mclimit=0.3", `nslimit=${nodes > 2500 ? 0.3 : 1}`, "searchsize=20", "remincross=false"];
}

export function toDot(view: View): string {
  const nodeIndex = new Map(view.nodes.map((n, i) => [n.id, i]));
  const clusterIndex = new Map(view.clusters.map((c, i) => [c.id, i]));
  const children = new Map<string | undefined, { clusters: number[]; nodes: number[] }>();
  const bucket = (parent: string | undefined) => {
    const key = parent !== undefined && clusterIndex.has(parent) ? parent : undefined;
    let b = children.get(key);
    if (!b) children.set(key, (b = { clusters: [], nodes: [] }));
    return b;
  };
  view.clusters.forEach((c, i) => bucket(c.parent).clusters.push(i));
  view.nodes.forEach((n, i) => bucket(n.parent).nodes.push(i));

  const out: string[] = [
    "digraph G {",
    `graph [rankdir=TB, compound=true, nodesep=0.3, ranksep=0.4, fontname="Helvetica", fontsize=${FONT.cluster}, labeljust=l, labelloc=t${tuning(view.nodes.length).map((a) => `, ${a}`).join("")}];`,
    `node [shape=box, fontname="Helvetica", fontsize=${FONT.node}, margin="0.14,0.06", height=0.3];`,
    `edge [fontname="Helvetica", fontsize=${FONT.edge}, arrowsize=0.7];`,
  ];
  const emit = (parent: string | undefined, indent: string) => {
    const b = children.get(parent);
    if (!b) return;
    for (const i of b.clusters) {
      const c = view.clusters[i];
      out.push(`${indent}subgraph cluster_${i} {`);
      out.push(`${indent}  id="c${i}"; class="cluster kind-${c.kind.replace(/[^a-z]/g, "")}"; label=${dotString(CLUSTER_TOGGLE + c.title)};`);
      emit(c.id, `${indent}  `);
      out.push(`${indent}}`);
    }
    for (const i of b.nodes) out.push(indent + nodeStatement(view.nodes[i], i));
  };
  emit(undefined, "  ");

  view.edges.forEach((e, i) => {
    const from = nodeIndex.get(e.from);
    const to = nodeIndex.get(e.to);
    if (from === undefined || to === undefined) return;
    const attrs = [`id="e${i}"`];
    if (view.edgeLabels && e.label !== "") attrs.push(`label=${dotString(e.label)}`);
    if (e.fromCluster !== undefined && clusterIndex.has(e.fromCluster)) attrs.push(`ltail=cluster_${clusterIndex.get(e.fromCluster)}`);
    if (e.toCluster !== undefined && clusterIndex.has(e.toCluster)) attrs.push(`lhead=cluster_${clusterIndex.get(e.toCluster)}`);
    if (e.kind === "stub") attrs.push("minlen=1", "weight=2");
    // Out of the bottom, into the top: the page moves the ends onto the ports.
    if (e.fromPort !== undefined) attrs.push("tailport=s", "headport=n");
    out.push(`  n${from} -> n${to} [${attrs.join(", ")}];`);
  });
  out.push("}");
  return out.join("\n");
}
