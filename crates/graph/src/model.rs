//! The graph of one pipeline as plain serde values: what `mlforge graph --format json`
//! prints and what the editor's live preview consumes.
//!
//! Ids are stable across edits that do not touch the thing they name:
//! - a step node's id is its path: `fit`, or `te.fit` for the step `fit` of the
//!   pipeline that the step `te` calls (inlined);
//! - a pipeline cluster's id is the calling step's path (`te`): the calling step is drawn
//!   as the cluster holding the callee's steps, never also as a node;
//! - a block cluster's id is `for#N`, `if#N` or `else#N` (the `else` of `if#N`), numbered
//!   in source order within its pipeline and prefixed like steps (`te.for#1`); `#` never
//!   occurs in a step name, so node and cluster ids never collide;
//! - an edge's id names its kind, ends and ports; a repeat gets `~2`, `~3`, ….
//!
//! The JSON is kept compact because the editor's preview asks for it after every pause in
//! typing, and a 5,000-step pipeline has 5,000 nodes and 12,000 edges:
//! - a range is an array `[start_line, start_column, end_line, end_column, start_offset,
//!   end_offset]` (see [`Range`]);
//! - `file` is left out of a node, edge, cluster or diagnostic in the model's own file (it
//!   is there only for the steps of a sub-pipeline inlined from another file);
//! - fields at their default are left out: `diagnostics` when empty, `broken` when false,
//!   and `op_kind`, `cluster`, `parent`, `size`, `label`, `input`, `type` and `signature`
//!   when null (and inside a signature, see [`Signature`]);
//!   `hidden_up` and `hidden_down` when 0 (they are set only in a focus subgraph).

use std::sync::Arc;

use serde::ser::SerializeTuple;
use serde::{Serialize, Serializer};

/// One pipeline's graph: steps (inlined through sub-pipelines), blocks and edges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphModel {
    /// The pipeline drawn.
    pub pipeline: String,
    /// The file that defines it, as the database knows it.
    pub file: Arc<str>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub clusters: Vec<Cluster>,
    /// Diagnostics of the drawn pipelines that lie in no step and no block (a param, an
    /// output, an attribute of the pipeline).
    pub diagnostics: Vec<NodeDiagnostic>,
}

/// A step that runs an op (or a pipeline that could not be inlined).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Node {
    pub id: String,
    /// Always `"step"` for now.
    pub kind: &'static str,
    /// The step's name.
    pub label: String,
    /// The callee as written: `train`, or `ops.train` with its namespace.
    pub op: String,
    /// `"op"` or `"pipeline"`; `None` when the callee does not resolve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub op_kind: Option<&'static str>,
    /// The file holding the step when it is not the model's file (a sub-pipeline's steps
    /// may live in another file); see [`GraphModel::file_of`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    /// The whole `step … = …(…)` statement.
    pub range: Range,
    /// The step's name.
    pub name_range: Range,
    /// The innermost cluster holding the node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Inputs given, with their declared types.
    pub inputs: Vec<Port>,
    /// Outputs, with their types inside the step's block.
    pub outputs: Vec<Port>,
    /// Arguments as written, in order.
    pub args: Vec<Arg>,
    /// Everything the callee takes and gives, for an editor's ports and forms; `None` when
    /// the callee does not resolve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
    /// Errors and warnings whose primary span lies inside the step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<NodeDiagnostic>,
    /// The step has at least one error.
    #[serde(skip_serializing_if = "is_false")]
    pub broken: bool,
    /// In a focus subgraph ([`GraphModel::focus`]): how many of the step's direct
    /// predecessors (data and `after`) are left out. Always 0 in a whole graph.
    #[serde(skip_serializing_if = "is_zero")]
    pub hidden_up: u32,
    /// The same for direct successors.
    #[serde(skip_serializing_if = "is_zero")]
    pub hidden_down: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Port {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Arc<str>,
}

/// A step's callee as the graph editor needs it. In JSON, fields at their default are
/// left out: `required` and `given` when false, `default` and `doc` when null.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signature {
    pub inputs: Vec<SignatureInput>,
    /// Shared by the steps calling one callee.
    pub outputs: Arc<[Port]>,
    /// The first paragraph of the callee's `///` doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<Arc<str>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureInput {
    pub name: Arc<str>,
    #[serde(rename = "type")]
    pub ty: Arc<str>,
    /// No default and not optional: a step must give it.
    #[serde(skip_serializing_if = "is_false")]
    pub required: bool,
    /// The default as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Arc<str>>,
    /// The step gives it.
    #[serde(skip_serializing_if = "is_false")]
    pub given: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Arg {
    pub name: String,
    /// The argument's source text.
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeDiagnostic {
    /// Like `E0401`.
    pub code: String,
    /// `"error"` or `"warning"`.
    pub severity: &'static str,
    pub message: String,
    /// The file, when it is not the model's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    pub range: Range,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    /// A value or artifact flows: `to` reads `from`'s output `label` through its input
    /// `input`.
    Data,
    /// `to` waits for `from` (`after`).
    After,
    /// A block's list (`for`) or condition (`if`/`else`) reads `from`'s output `label`;
    /// `to` is the block's cluster and `input` is `"list"` or `"condition"`.
    Control,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub id: String,
    /// A node id, or a cluster id when the edge leaves a whole cluster (`after te`, or an
    /// output of a sub-pipeline that no inner step produces).
    pub from: String,
    /// A node id, or a cluster id (a control edge, `after` a whole sub-pipeline, or an input
    /// of a sub-pipeline that no inner step reads).
    pub to: String,
    pub kind: EdgeKind,
    /// The output that flows (`None` for `after`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The input of `to` that reads it (`None` for `after`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The value's type where it is read (`None` for `after` and control edges).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<Arc<str>>,
    /// The file, when it is not the model's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    /// The reference that makes the edge (`fit.model`, or the name after `after`).
    pub range: Range,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterKind {
    For,
    If,
    Else,
    /// A step calling a pipeline, drawn as the callee's steps.
    Pipeline,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cluster {
    pub id: String,
    pub kind: ClusterKind,
    /// `for lr in rates`, `if best.mse <= max_mse`, `else: not (…)`, or the calling step's
    /// name for a pipeline.
    pub label: String,
    /// The list of a `for` or the condition of an `if` as written (negated for `else`); the
    /// callee as written for a pipeline.
    pub source: String,
    /// The number of elements of a `for`'s list, when the text says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The file, when it is not the model's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    /// The block (the `if` statement for both branches), or the calling step.
    pub range: Range,
    /// Diagnostics inside the block or calling step but in none of its steps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<NodeDiagnostic>,
    #[serde(skip_serializing_if = "is_false")]
    pub broken: bool,
}

/// A source range: 1-based lines and columns (columns in characters), and byte offsets.
/// In JSON, the array `[start_line, start_column, end_line, end_column, start_offset,
/// end_offset]`: ranges are most of a big graph's JSON, and the array is a quarter of the
/// object's size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub start_offset: u32,
    pub end_offset: u32,
}

impl Serialize for Range {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(6)?;
        for value in [
            self.start_line,
            self.start_column,
            self.end_line,
            self.end_column,
            self.start_offset,
            self.end_offset,
        ] {
            tuple.serialize_element(&value)?;
        }
        tuple.end()
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

impl GraphModel {
    /// The file of a node, edge, cluster or diagnostic: its own `file`, or the model's.
    pub fn file_of<'a>(&'a self, file: &'a Option<Arc<str>>) -> &'a str {
        file.as_deref().unwrap_or(&self.file)
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The index of the node `id` in `nodes`.
    pub fn node_index_of(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }

    pub fn cluster(&self, id: &str) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.id == id)
    }

    /// The number of steps (nodes) with errors, and of clusters with errors.
    pub fn broken_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.broken).count()
            + self.clusters.iter().filter(|c| c.broken).count()
    }
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Data => "data",
            EdgeKind::After => "after",
            EdgeKind::Control => "control",
        }
    }
}

impl ClusterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterKind::For => "for",
            ClusterKind::If => "if",
            ClusterKind::Else => "else",
            ClusterKind::Pipeline => "pipeline",
        }
    }
}
