//! From a checked pipeline to IR: resolve every name, apply defaults, inline sub-pipelines.
//!
//! Analysis has already proven the program well-formed, so this walk only translates. It
//! follows the pipeline's statements in the same order as analysis did, so the n-th step
//! and block here are the n-th of `PipelineAnalysis::graph`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet};

use mlforge_analysis::graph::StepGraph;
use mlforge_analysis::items::{
    find_op, find_pipeline, resolve_callee, CalleeKind, CalleeRef, ItemKey,
};
use mlforge_analysis::pipeline::{analyze_pipeline, PipelineAnalysis};
use mlforge_analysis::signature::callee_signature;
use mlforge_analysis::types::Ty;
use mlforge_analysis::{check_files, duration_seconds, memory_bytes, Db, Diagnostic, SourceFile};
use mlforge_syntax::ast::{self, AttrValue, BodySource, ExprKind, Stmt, UnaryOp};
use mlforge_syntax::parallel::map_chunks;
use mlforge_syntax::{LineIndex, Span};

use crate::hash::{op_hash, step_hash};
use crate::types::*;

#[derive(Debug)]
pub enum CompileError {
    /// The program has errors; they are the diagnostics to show.
    Invalid(Vec<Diagnostic>),
}

/// Compiles the pipeline `key` and everything it uses.
pub fn compile(db: &dyn Db, key: ItemKey<'_>) -> Result<Program, CompileError> {
    let file = key.file(db);
    let errors: Vec<Diagnostic> = check_files(db, &[file])
        .into_iter()
        .flat_map(|(_, ds)| ds)
        .filter(Diagnostic::is_error)
        .collect();
    if !errors.is_empty() {
        return Err(CompileError::Invalid(errors));
    }
    let pipeline = find_pipeline(db, file, key.name(db)).expect("select_pipeline found it");
    let analysis = analyze_pipeline(db, key);
    let mut compiler = Compiler {
        db,
        ops: BTreeMap::new(),
        op_ids: HashMap::default(),
        op_uses: HashMap::default(),
        blocks: BTreeMap::new(),
        for_blocks: Default::default(),
        file_positions: HashMap::default(),
        root: file,
    };
    let defaults = Defaults::default().overridden_by(&pipeline.attrs, &folder_of(db, file));
    let params: HashMap<String, Expr> = signature_params(db, file, &pipeline.name.text)
        .into_iter()
        .map(|(name, ty)| (name.clone(), Expr::Param { name, ty }))
        .collect();
    let frame = Frame {
        file,
        pipeline,
        analysis,
        prefix: String::new(),
        params,
        outer_scope: Vec::new(),
        outer_after: Vec::new(),
        defaults: defaults.clone(),
    };
    let compiled = compiler.frame(&frame);

    let param_types: HashMap<String, Ty> = signature_params_ty(db, file, &pipeline.name.text);
    let params = pipeline
        .params
        .iter()
        .map(|p| {
            let ty = ir_type(db, &param_types[p.name.text.as_str()]);
            Param {
                name: p.name.text.to_string(),
                default: p.default.as_ref().map(|d| constant(d, Some(&ty))),
                ty,
                doc: p.doc.clone(),
                source: compiler.source(file, p.span),
            }
        })
        .collect();
    let outputs = compiled
        .outputs
        .into_iter()
        .map(|(name, value)| PipelineOutput {
            ty: expr_type(&value),
            name,
            value,
        })
        .collect();
    let mut steps = compiled.steps;
    fill_step_hashes(&mut steps, &compiler.ops);
    Ok(Program {
        version: IR_VERSION.to_string(),
        pipeline: pipeline.name.text.to_string(),
        file: file.path(db).display().to_string(),
        doc: pipeline.doc.clone(),
        schedule: defaults.schedule,
        scheduling: scheduling(&pipeline.attrs),
        params,
        outputs,
        ops: compiler.ops,
        blocks: compiler.blocks,
        steps,
    })
}

/// Each step's content hash. The hashes are independent of one another and are a good
/// part of what compiling a big pipeline costs (each binding's JSON goes through sha256),
/// so they are computed on every core.
fn fill_step_hashes(steps: &mut [Step], ops: &BTreeMap<String, Op>) {
    let hashes = map_chunks(steps, |chunk| {
        let mut buffer = Vec::with_capacity(4096);
        chunk
            .iter()
            .map(|step| {
                step_hash(
                    &mut buffer,
                    &ops[&step.op].hash,
                    &step.bindings,
                    &step.after,
                    &step.scope,
                )
            })
            .collect::<Vec<_>>()
    });
    for (step, hash) in steps.iter_mut().zip(hashes.into_iter().flatten()) {
        step.hash = hash;
    }
}

fn signature_params_ty(db: &dyn Db, file: SourceFile, name: &str) -> HashMap<String, Ty> {
    let callee = CalleeRef {
        kind: CalleeKind::Pipeline,
        file,
        name: name.to_string(),
    };
    callee_signature(db, &callee)
        .map(|s| {
            s.inputs
                .iter()
                .map(|i| (i.name.clone(), i.ty.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn signature_params(db: &dyn Db, file: SourceFile, name: &str) -> Vec<(String, Type)> {
    let mut params: Vec<(String, Type)> = signature_params_ty(db, file, name)
        .into_iter()
        .map(|(n, t)| (n, ir_type(db, &t)))
        .collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    params
}

/// The folder of a source file, which paths written in it are relative to.
fn folder_of(db: &dyn Db, file: SourceFile) -> std::path::PathBuf {
    file.path(db)
        .parent()
        .unwrap_or(Path::new(""))
        .to_path_buf()
}

/// A path written in a file whose folder is `folder`, as the compiler reaches it.
fn resolved(folder: &Path, written: &str) -> String {
    folder.join(written).display().to_string()
}

/// A list of string literals (attributes like `uses` and `tags`; analysis checked them).
fn strings(expr: &ast::Expr) -> Vec<String> {
    match &expr.kind {
        ExprKind::List(items) => items
            .iter()
            .filter_map(|i| match &i.kind {
                ExprKind::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn scheduling(attrs: &[ast::Attribute]) -> Scheduling {
    let mut out = Scheduling::default();
    for attr in attrs {
        let AttrValue::Expr(value) = &attr.value else {
            continue;
        };
        match (attr.name.text.as_str(), &value.kind) {
            ("start_date", ExprKind::Str(s)) => out.start_date = Some(s.clone()),
            ("catchup", ExprKind::Bool(b)) => out.catchup = Some(*b),
            ("tags", _) => out.tags = strings(value),
            ("owner", ExprKind::Str(s)) => out.owner = Some(s.clone()),
            _ => {}
        }
    }
    out
}

/// Pipeline attributes that become op defaults, and the schedule.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
struct Defaults {
    image: Option<String>,
    retries: Option<u32>,
    timeout_seconds: Option<u64>,
    schedule: Option<String>,
    /// Resolved paths (see [`resolved`]).
    uses: Option<Vec<String>>,
    python: Option<String>,
}

impl Defaults {
    /// These defaults, overridden by `attrs` written in a file whose folder is `folder`.
    fn overridden_by(&self, attrs: &[ast::Attribute], folder: &Path) -> Defaults {
        let mut out = self.clone();
        for attr in attrs {
            let AttrValue::Expr(value) = &attr.value else {
                continue;
            };
            match (attr.name.text.as_str(), &value.kind) {
                ("image", ExprKind::Str(s)) => out.image = Some(s.clone()),
                ("retries", ExprKind::Int(n)) => out.retries = Some(*n as u32),
                ("timeout", ExprKind::Duration(d)) => {
                    out.timeout_seconds = duration_seconds(d).ok()
                }
                ("schedule", ExprKind::Str(s)) => out.schedule = Some(s.clone()),
                ("uses", _) => {
                    out.uses = Some(strings(value).iter().map(|p| resolved(folder, p)).collect())
                }
                // A bare program name is looked up on PATH when the step runs.
                ("interpreter", ExprKind::Str(s)) if s.contains('/') => {
                    out.python = Some(resolved(folder, s))
                }
                ("interpreter", ExprKind::Str(s)) => out.python = Some(s.clone()),
                _ => {}
            }
        }
        out
    }
}

/// What makes two compiled ops one: the op, its content, its `uses` and `interpreter`.
type OpIdentity = (SourceFile, String, u64, Vec<String>, Option<String>);

/// One pipeline being compiled: the root, or a sub-pipeline inlined by a step.
struct Frame<'a> {
    file: SourceFile,
    pipeline: &'a ast::Pipeline,
    analysis: &'a PipelineAnalysis,
    /// `""` for the root; `"te."` for the steps of sub-pipeline step `te`.
    prefix: String,
    /// What each param stands for here: the param itself at the root, the calling step's
    /// argument (or the default) in a sub-pipeline.
    params: HashMap<String, Expr>,
    /// Blocks around the calling step.
    outer_scope: Vec<String>,
    /// Steps the calling step waits for.
    outer_after: Vec<String>,
    defaults: Defaults,
}

/// What a step name of a frame stands for.
#[derive(Clone)]
enum StepTarget {
    Step {
        id: String,
        scope: Vec<String>,
        /// Its op's id, whose outputs it has.
        op: String,
    },
    /// An inlined sub-pipeline: its outputs (as expressions seen from its caller's
    /// scope), the scope of the calling step, and all its steps.
    Pipeline {
        outputs: HashMap<String, Expr>,
        scope: Vec<String>,
        steps: Vec<String>,
    },
}

struct CompiledFrame {
    steps: Vec<Step>,
    outputs: Vec<(String, Expr)>,
}

struct Compiler<'db> {
    db: &'db dyn Db,
    ops: BTreeMap<String, Op>,
    op_ids: HashMap<OpIdentity, String>,
    /// The op id each (op, pipeline defaults) pair compiled to, so each op is built once:
    /// by file and op name, then each set of defaults, so that the lookup for every step
    /// copies neither the name nor the defaults.
    op_uses: HashMap<SourceFile, HashMap<String, Vec<(Defaults, String)>>>,
    blocks: BTreeMap<String, Block>,
    /// Ids of the `for` blocks (the others are `if` branches).
    for_blocks: FxHashSet<String>,
    /// Each file's line index and its path as the IR writes it, made once per file.
    file_positions: HashMap<SourceFile, (LineIndex, Arc<str>)>,
    /// The compiled pipeline's file: artifact paths in the IR are relative to its folder.
    root: SourceFile,
}

/// Where an expression stands: its blocks and the loop variables in scope.
#[derive(Clone, Default)]
struct Site {
    scope: Vec<String>,
    loop_vars: Vec<(String, String, Type)>,
}

impl<'db> Compiler<'db> {
    fn frame(&mut self, frame: &Frame<'_>) -> CompiledFrame {
        let graph = &frame.analysis.graph;
        // Statements in analysis order give each step and block its number.
        let mut layout = Layout::default();
        layout.walk(&frame.pipeline.body);

        let block_ids: Vec<String> = (0..graph.blocks.len())
            .map(|b| format!("{}b{b}", frame.prefix))
            .collect();
        for (id, block) in block_ids.iter().zip(&layout.blocks) {
            if let LayoutBlock::For(_) = block {
                self.for_blocks.insert(id.clone());
            }
        }

        let mut targets: HashMap<String, StepTarget> = HashMap::default();
        let mut compiled: Vec<Option<Vec<Step>>> = vec![None; graph.steps.len()];
        for index in topological_order(graph) {
            let step = layout.steps[index];
            let node = &graph.steps[index];
            let site = self.site(frame, &layout, graph, &block_ids, node.block);
            let scope = site.scope.clone();
            let callee =
                resolve_callee(self.db, frame.file, &step.callee).expect("checked program");
            let mut after: Vec<String> = frame.outer_after.clone();
            for name in &step.after {
                match &targets[name.text.as_str()] {
                    StepTarget::Step { id, .. } => after.push(id.clone()),
                    StepTarget::Pipeline { steps, .. } => after.extend(steps.iter().cloned()),
                }
            }
            let id = format!("{}{}", frame.prefix, step.name.text);
            match callee.kind {
                CalleeKind::Op => {
                    let op_id = self.op(&callee, &frame.defaults);
                    let bindings = self.ops[&op_id]
                        .inputs
                        .iter()
                        .map(|input| {
                            let value = match step.args.iter().find(|a| a.name.text == input.name) {
                                Some(arg) => BindingValue::Given {
                                    expr: self.expr(
                                        &arg.value,
                                        frame,
                                        &site,
                                        &targets,
                                        Some(&input.ty),
                                    ),
                                },
                                None => match &input.default {
                                    Some(value) => BindingValue::Default {
                                        value: value.clone(),
                                    },
                                    None => BindingValue::Absent,
                                },
                            };
                            Binding {
                                input: input.name.clone(),
                                ty: input.ty.clone(),
                                value,
                            }
                        })
                        .collect::<Vec<_>>();
                    targets.insert(
                        step.name.text.to_string(),
                        StepTarget::Step {
                            id: id.clone(),
                            scope: scope.clone(),
                            op: op_id.clone(),
                        },
                    );
                    compiled[index] = Some(vec![Step {
                        id,
                        op: op_id,
                        scope,
                        bindings,
                        after,
                        // Filled in once every step is compiled (`fill_step_hashes`).
                        hash: String::new(),
                        doc: step.doc.clone(),
                        source: self.source(frame.file, step.span),
                    }]);
                }
                CalleeKind::Pipeline => {
                    let inner_pipeline =
                        find_pipeline(self.db, callee.file, &callee.name).expect("checked program");
                    let inner_key = ItemKey::new(self.db, callee.file, callee.name.clone());
                    let mut params = HashMap::default();
                    let param_types = signature_params_ty(self.db, callee.file, &callee.name);
                    for param in &inner_pipeline.params {
                        let ty = ir_type(self.db, &param_types[param.name.text.as_str()]);
                        let value = match step.args.iter().find(|a| a.name.text == param.name.text)
                        {
                            Some(arg) => self.expr(&arg.value, frame, &site, &targets, Some(&ty)),
                            None => match &param.default {
                                Some(default) => {
                                    let mut value = constant(default, Some(&ty));
                                    if param_types[param.name.text.as_str()].is_artifact() {
                                        let (from, to) =
                                            (callee.file.path(self.db), self.root.path(self.db));
                                        value = rebase_paths(value, from, to);
                                    }
                                    Expr::Literal { value, ty }
                                }
                                None => unreachable!("analysis reports missing arguments"),
                            },
                        };
                        params.insert(param.name.text.to_string(), value);
                    }
                    let inner = Frame {
                        file: callee.file,
                        pipeline: inner_pipeline,
                        analysis: analyze_pipeline(self.db, inner_key),
                        prefix: format!("{id}."),
                        params,
                        outer_scope: scope.clone(),
                        outer_after: after,
                        defaults: frame
                            .defaults
                            .overridden_by(&inner_pipeline.attrs, &folder_of(self.db, callee.file)),
                    };
                    let result = self.frame(&inner);
                    targets.insert(
                        step.name.text.to_string(),
                        StepTarget::Pipeline {
                            outputs: result.outputs.into_iter().collect(),
                            scope,
                            steps: result.steps.iter().map(|s| s.id.clone()).collect(),
                        },
                    );
                    compiled[index] = Some(result.steps);
                }
            }
        }

        // Blocks, now that every step they read is known.
        for (b, block) in graph.blocks.iter().enumerate() {
            let site = self.site(frame, &layout, graph, &block_ids, block.parent);
            let parent = block
                .parent
                .map(|p| block_ids[p].clone())
                .or_else(|| frame.outer_scope.last().cloned());
            let source = self.source(frame.file, block.span);
            let ir_block = match &layout.blocks[b] {
                LayoutBlock::For(f) => {
                    let (element, second_element) = self.loop_types(block.elem_ty.as_ref());
                    // `zip(a, b)` walks `a` and `b`: the block holds both lists.
                    let (over, second_over) = match (&f.second, &f.iter.kind) {
                        (Some(_), ExprKind::Call { args, .. }) if args.len() == 2 => (
                            self.expr(&args[0], frame, &site, &targets, None),
                            Some(Box::new(self.expr(&args[1], frame, &site, &targets, None))),
                        ),
                        _ => (self.expr(&f.iter, frame, &site, &targets, None), None),
                    };
                    Block::For {
                        parent,
                        var: f.var.text.to_string(),
                        element,
                        over,
                        second_var: f.second.as_ref().map(|n| n.text.to_string()),
                        second_element: second_element.filter(|_| f.second.is_some()).map(Box::new),
                        second_over,
                        source,
                    }
                }
                LayoutBlock::If(i, branch) => Block::If {
                    parent,
                    condition: self.expr(&i.cond, frame, &site, &targets, None),
                    branch: *branch,
                    source,
                },
            };
            self.blocks.insert(block_ids[b].clone(), ir_block);
        }

        let top = self.site(frame, &layout, graph, &block_ids, None);
        let outputs = frame
            .pipeline
            .body
            .iter()
            .filter_map(|s| match s {
                Stmt::Output(o) => {
                    let declared = frame
                        .analysis
                        .outputs
                        .iter()
                        .find(|(name, _)| *name == o.name.text)
                        .map(|(_, ty)| ir_type(self.db, ty));
                    Some((
                        o.name.text.to_string(),
                        self.expr(&o.value, frame, &top, &targets, declared.as_ref()),
                    ))
                }
                _ => None,
            })
            .collect();
        CompiledFrame {
            steps: compiled.into_iter().flatten().flatten().collect(),
            outputs,
        }
    }

    /// The site inside block `innermost` of a frame: its scope and loop variables.
    fn site(
        &self,
        frame: &Frame<'_>,
        layout: &Layout<'_>,
        graph: &StepGraph,
        block_ids: &[String],
        innermost: Option<usize>,
    ) -> Site {
        let mut site = Site {
            scope: frame.outer_scope.clone(),
            loop_vars: Vec::new(),
        };
        for b in graph.block_path(innermost) {
            site.scope.push(block_ids[b].clone());
            if let LayoutBlock::For(f) = &layout.blocks[b] {
                let (ty, second_ty) = self.loop_types(graph.blocks[b].elem_ty.as_ref());
                site.loop_vars
                    .push((f.var.text.to_string(), block_ids[b].clone(), ty));
                if let Some(second) = &f.second {
                    site.loop_vars.push((
                        second.text.to_string(),
                        block_ids[b].clone(),
                        second_ty.unwrap_or(Type::String),
                    ));
                }
            }
        }
        site
    }

    /// The types of a `for` block's variables, from its element type (a pair for `zip`).
    fn loop_types(&self, elem: Option<&Ty>) -> (Type, Option<Type>) {
        match elem {
            Some(Ty::Pair(a, b)) => (ir_type(self.db, a), Some(ir_type(self.db, b))),
            Some(t) => (ir_type(self.db, t), None),
            None => (Type::String, None),
        }
    }

    fn expr(
        &self,
        expr: &ast::Expr,
        frame: &Frame<'_>,
        site: &Site,
        targets: &HashMap<String, StepTarget>,
        expected: Option<&Type>,
    ) -> Expr {
        match &expr.kind {
            ExprKind::Name(name) => {
                if let Some((n, block, ty)) = site
                    .loop_vars
                    .iter()
                    .rev()
                    .find(|(n, _, _)| *n == name.text)
                {
                    return Expr::LoopVar {
                        block: block.clone(),
                        name: n.clone(),
                        ty: ty.clone(),
                    };
                }
                frame.params[name.text.as_str()].clone()
            }
            // `opts.size` where `opts` is a param or a loop variable (steps come first, as in
            // analysis).
            ExprKind::Field { base, field } if !targets.contains_key(base.text.as_str()) => {
                let of = self.expr(
                    &ast::Expr {
                        kind: ExprKind::Name(base.clone()),
                        span: base.span,
                    },
                    frame,
                    site,
                    targets,
                    None,
                );
                field_of(of, &field.text)
            }
            ExprKind::Member { base, field } => {
                let of = self.expr(base, frame, site, targets, None);
                field_of(of, &field.text)
            }
            ExprKind::Index { base, index } => {
                let of = self.expr(base, frame, site, targets, None);
                let index = self.expr(index, frame, site, targets, None);
                let ty = match expr_type(&of) {
                    Type::List { of } | Type::Dict { of } => *of,
                    other => other,
                };
                Expr::Index {
                    of: Box::new(of),
                    index: Box::new(index),
                    ty,
                }
            }
            ExprKind::Call { func, args } => {
                let args: Vec<Expr> = args
                    .iter()
                    .map(|a| self.expr(a, frame, site, targets, None))
                    .collect();
                let (function, ty) = match func.text.as_str() {
                    "present" => {
                        let ty = match args.first().map(expr_type) {
                            Some(Type::List { of }) => Type::List {
                                of: Box::new(match *of {
                                    Type::Optional { of } => *of,
                                    other => other,
                                }),
                            },
                            _ => Type::List {
                                of: Box::new(Type::String),
                            },
                        };
                        (Function::Present, ty)
                    }
                    _ => (
                        Function::Range,
                        Type::List {
                            of: Box::new(Type::Int),
                        },
                    ),
                };
                Expr::Call { function, args, ty }
            }
            ExprKind::Record(given) => {
                let fields: &[Field] = match expected {
                    Some(Type::Record { fields, .. }) => fields,
                    Some(Type::Optional { of }) => match &**of {
                        Type::Record { fields, .. } => fields,
                        _ => &[],
                    },
                    _ => &[],
                };
                let entries = fields
                    .iter()
                    .map(|field| {
                        let value = match given.iter().find(|g| g.name.text == field.name) {
                            Some(g) => self.expr(&g.value, frame, site, targets, Some(&field.ty)),
                            None => Expr::Literal {
                                value: field.default.clone().unwrap_or(Value::Null(())),
                                ty: field.ty.clone(),
                            },
                        };
                        (field.name.clone(), value)
                    })
                    .collect();
                let ty = match expected {
                    Some(Type::Optional { of }) => (**of).clone(),
                    Some(ty) => ty.clone(),
                    None => Type::String,
                };
                map_expr(entries, ty)
            }
            ExprKind::Dict(given) => {
                let value_ty = match expected {
                    Some(Type::Dict { of }) => Some(&**of),
                    _ => None,
                };
                let entries: BTreeMap<String, Expr> = given
                    .iter()
                    .map(|e| {
                        let value = self.expr(&e.value, frame, site, targets, value_ty);
                        (e.key.value.clone(), value)
                    })
                    .collect();
                let ty = Type::Dict {
                    of: Box::new(value_ty.cloned().unwrap_or_else(|| {
                        entries
                            .values()
                            .map(expr_type)
                            .reduce(join_types)
                            .unwrap_or(Type::String)
                    })),
                };
                map_expr(entries, ty)
            }
            ExprKind::Field { base, field } => match &targets[base.text.as_str()] {
                StepTarget::Step { id, scope, op } => {
                    let output = self.ops[op]
                        .outputs
                        .iter()
                        .find(|o| o.name == field.text)
                        .expect("checked program");
                    Expr::StepOutput {
                        step: id.clone(),
                        output: output.name.clone(),
                        ty: self.seen_from(output.ty.clone(), scope, &site.scope),
                    }
                }
                StepTarget::Pipeline { outputs, scope, .. } => {
                    self.retype(outputs[field.text.as_str()].clone(), scope, &site.scope)
                }
            },
            ExprKind::List(items) => {
                let elem = match expected {
                    Some(Type::List { of }) => Some(&**of),
                    _ => None,
                };
                let items: Vec<Expr> = items
                    .iter()
                    .map(|i| self.expr(i, frame, site, targets, elem))
                    .collect();
                if items.iter().all(|i| matches!(i, Expr::Literal { .. })) {
                    let values = items
                        .iter()
                        .map(|i| match i {
                            Expr::Literal { value, .. } => value.clone(),
                            _ => unreachable!(),
                        })
                        .collect();
                    let elem_ty = items
                        .iter()
                        .map(expr_type)
                        .reduce(join_types)
                        .or_else(|| elem.cloned());
                    return Expr::Literal {
                        value: Value::List(values),
                        ty: Type::List {
                            of: Box::new(elem_ty.unwrap_or(Type::String)),
                        },
                    };
                }
                Expr::List { items }
            }
            ExprKind::Unary { op, operand } => {
                let operand = self.expr(operand, frame, site, targets, None);
                if let (UnaryOp::Neg, Expr::Literal { value, ty }) = (op, &operand) {
                    let negated = match value {
                        Value::Int(n) => Some(Value::Int(-n)),
                        Value::Float(f) => Some(Value::Float(-f)),
                        _ => None,
                    };
                    if let Some(value) = negated {
                        return Expr::Literal {
                            value,
                            ty: ty.clone(),
                        };
                    }
                }
                Expr::Unary {
                    op: (*op).into(),
                    operand: Box::new(operand),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => Expr::Binary {
                op: (*op).into(),
                lhs: Box::new(self.expr(lhs, frame, site, targets, None)),
                rhs: Box::new(self.expr(rhs, frame, site, targets, None)),
            },
            _ => {
                let value = constant(expr, None);
                let ty = match (&value, expected) {
                    (Value::Int(_), Some(Type::Float)) => Type::Float,
                    _ => value_type(&value),
                };
                Expr::Literal { value, ty }
            }
        }
    }

    /// The IR op for a callee with the pipeline's defaults applied; ops that end up with
    /// different settings in different sub-pipelines get distinct ids.
    /// The id of the op `callee` under the pipeline's `defaults`, compiled on first use.
    fn op(&mut self, callee: &CalleeRef, defaults: &Defaults) -> String {
        let compiled = self
            .op_uses
            .get(&callee.file)
            .and_then(|ops| ops.get(callee.name.as_str()))
            .and_then(|uses| uses.iter().find(|(used, _)| used == defaults));
        if let Some((_, id)) = compiled {
            return id.clone();
        }
        let ast_op = find_op(self.db, callee.file, &callee.name).expect("checked program");
        let op = self.build_op(callee.file, ast_op, defaults);
        // `uses` and `interpreter` are not in the hash (they are paths from where the
        // compiler ran), but ops that differ in them are different ops.
        let key = (
            callee.file,
            callee.name.clone(),
            fingerprint(&op.hash),
            op.uses.clone(),
            op.python.clone(),
        );
        let id = match self.op_ids.get(&key) {
            Some(id) => id.clone(),
            None => {
                let mut id = callee.name.clone();
                let mut n = 2;
                while self.ops.contains_key(&id) {
                    id = format!("{}~{n}", callee.name);
                    n += 1;
                }
                self.op_ids.insert(key, id.clone());
                self.ops.insert(id.clone(), op);
                id
            }
        };
        self.op_uses
            .entry(callee.file)
            .or_default()
            .entry(callee.name.clone())
            .or_default()
            .push((defaults.clone(), id.clone()));
        id
    }

    fn build_op(&mut self, file: SourceFile, op: &ast::Op, defaults: &Defaults) -> Op {
        let callee = CalleeRef {
            kind: CalleeKind::Op,
            file,
            name: op.name.text.to_string(),
        };
        let signature = callee_signature(self.db, &callee).expect("checked program");
        let inputs = op
            .params
            .iter()
            .zip(&signature.inputs)
            .map(|(p, s)| {
                let ty = ir_type(self.db, &s.ty);
                OpInput {
                    name: s.name.clone(),
                    default: p.default.as_ref().map(|d| constant(d, Some(&ty))),
                    ty,
                }
            })
            .collect();
        let outputs = signature
            .outputs
            .iter()
            .map(|o| OpOutput {
                name: o.name.clone(),
                ty: ir_type(self.db, &o.ty),
            })
            .collect();
        let body = &op.bodies[0];
        let interpreter = match body.lang {
            ast::BodyLang::Python => Interpreter::Python,
            ast::BodyLang::Shell => Interpreter::Shell,
        };
        let body = match &body.source {
            BodySource::Inline { text, .. } => {
                let text = mlforge_syntax::body::dedent(text);
                let interpolations = mlforge_syntax::body::interpolations(&text)
                    .into_iter()
                    .filter(|i| !i.unterminated)
                    .map(|i| Interpolation {
                        name: i.name,
                        start: i.range.start as u32,
                        end: i.range.end as u32,
                    })
                    .collect();
                Body {
                    text,
                    path: None,
                    interpolations,
                    function: body.function,
                }
            }
            // The library's checks refuse body files (a std module lives in no folder), and
            // its tests hold every module to them: nothing is read from disk for it.
            BodySource::File(path) if self.db.is_std(file) => Body {
                text: String::new(),
                path: Some(path.value.clone()),
                interpolations: Vec::new(),
                function: false,
            },
            BodySource::File(path) => {
                let full = file
                    .path(self.db)
                    .parent()
                    .unwrap_or(Path::new(""))
                    .join(&path.value);
                Body {
                    text: self
                        .db
                        .file_from(&full, file.path(self.db))
                        .text(self.db)
                        .as_deref()
                        .unwrap_or("")
                        .to_string(),
                    path: Some(path.value.clone()),
                    interpolations: Vec::new(),
                    function: false,
                }
            }
        };
        let own = Defaults::default().overridden_by(&op.attrs, &folder_of(self.db, file));
        let mut resources = Resources::default();
        let mut env = BTreeMap::new();
        let mut requires = Vec::new();
        // An op with no outputs exists for its side effects: it runs every time unless it
        // asks to be cached (LANGUAGE.md §6.5).
        let mut cache = !signature.outputs.is_empty();
        for attr in &op.attrs {
            match (&*attr.name.text, &attr.value) {
                ("cache", AttrValue::Expr(e)) => cache = matches!(e.kind, ExprKind::Bool(true)),
                ("requires", AttrValue::Expr(e)) => requires = strings(e),
                ("resources", AttrValue::Block(entries)) => {
                    for entry in entries {
                        let AttrValue::Expr(e) = &entry.value else {
                            continue;
                        };
                        match (&*entry.name.text, constant(e, None)) {
                            ("cpu", Value::Int(n)) => resources.cpu = Some(n as f64),
                            ("cpu", Value::Float(f)) => resources.cpu = Some(f),
                            ("memory", Value::String(m)) => {
                                resources.memory_bytes = memory_bytes(&m).ok();
                                resources.memory = Some(m);
                            }
                            ("gpu", Value::Int(n)) => resources.gpu = Some(n as u32),
                            _ => {}
                        }
                    }
                }
                ("env", AttrValue::Block(entries)) => {
                    for entry in entries {
                        let value = match &entry.value {
                            AttrValue::Expr(value) => env_value(value),
                            AttrValue::Secret(secret) => Some(EnvValue::From(EnvFrom::Secret {
                                secret: secret.name.value.clone(),
                            })),
                            AttrValue::Block(_) => None,
                        };
                        if let Some(value) = value {
                            env.insert(entry.name.text.to_string(), value);
                        }
                    }
                }
                _ => {}
            }
        }
        let mut op = Op {
            name: op.name.text.to_string(),
            doc: op.doc.clone(),
            inputs,
            outputs,
            interpreter,
            body,
            image: own.image.or_else(|| defaults.image.clone()),
            retries: own.retries.or(defaults.retries).unwrap_or(0),
            timeout_seconds: own.timeout_seconds.or(defaults.timeout_seconds),
            cache,
            resources,
            env,
            uses: own
                .uses
                .or_else(|| defaults.uses.clone())
                .unwrap_or_default(),
            requires,
            python: own.python.or_else(|| defaults.python.clone()),
            hash: String::new(),
            source: self.source(file, op.span),
        };
        op.hash = op_hash(&op);
        op
    }

    /// A type as seen from a site: one list per `for` and one optional per `if` branch that
    /// holds the producer (`scope`) but not the site.
    fn seen_from(&self, ty: Type, scope: &[String], site: &[String]) -> Type {
        let common = scope.iter().zip(site).take_while(|(a, b)| a == b).count();
        scope[common..].iter().rev().fold(ty, |ty, block| {
            if self.for_blocks.contains(block) {
                Type::List { of: Box::new(ty) }
            } else if let Type::Optional { .. } = ty {
                ty
            } else {
                Type::Optional { of: Box::new(ty) }
            }
        })
    }

    /// A sub-pipeline output, re-typed for a site outside the calling step's blocks.
    fn retype(&self, expr: Expr, scope: &[String], site: &[String]) -> Expr {
        match expr {
            Expr::StepOutput { step, output, ty } => Expr::StepOutput {
                step,
                output,
                ty: self.seen_from(ty, scope, site),
            },
            other => other,
        }
    }

    fn source(&mut self, file: SourceFile, span: Span) -> Source {
        let db = self.db;
        let text = file.text(db).as_deref().unwrap_or("");
        let (index, path) = self.file_positions.entry(file).or_insert_with(|| {
            (
                LineIndex::new(text),
                file.path(db).display().to_string().into(),
            )
        });
        let at = index.line_col(text, span.start as usize);
        Source {
            file: path.clone(),
            start: span.start,
            end: span.end,
            line: at.line + 1,
            column: at.char_col + 1,
        }
    }
}

/// A record's field read from `of`.
fn field_of(of: Expr, field: &str) -> Expr {
    let ty = match expr_type(&of) {
        Type::Record { fields, .. } => fields
            .into_iter()
            .find(|f| f.name == field)
            .map(|f| f.ty)
            .unwrap_or(Type::String),
        _ => Type::String,
    };
    Expr::Field {
        of: Box::new(of),
        field: field.to_string(),
        ty,
    }
}

/// A record or dict built from `entries`: a literal when every entry is one.
fn map_expr(entries: BTreeMap<String, Expr>, ty: Type) -> Expr {
    if entries.values().all(|e| matches!(e, Expr::Literal { .. })) {
        let value = entries
            .into_iter()
            .map(|(k, e)| match e {
                Expr::Literal { value, .. } => (k, value),
                _ => unreachable!("every entry is a literal"),
            })
            .collect();
        return Expr::Literal {
            value: Value::Map(value),
            ty,
        };
    }
    Expr::Map { entries, ty }
}

/// An `env` entry's value written as an expression: a literal or a string input of the op.
fn env_value(expr: &ast::Expr) -> Option<EnvValue> {
    match &expr.kind {
        ExprKind::Str(s) => Some(EnvValue::Text(s.clone())),
        ExprKind::Name(name) => Some(EnvValue::From(EnvFrom::Input {
            input: name.text.to_string(),
        })),
        _ => None,
    }
}

fn fingerprint(hash: &str) -> u64 {
    u64::from_str_radix(&hash[..16], 16).unwrap_or(0)
}

/// The statements of a pipeline in analysis order.
#[derive(Default)]
struct Layout<'a> {
    steps: Vec<&'a ast::Step>,
    blocks: Vec<LayoutBlock<'a>>,
}

enum LayoutBlock<'a> {
    For(&'a ast::For),
    If(&'a ast::If, Branch),
}

impl<'a> Layout<'a> {
    fn walk(&mut self, stmts: &'a [Stmt]) {
        for stmt in stmts {
            match stmt {
                Stmt::Step(step) => self.steps.push(step),
                Stmt::For(f) => {
                    self.blocks.push(LayoutBlock::For(f));
                    self.walk(&f.body);
                }
                Stmt::If(i) => {
                    self.blocks.push(LayoutBlock::If(i, Branch::Then));
                    self.walk(&i.then_body);
                    if let Some(else_body) = &i.else_body {
                        self.blocks.push(LayoutBlock::If(i, Branch::Else));
                        self.walk(else_body);
                    }
                }
                Stmt::Output(_) | Stmt::Error(_) => {}
            }
        }
    }
}

/// Steps in an order where each comes after the steps it reads or waits for (ties in
/// source order).
fn topological_order(graph: &StepGraph) -> Vec<usize> {
    let n = graph.steps.len();
    let mut incoming = vec![0usize; n];
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (from, to, _) in graph.dependencies() {
        if from != to {
            incoming[to] += 1;
            outgoing[from].push(to);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| incoming[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for &to in &outgoing[next] {
            incoming[to] -= 1;
            if incoming[to] == 0 {
                ready.insert(to);
            }
        }
    }
    order
}

pub(crate) fn ir_type(db: &dyn Db, ty: &Ty) -> Type {
    match ty {
        Ty::Int => Type::Int,
        Ty::Float => Type::Float,
        Ty::Bool => Type::Bool,
        // A record literal's own type and zip's pairs never reach a checked program's IR.
        Ty::Str | Ty::Duration | Ty::Unknown | Ty::Literal(_) | Ty::Pair(..) => Type::String,
        Ty::Dict(value) => Type::Dict {
            of: Box::new(ir_type(db, value)),
        },
        Ty::Record(record) => record_type(db, record),
        Ty::Artifact(kind) => Type::Artifact {
            kinds: kind.chain.iter().map(|k| k.name().to_string()).collect(),
        },
        Ty::List(elem) => Type::List {
            of: Box::new(ir_type(db, elem)),
        },
        Ty::Optional(inner) => Type::Optional {
            of: Box::new(ir_type(db, inner)),
        },
    }
}

/// A record type with its fields' defaults, read from the declaration.
fn record_type(db: &dyn Db, record: &mlforge_analysis::types::RecordTy) -> Type {
    let decl = match mlforge_analysis::items::find_item(db, record.file, &record.name) {
        Some(ast::Item::Record(decl)) => Some(decl),
        _ => None,
    };
    let fields = record
        .fields
        .iter()
        .map(|f| {
            let ty = ir_type(db, &f.ty);
            let written = decl
                .and_then(|d| d.fields.iter().find(|d| d.name.text == f.name))
                .and_then(|d| d.default.as_ref());
            let default = match written {
                Some(expr) => Some(constant(expr, Some(&ty))),
                None if f.has_default => Some(Value::Null(())),
                None => None,
            };
            Field {
                name: f.name.clone(),
                ty,
                default,
            }
        })
        .collect();
    Type::Record {
        name: record.name.clone(),
        fields,
    }
}

fn value_type(value: &Value) -> Type {
    match value {
        Value::Bool(_) => Type::Bool,
        Value::Int(_) => Type::Int,
        Value::Float(_) => Type::Float,
        Value::String(_) => Type::String,
        Value::List(items) => Type::List {
            of: Box::new(
                items
                    .iter()
                    .map(value_type)
                    .reduce(join_types)
                    .unwrap_or(Type::String),
            ),
        },
        Value::Map(entries) => Type::Dict {
            of: Box::new(
                entries
                    .values()
                    .map(value_type)
                    .reduce(join_types)
                    .unwrap_or(Type::String),
            ),
        },
        Value::Null(()) => Type::Optional {
            of: Box::new(Type::String),
        },
    }
}

fn join_types(a: Type, b: Type) -> Type {
    match (&a, &b) {
        (Type::Int, Type::Float) | (Type::Float, Type::Int) => Type::Float,
        _ => a,
    }
}

pub(crate) fn expr_type(expr: &Expr) -> Type {
    match expr {
        Expr::Literal { ty, .. }
        | Expr::Param { ty, .. }
        | Expr::LoopVar { ty, .. }
        | Expr::StepOutput { ty, .. }
        | Expr::Map { ty, .. }
        | Expr::Field { ty, .. }
        | Expr::Index { ty, .. }
        | Expr::Call { ty, .. } => ty.clone(),
        Expr::List { items } => Type::List {
            of: Box::new(
                items
                    .iter()
                    .map(expr_type)
                    .reduce(join_types)
                    .unwrap_or(Type::String),
            ),
        },
        Expr::Unary {
            op: UnaryOperator::Not,
            ..
        } => Type::Bool,
        Expr::Unary { operand, .. } => expr_type(operand),
        Expr::Binary { op, lhs, rhs } => match op {
            BinaryOperator::Add | BinaryOperator::Sub | BinaryOperator::Mul => {
                join_types(expr_type(lhs), expr_type(rhs))
            }
            BinaryOperator::Div => Type::Float,
            _ => Type::Bool,
        },
    }
}

/// The value of a constant expression (checked by analysis to be one).
fn constant(expr: &ast::Expr, expected: Option<&Type>) -> Value {
    let expected = match expected {
        Some(Type::Optional { of }) => Some(&**of),
        other => other,
    };
    let value = match &expr.kind {
        ExprKind::Int(n) => Value::Int(*n),
        ExprKind::Float(text) => Value::Float(ast::Expr::float_value(text)),
        ExprKind::Str(s) => Value::String(s.clone()),
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Duration(d) => Value::String(d.clone()),
        ExprKind::List(items) => {
            let elem = match expected {
                Some(Type::List { of }) => Some(&**of),
                _ => None,
            };
            Value::List(items.iter().map(|i| constant(i, elem)).collect())
        }
        ExprKind::Record(given) => {
            let fields: &[Field] = match expected {
                Some(Type::Record { fields, .. }) => fields,
                _ => &[],
            };
            let mut map = BTreeMap::new();
            for field in fields {
                let value = match given.iter().find(|g| g.name.text == field.name) {
                    Some(g) => constant(&g.value, Some(&field.ty)),
                    None => field.default.clone().unwrap_or(Value::Null(())),
                };
                map.insert(field.name.clone(), value);
            }
            Value::Map(map)
        }
        ExprKind::Dict(entries) => {
            let value_ty = match expected {
                Some(Type::Dict { of }) => Some(&**of),
                _ => None,
            };
            Value::Map(
                entries
                    .iter()
                    .map(|e| (e.key.value.clone(), constant(&e.value, value_ty)))
                    .collect(),
            )
        }
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match constant(operand, expected) {
            Value::Int(n) => Value::Int(-n),
            Value::Float(f) => Value::Float(-f),
            other => other,
        },
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => match constant(operand, expected) {
            Value::Bool(b) => Value::Bool(!b),
            other => other,
        },
        ExprKind::Binary { op, lhs, rhs } => {
            arithmetic(*op, constant(lhs, None), constant(rhs, None))
        }
        ExprKind::Name(_)
        | ExprKind::Field { .. }
        | ExprKind::Member { .. }
        | ExprKind::Index { .. }
        | ExprKind::Call { .. }
        | ExprKind::Error => Value::String(String::new()),
    };
    // An `int` literal where a `float` is declared is a float.
    match (value, expected) {
        (Value::Int(n), Some(Type::Float)) => Value::Float(n as f64),
        (value, _) => value,
    }
}

fn arithmetic(op: ast::BinaryOp, lhs: Value, rhs: Value) -> Value {
    use ast::BinaryOp::*;
    match (lhs, rhs) {
        (Value::Int(a), Value::Int(b)) if op != Div => match op {
            Add => Value::Int(a.wrapping_add(b)),
            Sub => Value::Int(a.wrapping_sub(b)),
            Mul => Value::Int(a.wrapping_mul(b)),
            _ => Value::Bool(compare(op, a as f64, b as f64)),
        },
        (a, b) => {
            let (a, b) = (number(&a), number(&b));
            match op {
                Add => Value::Float(a + b),
                Sub => Value::Float(a - b),
                Mul => Value::Float(a * b),
                Div => Value::Float(a / b),
                _ => Value::Bool(compare(op, a, b)),
            }
        }
    }
}

fn number(value: &Value) -> f64 {
    match value {
        Value::Int(n) => *n as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

fn compare(op: ast::BinaryOp, a: f64, b: f64) -> bool {
    use ast::BinaryOp::*;
    match op {
        Eq => a == b,
        Ne => a != b,
        Lt => a < b,
        Le => a <= b,
        Gt => a > b,
        Ge => a >= b,
        _ => false,
    }
}

/// Paths written relative to the file `from`, made relative to the file `to`'s folder
/// (an artifact default of a sub-pipeline in another folder, inlined).
fn rebase_paths(value: Value, from: &Path, to: &Path) -> Value {
    match value {
        Value::String(path) => Value::String(rebase(&path, from, to)),
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|item| rebase_paths(item, from, to))
                .collect(),
        ),
        other => other,
    }
}

fn rebase(path: &str, from: &Path, to: &Path) -> String {
    use std::path::Component;
    if Path::new(path).is_absolute() {
        return path.to_string();
    }
    // Lexically: `.` dropped, `..` taken back where it can be.
    fn parts(dir: &Path) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for component in dir.components() {
            match component {
                Component::CurDir => {}
                Component::ParentDir if out.last().is_some_and(|p| p != "..") => {
                    out.pop();
                }
                other => out.push(other.as_os_str().to_string_lossy().into_owned()),
            }
        }
        out
    }
    let from_dir = parts(from.parent().unwrap_or(Path::new("")));
    let to_dir = parts(to.parent().unwrap_or(Path::new("")));
    let common = from_dir
        .iter()
        .zip(&to_dir)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out: Vec<String> = vec!["..".to_string(); to_dir.len() - common];
    out.extend(from_dir[common..].iter().cloned());
    out.push(path.to_string());
    out.join("/")
}

#[cfg(test)]
mod rebase_tests {
    use super::rebase;
    use std::path::Path;

    #[test]
    fn paths_move_to_the_compiled_file_folder() {
        let to = Path::new("proj/main.mlf");
        assert_eq!(rebase("d/x.csv", Path::new("proj/main.mlf"), to), "d/x.csv");
        assert_eq!(
            rebase("d/x.csv", Path::new("proj/./lib/sub.mlf"), to),
            "lib/d/x.csv"
        );
        assert_eq!(
            rebase("x.csv", Path::new("proj/lib/../shared/s.mlf"), to),
            "shared/x.csv"
        );
        assert_eq!(
            rebase("x.csv", Path::new("other/s.mlf"), to),
            "../other/x.csv"
        );
        assert_eq!(
            rebase("/abs/x.csv", Path::new("other/s.mlf"), to),
            "/abs/x.csv"
        );
    }
}
