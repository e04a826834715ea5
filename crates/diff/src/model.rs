//! The result of a diff as plain serde values: what `mlforge diff --format json` prints
//! (its JSON Schema is checked in at `schemas/diff.schema.json`, and `SCHEMA.md` explains
//! it), and what the text, Markdown and DOT writers read.
//!
//! Steps are keyed by their id in the new version, which is the node id of
//! `mlforge graph --format json` (`fit`, `te.fit` for an inlined sub-pipeline's step); a
//! removed step keeps its old id (it never clashes with a new one: a step whose id is in
//! both versions is compared with itself).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of this JSON format. Bump it on any change a consumer could notice.
pub const DIFF_VERSION: &str = "1";

/// Every pipeline compared, with one summary for all of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The format's version (`DIFF_VERSION`).
    pub version: String,
    /// Whether anything changed that changes what a run does.
    pub changed: bool,
    /// The summary line: `+2 steps, −1, ~3 changed, 1 renamed; 4 steps will re-run`, or
    /// `no semantic change`.
    pub summary: String,
    pub counts: Counts,
    /// One entry per pipeline in either version, in the order of the files and pipelines.
    pub pipelines: Vec<PipelineDiff>,
}

/// How many steps of each kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub added: usize,
    pub removed: usize,
    /// Steps whose definition changed, renamed or not.
    pub changed: usize,
    /// Steps found under another name, changed or not.
    pub renamed: usize,
    /// Steps of both versions whose cache key changes, so a run computes them again.
    pub rerun: usize,
    /// Everything else that changed (ops, params, outputs, edges, blocks, schedule).
    pub other: usize,
}

/// Whether something is in the old version, the new one, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Added,
    Removed,
    /// In both, and different.
    Changed,
    /// In both under different names, otherwise the same.
    Renamed,
    /// In both, and the same (listed only when it will re-run or its condition changed).
    Unchanged,
}

/// One pipeline compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineDiff {
    pub pipeline: String,
    /// The file that defines it in the new version (the old one when it was removed).
    pub file: String,
    /// `added`, `removed`, `changed` or `unchanged`.
    pub status: Status,
    pub changed: bool,
    /// This pipeline's summary line.
    pub summary: String,
    pub counts: Counts,
    /// Steps that were added, removed, changed or renamed, will re-run, or sit in a block
    /// whose condition changed, keyed by step id (see the module's documentation).
    pub steps: BTreeMap<String, StepDiff>,
    pub ops: Vec<OpDiff>,
    pub params: Vec<ParamDiff>,
    /// The pipeline's declared outputs.
    pub outputs: Vec<OutputDiff>,
    pub edges: EdgeDiff,
    /// `for` blocks and `if`/`else` branches.
    pub blocks: Vec<BlockDiff>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Change<Option<String>>>,
    /// Op attributes that changed the same way on every op of both versions, as changing a
    /// pipeline's default (`retries = 2`) does. Each op lists them too.
    pub defaults: Vec<AttributeChange>,
    pub impact: Impact,
}

/// A value before and after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Change<T> {
    pub old: T,
    pub new: T,
}

/// Where something is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub file: String,
    /// 1-based line and column (in characters).
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDiff {
    pub status: Status,
    /// The step's old id, when it was renamed (its status is then `renamed`, or `changed`
    /// when its definition changed too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The op it runs (in the old version for a removed step).
    pub op: String,
    /// What changed in its definition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<StepChange>,
    /// Whether a run computes it again (its cache key changes).
    pub rerun: bool,
    /// Why it re-runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    /// It sits in an `if`/`else` whose condition changed: whether it runs is decided anew.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub condition_changed: bool,
    /// Where it is written (in the old version for a removed step).
    pub source: Location,
}

/// One change to a step's definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepChange {
    /// It calls another op (`content_changed`: with other code or attributes). A change to
    /// the op it calls is not a change of the step: the op is listed in `ops`, and the step
    /// re-runs with the reason `op`.
    Op {
        old: String,
        new: String,
        content_changed: bool,
    },
    /// An input is given another value. Values are written as in the language;
    /// `default 200` is the op's default, and absent means not given.
    Argument {
        input: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new: Option<String>,
    },
    /// Steps it waits for (`after`), by id in the new version.
    After {
        added: Vec<String>,
        removed: Vec<String>,
    },
    /// It moved into or out of a `for` or `if` (blocks as written, outermost first).
    Scope { old: Vec<String>, new: Vec<String> },
}

/// Why a step re-runs, following the runner's cache key (the op's content hash, the input
/// values, and the content of the input artifacts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reason {
    /// The values it is given changed, or it calls another op.
    Definition,
    /// The code or attributes of the op it calls changed.
    Op { name: String },
    /// It reads a param whose default or type changed.
    Param { name: String },
    /// It reads an output of a step that re-runs.
    Upstream { step: String },
    /// Its `for` list changed (new elements run; a fan-in sees another list).
    ForList { block: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpDiff {
    /// The op's id in the new version (the old one when removed).
    pub name: String,
    /// `added`, `removed`, `changed` or `renamed`.
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<OpChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpChange {
    /// The code changed: a unified diff of the body (`---`/`+++` headers, `@@` hunks).
    Body {
        diff: String,
    },
    /// The body's file (`python file "…"`) is another one.
    BodyFile {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new: Option<String>,
    },
    Interpreter {
        old: String,
        new: String,
    },
    /// Inputs as `name: type = default`, in order.
    Inputs {
        old: Vec<String>,
        new: Vec<String>,
    },
    /// Outputs as `name: type`, in order.
    Outputs {
        old: Vec<String>,
        new: Vec<String>,
    },
    Attribute(AttributeChange),
}

/// An op attribute (`image`, `retries`, `timeout_seconds`, `cache`, `resources`, `env`,
/// `uses`, `requires`, `interpreter`):
/// its IR value before and after (`null` when not set).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeChange {
    pub name: String,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamDiff {
    pub name: String,
    /// `added`, `removed` or `changed`.
    pub status: Status,
    /// Types as written (`list<float>`); absent on the side that lacks the param.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_type: Option<String>,
    /// Defaults as written; absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_default: Option<String>,
}

/// A declared output of the pipeline: `name: type = value`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputDiff {
    pub name: String,
    /// `added`, `removed` or `changed`.
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EdgeDiff {
    pub added: Vec<EdgeRef>,
    pub removed: Vec<EdgeRef>,
}

/// An edge between steps, by id in the new version (a removed step by its old id).
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct EdgeRef {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// For data edges: `from`'s output read through `to`'s input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// A value or artifact flows.
    Data,
    /// `after`: ordering only.
    After,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockDiff {
    /// The block's IR id in the new version (the old one when removed).
    pub id: String,
    /// `for`, `if` or `else`.
    pub kind: String,
    /// `added`, `removed` or `changed`.
    pub status: Status,
    /// As written: `for lr in rates`, `if best.mse <= max_mse`, `else of if …`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

/// What the change does to a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Impact {
    /// Steps of both versions a run computes again, in the new version's order.
    pub rerun: Vec<String>,
    /// Steps in an `if`/`else` whose condition changed (decided at run time).
    pub conditional: Vec<String>,
    /// Outputs that are no longer produced: a removed step's outputs, outputs an op no
    /// longer has, removed pipeline outputs.
    pub lost_outputs: Vec<LostOutput>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LostOutput {
    /// The step (old id) that produced it; absent for a pipeline output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    pub output: String,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.added += other.added;
        self.removed += other.removed;
        self.changed += other.changed;
        self.renamed += other.renamed;
        self.rerun += other.rerun;
        self.other += other.other;
    }

    /// Whether anything changed that changes what a run does.
    pub fn any(&self) -> bool {
        self.added + self.removed + self.changed + self.renamed + self.rerun + self.other > 0
    }

    /// `+2 steps, −1, ~3 changed, 1 renamed; 4 steps will re-run`, with `; 2 other changes`
    /// when ops, params, edges, blocks or the schedule changed too.
    pub fn summary(&self) -> String {
        if !self.any() {
            return "no semantic change".to_string();
        }
        let mut line = format!(
            "+{} {}, −{}, ~{} changed, {} renamed; {} {} will re-run",
            self.added,
            plural(self.added, "step", "steps"),
            self.removed,
            self.changed,
            self.renamed,
            self.rerun,
            plural(self.rerun, "step", "steps"),
        );
        if self.other > 0 {
            line.push_str(&format!(
                "; {} other {}",
                self.other,
                plural(self.other, "change", "changes")
            ));
        }
        line
    }
}

pub(crate) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// The JSON Schema of [`Report`], as checked in at `schemas/diff.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Report);
    let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialize");
    text.push('\n');
    text
}
