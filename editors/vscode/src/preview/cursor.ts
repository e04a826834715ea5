// Which graph node the editor's cursor is on, from the ranges the server gives each node.

import type { GraphModel, Range } from "../protocol";

/** `line` and `character` 0-based, as VS Code counts. */
export interface CursorPosition {
  line: number;
  character: number;
}

function contains(range: Range, pos: CursorPosition): boolean {
  const [sl, sc, el, ec] = range; // 1-based lines and columns
  const line = pos.line + 1;
  const col = pos.character + 1;
  if (line < sl || line > el) return false;
  if (line === sl && col < sc) return false;
  if (line === el && col > ec) return false;
  return true;
}

/** The innermost node of the graph's own file whose range holds the position. */
export function nodeAtCursor(graph: GraphModel, pos: CursorPosition): string | null {
  let best: { id: string; size: number } | null = null;
  for (const node of graph.nodes) {
    // Nodes of an inlined sub-pipeline carry the other file's ranges.
    if (!node.range || node.file) continue;
    if (!contains(node.range, pos)) continue;
    const size = node.range[5] - node.range[4];
    if (!best || size < best.size) best = { id: node.id, size };
  }
  return best?.id ?? null;
}

/** The range to select when the user clicks a node: its name if known, else the step. */
export function revealRange(graph: GraphModel, nodeId: string): { range: Range; file?: string } | null {
  const node = graph.nodes.find((n) => n.id === nodeId);
  const range = node?.name_range ?? node?.range;
  if (!node || !range) return null;
  return { range, file: node.file };
}
