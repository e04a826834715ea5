//! How values reach tasks across sub-DAGs. A value is made in one DAG (a param in the
//! root, a loop element in its `for`, a step output in the step's innermost block); a
//! reader in another DAG gets it passed down through each sub-DAG's inputs
//! (`pipelinechannel--…`) or lifted out of each block through its DAG outputs (gathered
//! into a list out of a `for`, as KFP's `dsl.Collected` does).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Value};

use super::types::KfpType;
use crate::ExportError;

/// A DAG: the root (`None`) or the sub-DAG of a block.
pub type DagId<'p> = Option<&'p str>;

/// What produces a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source<'p> {
    /// A param that is a parameter of the root.
    Param(&'p str),
    /// The element of a `for` block's list (the pair, for `zip`).
    Item(&'p str),
    /// An output of a task (a step, or an importer of an artifact param) in `dag`.
    Output {
        task: &'p str,
        output: &'p str,
        dag: DagId<'p>,
    },
}

/// Where a task input takes its value from, in the DAG the task stands in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ref {
    /// An input of the DAG's own component.
    Component(String),
    /// An output of a task of the same DAG (by its KFP task name).
    Task { task: String, key: String },
}

impl Ref {
    /// The `TaskInputsSpec` entry for this reference.
    pub fn input_spec(&self, artifact: bool) -> Value {
        match (self, artifact) {
            (Ref::Component(name), false) => json!({"componentInputParameter": name}),
            (Ref::Component(name), true) => json!({"componentInputArtifact": name}),
            (Ref::Task { task, key }, false) => {
                json!({"taskOutputParameter": {"producerTask": task, "outputParameterKey": key}})
            }
            (Ref::Task { task, key }, true) => {
                json!({"taskOutputArtifact": {"producerTask": task, "outputArtifactKey": key}})
            }
        }
    }

    pub fn producer(&self) -> Option<&str> {
        match self {
            Ref::Task { task, .. } => Some(task),
            Ref::Component(_) => None,
        }
    }
}

/// One DAG as it is being built.
#[derive(Debug, Default)]
pub struct Dag {
    pub inputs: BTreeMap<String, (KfpType, bool)>,
    /// Output key → type and the `DagOutputsSpec` entry.
    pub outputs: BTreeMap<String, (KfpType, Value)>,
    /// KFP task name → `PipelineTaskSpec`.
    pub tasks: BTreeMap<String, Value>,
}

/// The block tree, as wiring needs it.
pub trait Tree<'p> {
    fn parent(&self, block: &'p str) -> DagId<'p>;
    /// Whether `block` is a `for` (else an `if` branch).
    fn is_for(&self, block: &'p str) -> bool;
    /// The KFP name of the task that runs a block's sub-DAG.
    fn block_task(&self, block: &'p str) -> &str;
}

/// The blocks from the root down to `dag`, outermost first.
pub fn path<'p>(tree: &dyn Tree<'p>, dag: DagId<'p>) -> Vec<&'p str> {
    let mut out = Vec::new();
    let mut at = dag;
    while let Some(b) = at {
        out.push(b);
        at = tree.parent(b);
    }
    out.reverse();
    out
}

/// Sets `inputs.<kind>.<key>` of a task spec to `spec`, and makes the task wait for the
/// producer it names.
pub fn set_input(task: &mut Value, key: &str, artifact: bool, r: &Ref) {
    let kind = if artifact { "artifacts" } else { "parameters" };
    task["inputs"][kind][key] = r.input_spec(artifact);
    if let Some(producer) = r.producer() {
        add_dependency(task, producer);
    }
}

pub fn add_dependency(task: &mut Value, producer: &str) {
    let deps = task
        .as_object_mut()
        .expect("task specs are objects")
        .entry("dependentTasks")
        .or_insert_with(|| json!([]));
    let list = deps.as_array_mut().expect("dependentTasks is a list");
    if !list.iter().any(|d| d == producer) {
        list.push(json!(producer));
        list.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
}

/// The wiring state: every DAG, and where each value is made.
pub struct Wiring<'t, 'p> {
    pub tree: &'t dyn Tree<'p>,
    pub dags: BTreeMap<DagId<'p>, Dag>,
    /// The type of each source where it is made.
    pub types: HashMap<Source<'p>, KfpType>,
    /// Outputs read from outside an `if` branch: (task, output, block) once each.
    pub optional_reads: BTreeSet<(&'p str, &'p str, &'p str)>,
    /// Outputs gathered over more than one `for`.
    pub nested_gathers: BTreeSet<(&'p str, &'p str)>,
}

impl<'t, 'p> Wiring<'t, 'p> {
    pub fn new(tree: &'t dyn Tree<'p>) -> Wiring<'t, 'p> {
        Wiring {
            tree,
            dags: BTreeMap::new(),
            types: HashMap::new(),
            optional_reads: BTreeSet::new(),
            nested_gathers: BTreeSet::new(),
        }
    }

    pub fn dag(&mut self, id: DagId<'p>) -> &mut Dag {
        self.dags.entry(id).or_default()
    }

    /// The name a source has as an input of a sub-DAG (and as a lifted DAG output).
    pub fn channel(source: Source<'p>) -> String {
        match source {
            Source::Param(p) => format!("pipelinechannel--{p}"),
            Source::Item(b) => format!("pipelinechannel--{b}-item"),
            Source::Output { task, output, .. } => format!("pipelinechannel--{task}-{output}"),
        }
    }

    fn origin(source: Source<'p>) -> DagId<'p> {
        match source {
            Source::Param(_) => None,
            Source::Item(b) => Some(b),
            Source::Output { dag, .. } => dag,
        }
    }

    fn base(source: Source<'p>) -> Ref {
        match source {
            Source::Param(p) => Ref::Component(p.to_string()),
            Source::Item(_) => Ref::Component(Self::channel(source)),
            Source::Output { task, output, .. } => Ref::Task {
                task: task.to_string(),
                key: output.to_string(),
            },
        }
    }

    /// Where a reader in `dag` takes `source` from, and its type there; adds the sub-DAG
    /// inputs and outputs on the way.
    pub fn resolve(
        &mut self,
        source: Source<'p>,
        dag: DagId<'p>,
    ) -> Result<(Ref, KfpType), ExportError> {
        let origin = Self::origin(source);
        let made = self.types.get(&source).cloned().ok_or_else(|| {
            ExportError::BadIr(format!("a value is read before it is made ({source:?})"))
        })?;
        if dag == origin {
            return Ok((Self::base(source), made));
        }
        if let Some(child) = self.child_toward(dag, origin) {
            // The value is made further in: lift it out of the block below `dag`.
            let (key, ty) = self.lift(source, child)?;
            return Ok((
                Ref::Task {
                    task: self.tree.block_task(child).to_string(),
                    key,
                },
                ty,
            ));
        }
        let Some(block) = dag else {
            return Err(ExportError::BadIr(format!(
                "{source:?} is read outside the block that makes it"
            )));
        };
        let (outer, ty) = self.resolve(source, self.tree.parent(block))?;
        let key = Self::channel(source);
        self.pass_into(block, &key, &outer, &ty)?;
        Ok((Ref::Component(key), ty))
    }

    /// The block directly inside `outer` on the way down to `inner`, when `outer` holds
    /// `inner` (and is not it). Walked up from `inner` rather than by comparing paths: it
    /// runs for every read, and a path is an allocation.
    fn child_toward(&self, outer: DagId<'p>, inner: DagId<'p>) -> Option<&'p str> {
        let mut at = inner;
        while let Some(b) = at {
            let parent = self.tree.parent(b);
            if parent == outer {
                return Some(b);
            }
            at = parent;
        }
        None
    }

    /// Whether a `for` block stands strictly inside `block` on the way down to `inner`
    /// (which `block` holds).
    fn for_inside(&self, block: &'p str, inner: DagId<'p>) -> bool {
        let mut at = inner;
        while let Some(b) = at {
            if b == block {
                return false;
            }
            if self.tree.is_for(b) {
                return true;
            }
            at = self.tree.parent(b);
        }
        false
    }

    /// Declares `key` as an input of `block`'s sub-DAG and wires it on the block's task in
    /// the parent DAG.
    pub fn pass_into(
        &mut self,
        block: &'p str,
        key: &str,
        outer: &Ref,
        ty: &KfpType,
    ) -> Result<(), ExportError> {
        self.dag(Some(block))
            .inputs
            .insert(key.to_string(), (ty.clone(), false));
        let task_name = self.tree.block_task(block).to_string();
        let parent = self.tree.parent(block);
        let task = self
            .dag(parent)
            .tasks
            .get_mut(&task_name)
            .ok_or_else(|| ExportError::BadIr(format!("block `{block}` has no task")))?;
        set_input(task, key, ty.is_artifact(), outer);
        Ok(())
    }

    /// Makes `source` (made inside `block`) an output of `block`'s sub-DAG; returns its key
    /// and its type as seen from the parent.
    fn lift(
        &mut self,
        source: Source<'p>,
        block: &'p str,
    ) -> Result<(String, KfpType), ExportError> {
        let key = Self::channel(source);
        if let Some((ty, _)) = self.dag(Some(block)).outputs.get(&key) {
            return Ok((key, ty.clone()));
        }
        let (inner, ty) = self.resolve(source, Some(block))?;
        let Ref::Task {
            task,
            key: inner_key,
        } = inner
        else {
            return Err(ExportError::BadIr(format!(
                "{source:?} is lifted out of `{block}` but is not made in it"
            )));
        };
        let selector = if ty.is_artifact() {
            json!({"artifactSelectors": [{"producerSubtask": task, "outputArtifactKey": inner_key}]})
        } else {
            json!({"valueFromParameter": {"producerSubtask": task, "outputParameterKey": inner_key}})
        };
        let lifted = if self.tree.is_for(block) {
            // Gathered over an inner `for` already: KFP's behaviour for lists of lists
            // is not the runner's nesting, so it is reported.
            if let Source::Output { task, output, .. } = source {
                if self.for_inside(block, Self::origin(source)) {
                    self.nested_gathers.insert((task, output));
                }
            }
            ty.gathered()
        } else {
            if let Source::Output { task, output, .. } = source {
                self.optional_reads.insert((task, output, block));
            }
            ty
        };
        self.dag(Some(block))
            .outputs
            .insert(key.clone(), (lifted.clone(), selector));
        Ok((key, lifted))
    }
}
