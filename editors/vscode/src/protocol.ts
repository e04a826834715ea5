// The messages between the extension host and the graph preview webview, and the graph
// model the language server's `mlforge/graph` request answers with (see
// crates/lsp/README.md). One definition, imported by both sides.

/** `[start_line, start_column, end_line, end_column, start_offset, end_offset]`; lines and
 * columns 1-based, in characters; offsets in bytes. */
export type Range = [number, number, number, number, number, number];

export interface Port {
  name: string;
  type: string;
}

export interface GraphDiagnostic {
  code: string;
  severity: "error" | "warning" | "info" | string;
  message: string;
  range?: Range;
}

export interface GraphNode {
  id: string;
  kind: string; // "step" (or other kinds the server adds)
  label: string;
  op?: string;
  op_kind?: string; // "op" | "pipeline"
  cluster?: string; // id of the innermost cluster holding the node
  file?: string; // present when the node comes from another file than the graph's
  range?: Range;
  name_range?: Range;
  inputs?: Port[];
  outputs?: Port[];
  args?: { name: string; value: string }[];
  /** The callee's inputs and outputs, when it resolves (graph edits). */
  signature?: Signature;
  broken?: boolean;
  diagnostics?: GraphDiagnostic[];
  /** Focus view only: direct predecessors / successors left out of this answer. */
  hidden_up?: number;
  hidden_down?: number;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  kind: "data" | "after" | "control" | string;
  label?: string;
  input?: string;
  type?: string;
  range?: Range;
}

export interface GraphCluster {
  id: string;
  kind: "for" | "if" | "else" | "pipeline" | string;
  label: string;
  source?: string;
  size?: number;
  parent?: string;
  range?: Range;
  file?: string;
}

export interface GraphModel {
  pipeline: string;
  file: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  clusters: GraphCluster[];
  diagnostics?: GraphDiagnostic[];
}

/** The answer to `mlforge/graph`. */
export interface GraphAnswer {
  pipeline: string;
  graph: GraphModel;
  dot?: string;
  stale: boolean;
  total?: { nodes: number; edges: number; clusters: number };
  /** The focused node's id in a focus answer; null (or absent) in a whole-graph answer. */
  focus?: string | null;
}

export type StepStatus =
  | "queued"
  | "running"
  | "cached"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled";

/** How a step differs from the version it is compared with (`mlforge diff`). */
export type DiffMark = "added" | "changed" | "renamed" | "rerun";

/** An input of an op's signature. `required`: no default and not optional; `default`:
 * the default's source text. The graph leaves out `required` and `given` when false and
 * `default` when null; the catalog writes every field. */
export interface SignatureInput {
  name: string;
  type: string;
  required?: boolean;
  default?: string | null;
  /** Graph nodes only: whether the step passes this input. */
  given?: boolean;
}

export interface Signature {
  inputs: SignatureInput[];
  outputs: Port[];
  doc?: string | null;
}

/** An op or pipeline a step may call, from `mlforge/opCatalog`. */
export interface CatalogOp {
  /** As callable from the file (`train`, `ops.train`). */
  name: string;
  kind: "op" | "pipeline" | string;
  file: string;
  doc: string | null;
  inputs: SignatureInput[];
  outputs: Port[];
  /** The import the file would need, when the op lives in a workspace file not imported yet. */
  import: string | null;
}

/** A literal argument value for `setArg`: a duration is `{ duration: "10m" }`. */
export type ArgValue = number | boolean | string | ArgValue[] | { duration: string };

/** A graph edit (`mlforge/graphEdit`'s `edit`); step ids are graph node ids. */
export type GraphEdit =
  /** `import`: the catalog entry's, when the op lives in a file not imported yet. */
  | { kind: "addStep"; op: string; name: string | null; block: string | null; index: number | null; import?: string | null }
  | { kind: "connect"; from: { step: string; output: string }; to: { step: string; input: string } }
  | { kind: "disconnect"; step: string; input: string }
  | { kind: "setArg"; step: string; input: string; value: ArgValue | null }
  | { kind: "deleteStep"; step: string; cascade: boolean }
  | { kind: "addAfter"; step: string; after: string }
  | { kind: "wrapFor"; steps: string[]; var: string; over: string }
  | { kind: "wrapIf"; steps: string[]; condition: string }
  | { kind: "unwrap"; block: string };

/** Why the server refused an edit (the error's `data`). */
export interface EditRefusal {
  reason: "typeMismatch" | "dependants" | "notFound" | "invalid" | string;
  dependants?: string[];
}

/** Level of detail the preview draws. */
export type DetailMode = "full" | "overview" | "focus";

// Extension host → webview.
export type ToWebview =
  | {
      type: "graph";
      /** Increases with every graph sent; a late layout of an older one is dropped. */
      seq: number;
      uri: string;
      answer: GraphAnswer;
      mode: DetailMode;
      settings: { collapseAbove: number; focusHops: number };
      /** The live preview: ports, the palette and the form edit the text. */
      editable?: boolean;
    }
  /** The ops a step may call (the palette). */
  | { type: "catalog"; ops: CatalogOp[] }
  /** The outcome of an `edit` or `rename` the page posted: `select` is the node to select
   * (the new step); `error` the server's sentence when it refused. */
  | { type: "editResult"; id: number; ok: boolean; select?: string | null; error?: string }
  | { type: "cursor"; node: string | null }
  | { type: "status"; statuses: Record<string, { status: StepStatus; durationMs?: number }> }
  | { type: "clearStatus" }
  /** A graph diff drawn over the picture: marks per node, and the steps that are gone
   * (not in the graph any more, so listed in a note). An empty message clears it. */
  | { type: "diff"; marks: Record<string, { mark: DiffMark; detail?: string }>; removed: string[]; against: string }
  | { type: "message"; text: string } // e.g. "Open an .mlf file to see its graph."
  | { type: "command"; command: "fit" | "zoomIn" | "zoomOut" | "exportSvg" | "search" };

// Webview → extension host.
export type FromWebview =
  | { type: "ready" }
  | { type: "reveal"; node: string }
  | { type: "focus"; node: string } // the user asks to centre the focus view on a node
  | { type: "run"; node: string; kind: "runStep" | "runFrom" } // from the node's context menu
  | { type: "setMode"; mode: DetailMode }
  | { type: "exportSvg"; svg: string }
  /** `pinned`: drawn after an edit with the drawn nodes kept in place (no Graphviz). */
  | { type: "rendered"; seq: number; nodes: number; layoutMs: number; relaidOut: boolean; pinned?: boolean }
  | { type: "error"; message: string }
  /** A graph edit, made on the picture of graph `seq` (the extension sends the document
   * version that picture was drawn from). `id` comes back in `editResult`. */
  | { type: "edit"; id: number; seq: number; edit: GraphEdit }
  | { type: "rename"; id: number; node: string; name: string };
