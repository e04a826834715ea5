// Which output may feed which input: the one place the preview decides what lights up while
// a connection is dragged. It follows the checker (crates/analysis: `assignable` in
// types.rs, `seen_from_here` in pipeline.rs) on the types as the graph writes them; the
// server checks every connection again and refuses a wrong one with the checker's message.

import type { GraphModel } from "../../src/protocol";
import { ClusterTree } from "./lod";

export type Type =
  | { kind: "int" | "float" | "bool" | "string" | "duration" | "unknown" }
  | { kind: "artifact"; name: string }
  | { kind: "list"; elem: Type }
  | { kind: "optional"; inner: Type };

const SCALARS = new Set(["int", "float", "bool", "string", "duration", "unknown"]);

/** Built-in artifact kinds and their parents: every kind is a `File` except `Dir`. */
const BUILTIN_PARENT: Record<string, string | null> = { File: null, Dir: null, Dataset: "File", Model: "File", Metrics: "File" };

/** A type as written (`list<Model>`, `float?`, `Dataset`); null when it is not one. */
export function parseType(text: string): Type | null {
  const t = text.trim();
  if (t.endsWith("?")) {
    const inner = parseType(t.slice(0, -1));
    return inner && { kind: "optional", inner };
  }
  const list = /^list\s*<(.*)>$/.exec(t);
  if (list) {
    const elem = parseType(list[1]);
    return elem && { kind: "list", elem };
  }
  if (SCALARS.has(t)) return { kind: t as "int" };
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(t) ? { kind: "artifact", name: t } : null;
}

export function typeText(t: Type): string {
  switch (t.kind) {
    case "artifact":
      return t.name;
    case "list":
      return `list<${typeText(t.elem)}>`;
    case "optional":
      return `${typeText(t.inner)}?`;
    default:
      return t.kind;
  }
}

function isSubkind(from: string, to: string): boolean {
  // A kind declared in a file (`artifact Features: Dataset`) comes without its parents:
  // let it meet any artifact and leave the verdict to the server.
  if (!(from in BUILTIN_PARENT) || !(to in BUILTIN_PARENT)) return true;
  for (let k: string | null = from; k !== null; k = BUILTIN_PARENT[k]) if (k === to) return true;
  return false;
}

/** Whether a value of type `from` may be passed where `to` is expected (`assignable`). */
export function assignable(from: Type, to: Type): boolean {
  if (from.kind === "unknown" || to.kind === "unknown") return true;
  if (from.kind === "optional" && to.kind === "optional") return assignable(from.inner, to.inner);
  if (to.kind === "optional") return assignable(from, to.inner);
  if (from.kind === "optional") return false;
  if (from.kind === "list" && to.kind === "list") return assignable(from.elem, to.elem);
  if (from.kind === "list" || to.kind === "list") return false;
  if (from.kind === "int" && to.kind === "float") return true;
  if (from.kind === "artifact" && to.kind === "artifact") return isSubkind(from.name, to.name);
  return from.kind === to.kind;
}

/** Text types; an unreadable one is let through (the server decides). */
export function assignableText(from: string, to: string): boolean {
  const f = parseType(from);
  const t = parseType(to);
  return f === null || t === null || assignable(f, t);
}

/** Where the steps of a graph sit, to see an output from another step's position. */
export class Placement {
  private readonly tree: ClusterTree;
  private readonly clusterOf = new Map<string, string | undefined>();

  constructor(model: GraphModel) {
    this.tree = new ClusterTree(model);
    for (const n of model.nodes) this.clusterOf.set(n.id, n.cluster);
  }

  /** The type of `from`'s output as the step `to` reads it: one `list<…>` per `for` and one
   * `?` per `if`/`else` that holds `from` but not `to`. Null when `to` cannot read it at all
   * (the two are in different sub-pipelines). */
  seenFrom(from: string, type: string, to: string): string | null {
    const fromBlocks = this.tree.ancestors(this.clusterOf.get(from));
    const toBlocks = new Set(this.tree.ancestors(this.clusterOf.get(to)));
    let seen = parseType(type);
    for (const block of fromBlocks) {
      if (toBlocks.has(block)) break;
      const kind = this.tree.byId.get(block)?.kind;
      if (kind === "pipeline") return null;
      if (seen === null) continue;
      if (kind === "for") seen = { kind: "list", elem: seen };
      else if (kind === "if" || kind === "else") seen = seen.kind === "optional" ? seen : { kind: "optional", inner: seen };
    }
    // Entering a sub-pipeline from outside: its steps are edited in their own file.
    for (const block of toBlocks) if (this.tree.byId.get(block)?.kind === "pipeline" && !fromBlocks.includes(block)) return null;
    return seen === null ? type : typeText(seen);
  }

  /** Whether the output (`type`) of step `from` may feed the input (`input`) of step `to`. */
  canConnect(from: string, type: string, to: string, input: string): boolean {
    if (from === to) return false;
    const seen = this.seenFrom(from, type, to);
    return seen !== null && assignableText(seen, input);
  }
}
