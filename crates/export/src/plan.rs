//! A target-neutral view of one program that every exporter walks: tasks (one per step)
//! with what each input reads and what each waits for, the `for`/`if` block tree, params
//! and outputs. Built once, checked once (a dangling id is a compiler bug, reported as
//! [`ExportError::BadIr`]), so no target re-derives structure from the IR.

use std::collections::{BTreeMap, HashMap};

use mlforge_ir::{Binding, BindingValue, Block, Expr, Op, Param, Program, Step, Type, Value};

use crate::ExportError;

/// The program, seen as tasks in blocks.
#[derive(Debug)]
pub struct Plan<'p> {
    pub program: &'p Program,
    /// One per IR step, in source order.
    pub tasks: Vec<Task<'p>>,
    /// Every `for` and `if` branch, by id.
    pub blocks: BTreeMap<&'p str, PlanBlock<'p>>,
    /// What stands directly in the pipeline (outside every block), in source order.
    pub root: Vec<Node<'p>>,
    /// The pipeline's params, with types and defaults.
    pub params: &'p [Param],
    pub outputs: Vec<PlanOutput<'p>>,
    by_id: HashMap<&'p str, usize>,
}

/// A step and its op.
#[derive(Debug)]
pub struct Task<'p> {
    pub step: &'p Step,
    /// The op's id (a key of `Program::ops`).
    pub op_id: &'p str,
    pub op: &'p Op,
    /// The innermost block around the step (`None`: it stands in the pipeline).
    pub block: Option<&'p str>,
    /// One per op input, in the op's input order.
    pub inputs: Vec<TaskInput<'p>>,
    /// The steps this one waits for: each once, in the order first met (inputs, then
    /// `after`). A step that reads a step *and* names it in `after` has one `Data` edge.
    /// The steps its blocks read are the blocks' dependencies ([`PlanBlock::deps`]).
    pub deps: Vec<Dep<'p>>,
}

impl<'p> Task<'p> {
    pub fn id(&self) -> &'p str {
        &self.step.id
    }
}

/// One input of a step and where its value comes from.
#[derive(Debug)]
pub struct TaskInput<'p> {
    pub name: &'p str,
    /// The input's declared type.
    pub ty: &'p Type,
    pub source: InputSource<'p>,
    /// Every param, loop variable and step output the value reads, in order.
    pub reads: Vec<Read<'p>>,
}

/// Where an input's value comes from. The simple cases are spelled out, so that targets
/// can wire them directly; anything else is an expression to evaluate at run time.
#[derive(Debug)]
pub enum InputSource<'p> {
    /// A constant the step passes.
    Literal(&'p Value),
    /// Not passed: the op's default.
    Default(&'p Value),
    /// Not passed, optional, no default.
    Absent,
    Param(&'p str),
    LoopVar {
        block: &'p str,
        name: &'p str,
    },
    StepOutput {
        step: &'p str,
        output: &'p str,
    },
    /// Any other expression (lists, records, fields, indexing, arithmetic, calls).
    Computed(&'p Expr),
}

/// One thing a value reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read<'p> {
    Param(&'p str),
    LoopVar {
        block: &'p str,
        name: &'p str,
    },
    StepOutput {
        step: &'p str,
        output: &'p str,
        /// The producer's blocks that the reader stands outside of, outermost first: each
        /// `for` there gathers the output into a list, each `if` makes it optional.
        across: Vec<&'p str>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dep<'p> {
    pub step: &'p str,
    pub kind: DepKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepKind {
    /// It reads the step's outputs.
    Data,
    /// It names the step in `after`.
    After,
}

/// A `for` or one branch of an `if`, with what it holds.
#[derive(Debug)]
pub struct PlanBlock<'p> {
    pub id: &'p str,
    pub block: &'p Block,
    pub parent: Option<&'p str>,
    /// What stands directly in the block, in source order.
    pub children: Vec<Node<'p>>,
    /// What its list(s) or condition read.
    pub reads: Vec<Read<'p>>,
    /// The steps those read, each once.
    pub deps: Vec<&'p str>,
}

/// A member of the block tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node<'p> {
    /// An index into [`Plan::tasks`].
    Task(usize),
    Block(&'p str),
}

/// A pipeline output and what it reads.
#[derive(Debug)]
pub struct PlanOutput<'p> {
    pub name: &'p str,
    pub ty: &'p Type,
    pub value: &'p Expr,
    pub reads: Vec<Read<'p>>,
}

impl<'p> Plan<'p> {
    pub fn new(program: &'p Program) -> Result<Plan<'p>, ExportError> {
        let mut by_id = HashMap::with_capacity(program.steps.len());
        for (i, step) in program.steps.iter().enumerate() {
            if by_id.insert(step.id.as_str(), i).is_some() {
                return Err(ExportError::BadIr(format!(
                    "step `{}` is defined twice",
                    step.id
                )));
            }
        }
        let scopes: HashMap<&str, &[String]> = program
            .steps
            .iter()
            .map(|s| (s.id.as_str(), s.scope.as_slice()))
            .collect();
        let reads_of = |expr: &'p Expr, scope: &[String]| -> Result<Vec<Read<'p>>, ExportError> {
            let mut reads = Vec::new();
            collect_reads(expr, scope, &scopes, &mut reads)?;
            Ok(reads)
        };

        let mut blocks = BTreeMap::new();
        for (id, block) in &program.blocks {
            let parent = match block {
                Block::For { parent, .. } | Block::If { parent, .. } => parent.as_deref(),
            };
            if let Some(p) = parent.filter(|p| !program.blocks.contains_key(*p)) {
                return Err(ExportError::BadIr(format!(
                    "block `{id}` names an unknown parent `{p}`"
                )));
            }
            // A block's expressions are evaluated in its parent's scope.
            let scope = blockscope(program, parent);
            let mut reads = Vec::new();
            for expr in block.exprs() {
                reads.extend(reads_of(expr, &scope)?);
            }
            let deps = step_deps(&reads);
            blocks.insert(
                id.as_str(),
                PlanBlock {
                    id,
                    block,
                    parent,
                    children: Vec::new(),
                    reads,
                    deps,
                },
            );
        }

        let mut tasks = Vec::with_capacity(program.steps.len());
        for step in &program.steps {
            let op = program.ops.get(&step.op).ok_or_else(|| {
                ExportError::BadIr(format!(
                    "step `{}` runs an unknown op `{}`",
                    step.id, step.op
                ))
            })?;
            if let Some(b) = step.scope.iter().find(|b| !blocks.contains_key(b.as_str())) {
                return Err(ExportError::BadIr(format!(
                    "step `{}` is in an unknown block `{b}`",
                    step.id
                )));
            }
            let mut inputs = Vec::with_capacity(step.bindings.len());
            for binding in &step.bindings {
                inputs.push(task_input(binding, &step.scope, &reads_of)?);
            }
            let mut deps: Vec<Dep> = Vec::new();
            for read in inputs.iter().flat_map(|i| &i.reads) {
                if let Read::StepOutput { step: s, .. } = read {
                    push_dep(&mut deps, s, DepKind::Data);
                }
            }
            for after in &step.after {
                let after = program
                    .steps
                    .get(*by_id.get(after.as_str()).ok_or_else(|| {
                        ExportError::BadIr(format!(
                            "step `{}` waits for an unknown step `{after}`",
                            step.id
                        ))
                    })?)
                    .map(|s| s.id.as_str())
                    .expect("indexes come from the same list");
                push_dep(&mut deps, after, DepKind::After);
            }
            tasks.push(Task {
                step,
                op_id: &step.op,
                op,
                block: step.scope.last().map(String::as_str),
                inputs,
                deps,
            });
        }

        let mut root = Vec::new();
        let mut placed: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (i, step) in program.steps.iter().enumerate() {
            // Each block enters its parent's children where its first step stands.
            let mut parent: Option<&str> = None;
            for b in &step.scope {
                if placed.insert(b.as_str()) {
                    let node = Node::Block(b.as_str());
                    match parent {
                        None => root.push(node),
                        Some(p) => blocks
                            .get_mut(p)
                            .expect("checked above")
                            .children
                            .push(node),
                    }
                }
                parent = Some(b.as_str());
            }
            match parent {
                None => root.push(Node::Task(i)),
                Some(p) => blocks
                    .get_mut(p)
                    .expect("checked above")
                    .children
                    .push(Node::Task(i)),
            }
        }

        let mut outputs = Vec::with_capacity(program.outputs.len());
        for out in &program.outputs {
            outputs.push(PlanOutput {
                name: &out.name,
                ty: &out.ty,
                value: &out.value,
                reads: reads_of(&out.value, &[])?,
            });
        }

        Ok(Plan {
            program,
            tasks,
            blocks,
            root,
            params: &program.params,
            outputs,
            by_id,
        })
    }

    /// The task of a step id.
    pub fn task(&self, step: &str) -> Option<&Task<'p>> {
        self.by_id.get(step).map(|&i| &self.tasks[i])
    }
}

/// The scope of a block's parent: the parent's ancestors, then the parent.
fn blockscope(program: &Program, parent: Option<&str>) -> Vec<String> {
    let mut scope = Vec::new();
    let mut at = parent;
    while let Some(id) = at {
        scope.insert(0, id.to_string());
        at = match program.blocks.get(id) {
            Some(Block::For { parent, .. } | Block::If { parent, .. }) => parent.as_deref(),
            None => None,
        };
        if scope.len() > program.blocks.len() {
            break; // a parent cycle: the IR never has one, and this must not hang
        }
    }
    scope
}

fn task_input<'p>(
    binding: &'p Binding,
    scope: &[String],
    reads_of: &impl Fn(&'p Expr, &[String]) -> Result<Vec<Read<'p>>, ExportError>,
) -> Result<TaskInput<'p>, ExportError> {
    let (source, reads) = match &binding.value {
        BindingValue::Default { value } => (InputSource::Default(value), Vec::new()),
        BindingValue::Absent => (InputSource::Absent, Vec::new()),
        BindingValue::Given { expr } => {
            let reads = reads_of(expr, scope)?;
            let source = match expr {
                Expr::Literal { value, .. } => InputSource::Literal(value),
                Expr::Param { name, .. } => InputSource::Param(name),
                Expr::LoopVar { block, name, .. } => InputSource::LoopVar { block, name },
                Expr::StepOutput { step, output, .. } => InputSource::StepOutput { step, output },
                other => InputSource::Computed(other),
            };
            (source, reads)
        }
    };
    Ok(TaskInput {
        name: &binding.input,
        ty: &binding.ty,
        source,
        reads,
    })
}

fn collect_reads<'p>(
    expr: &'p Expr,
    scope: &[String],
    scopes: &HashMap<&str, &'p [String]>,
    out: &mut Vec<Read<'p>>,
) -> Result<(), ExportError> {
    let read = match expr {
        Expr::Param { name, .. } => Some(Read::Param(name)),
        Expr::LoopVar { block, name, .. } => Some(Read::LoopVar { block, name }),
        Expr::StepOutput { step, output, .. } => {
            let producer = scopes.get(step.as_str()).ok_or_else(|| {
                ExportError::BadIr(format!("an expression reads an unknown step `{step}`"))
            })?;
            let across = producer
                .iter()
                .filter(|b| !scope.contains(b))
                .map(String::as_str)
                .collect();
            Some(Read::StepOutput {
                step,
                output,
                across,
            })
        }
        _ => None,
    };
    if let Some(read) = read {
        if !out.contains(&read) {
            out.push(read);
        }
    }
    for child in expr.children() {
        collect_reads(child, scope, scopes, out)?;
    }
    Ok(())
}

fn step_deps<'p>(reads: &[Read<'p>]) -> Vec<&'p str> {
    let mut deps: Vec<&str> = Vec::new();
    for read in reads {
        if let Read::StepOutput { step, .. } = read {
            if !deps.contains(step) {
                deps.push(step);
            }
        }
    }
    deps
}

fn push_dep<'p>(deps: &mut Vec<Dep<'p>>, step: &'p str, kind: DepKind) {
    if !deps.iter().any(|d| d.step == step) {
        deps.push(Dep { step, kind });
    }
}
