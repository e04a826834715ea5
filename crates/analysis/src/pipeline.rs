//! Checks of one pipeline: names, calls, types through `for` and `if`, outputs, the step
//! graph, and the warnings about unused things.

// Fx hashing: the keys are short names and step numbers, looked up for every reference of
// every step; SipHash's resistance to crafted keys buys nothing here.
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use mlforge_syntax::ast::{self, Expr, ExprKind, Name, Stmt};
use mlforge_syntax::Span;

use crate::attributes::{check_attributes, PIPELINE_ATTRIBUTES};
use crate::codes::Code;
use crate::diagnostic::{suggest, Diagnostic, Sink};
use crate::exprs::{infer, is_constant, report_mismatch, NoNames, Scope};
use crate::graph::{BlockKind, Edge, EdgeKind, StepGraph};
use crate::items::{
    find_pipeline, imports, resolve_callee, CalleeError, CalleeKind, CalleeRef, ItemKey,
};
use crate::signature::{callee_signature, resolve_type, Signature};
use crate::types::{assignable, Ty};
use crate::{Db, SourceFile};

/// A pipeline's diagnostics and its step graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PipelineAnalysis {
    pub diagnostics: Vec<Diagnostic>,
    pub graph: StepGraph,
    /// The type of each `output` statement's value, in source order.
    pub outputs: Vec<(String, Ty)>,
}

impl Drop for PipelineAnalysis {
    fn drop(&mut self) {
        crate::drop_later::drop_later((
            std::mem::take(&mut self.graph),
            std::mem::take(&mut self.diagnostics),
        ));
    }
}

/// A pipeline's analysis. After an edit inside one step, the previous analysis is patched
/// when it can be (`pipeline_patch.rs`) rather than the whole pipeline checked again.
#[salsa::tracked(returns(ref))]
pub fn analyze_pipeline(db: &dyn Db, key: ItemKey<'_>) -> Arc<PipelineAnalysis> {
    let file = key.file(db);
    let Some(pipeline) = find_pipeline(db, file, key.name(db)) else {
        return Arc::new(PipelineAnalysis {
            diagnostics: Vec::new(),
            graph: StepGraph::default(),
            outputs: Vec::new(),
        });
    };
    let text: Arc<str> = file.text(db).clone().unwrap_or_else(|| Arc::from(""));
    let previous_key = (file, key.name(db).clone());
    let patched = db
        .previous()
        .analyses
        .get(&previous_key)
        .and_then(|(old_text, old)| {
            crate::pipeline_patch::patch(db, file, pipeline, &old_text, &text, &old)
        });
    let analysis = Arc::new(patched.unwrap_or_else(|| check_pipeline(db, file, pipeline)));
    let previous = &db.previous().analyses;
    previous.set(previous_key, text, analysis.clone());
    // Forget the pipelines this file no longer defines (a name being typed leaves one
    // analysis per prefix otherwise).
    let defined = crate::items::item_index(db, file);
    previous.retain(|(f, name)| *f != file || defined.contains_key(name));
    analysis
}

/// Checks a whole pipeline, starting from nothing (`analyze_pipeline` may start from its
/// previous result).
pub fn check_pipeline(db: &dyn Db, file: SourceFile, pipeline: &ast::Pipeline) -> PipelineAnalysis {
    let mut checker = Checker::new(db, file, pipeline);
    checker.run();
    let outputs = pipeline
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::Output(o) => Some((
                o.name.text.to_string(),
                checker
                    .output_types
                    .get(&o.span.start)
                    .cloned()
                    .unwrap_or(Ty::Unknown),
            )),
            _ => None,
        })
        .collect();
    let Checker { sink, graph, .. } = checker;
    PipelineAnalysis {
        diagnostics: sink.diagnostics,
        graph,
        outputs,
    }
}

/// Checks step `i` of `pipeline` again, in `graph`: the pipeline's previous step graph,
/// with its spans already moved to the new text, for a pipeline whose steps are `steps`
/// (in `visit_steps` order) and whose structure has not changed. What the step reads (which
/// step a name means, the types of those steps and of the loop variables around it) comes
/// from that graph instead of a check of every step. Returns the graph with step `i`'s node
/// and the edges into it replaced, and the step's diagnostics.
pub(crate) fn recheck_step<'a>(
    db: &'a dyn Db,
    file: SourceFile,
    pipeline: &'a ast::Pipeline,
    steps: &[&'a ast::Step],
    i: usize,
    graph: StepGraph,
) -> (StepGraph, Vec<Diagnostic>) {
    let mut checker = Checker::new(db, file, pipeline);
    checker.graph = graph;
    checker.check_params();
    checker.steps = steps
        .iter()
        .map(|&ast| StepEntry {
            ast,
            callee: None,
            signature: None,
        })
        .collect();
    let step = steps[i];
    // The names the step reads, each meaning the first step of that name, as in `collect`.
    let mut resolved = HashMap::default();
    checker.resolve_step(i, &mut resolved);
    let mut read: Vec<&str> = step.after.iter().map(|n| n.text.as_str()).collect();
    for arg in &step.args {
        read.extend(arg.value.names_read().iter().map(|(n, _)| n.text.as_str()));
    }
    for name in read {
        if checker.step_index.contains_key(name) {
            continue;
        }
        if let Some(j) = checker.graph.steps.iter().position(|s| s.name == name) {
            checker.step_index.insert(steps[j].name.text.as_str(), j);
            checker.resolve_step(j, &mut resolved);
        }
    }
    // The blocks around the step, outermost first, and the loop variables they bind.
    let mut around = Vec::new();
    let mut block = checker.graph.steps[i].block;
    while let Some(b) = block {
        around.push(b);
        block = checker.graph.blocks[b].parent;
    }
    for &b in around.iter().rev() {
        if let BlockKind::For { .. } = checker.graph.blocks[b].kind {
            let span = checker.graph.blocks[b].span;
            let elem = checker.graph.blocks[b]
                .elem_ty
                .clone()
                .unwrap_or(Ty::Unknown);
            if let Some(block) = find_for(&pipeline.body, span) {
                checker.loop_vars.push((&block.var, elem));
            }
        }
        checker.path.push(b);
    }
    let (edges_before, diagnostics_before) =
        (checker.graph.edges.len(), checker.sink.diagnostics.len());
    checker.check_step(i, step);
    let Checker {
        mut sink,
        mut graph,
        ..
    } = checker;
    // Edges are made step by step, so those into step `i` sit together, in step order.
    let new_edges: Vec<Edge> = graph.edges.drain(edges_before..).collect();
    let start = graph.edges.partition_point(|e| e.to < i);
    let end = graph.edges.partition_point(|e| e.to <= i);
    graph.edges.splice(start..end, new_edges);
    let diagnostics = sink.diagnostics.split_off(diagnostics_before);
    (graph, diagnostics)
}

/// The `for` statement with this span, looked for only inside statements that hold it.
fn find_for(stmts: &[Stmt], span: Span) -> Option<&ast::For> {
    let stmt = stmts
        .iter()
        .find(|s| s.span().start <= span.start && span.end <= s.span().end)?;
    match stmt {
        Stmt::For(f) if f.span == span => Some(f),
        Stmt::For(f) => find_for(&f.body, span),
        Stmt::If(i) => find_for(&i.then_body, span)
            .or_else(|| i.else_body.as_deref().and_then(|e| find_for(e, span))),
        _ => None,
    }
}

/// The pipelines that steps of the pipeline `key` call.
#[salsa::tracked(returns(ref))]
pub fn pipeline_callees(db: &dyn Db, key: ItemKey<'_>) -> Vec<CalleeRef> {
    let file = key.file(db);
    let Some(pipeline) = find_pipeline(db, file, key.name(db)) else {
        return Vec::new();
    };
    let mut callees = Vec::new();
    visit_steps(&pipeline.body, &mut |step| {
        if let Ok(callee) = resolve_callee(db, file, &step.callee) {
            if callee.kind == CalleeKind::Pipeline && !callees.contains(&callee) {
                callees.push(callee);
            }
        }
    });
    callees
}

pub(crate) fn visit_steps<'a>(stmts: &'a [Stmt], f: &mut impl FnMut(&'a ast::Step)) {
    for stmt in stmts {
        match stmt {
            Stmt::Step(step) => f(step),
            Stmt::For(block) => visit_steps(&block.body, f),
            Stmt::If(block) => {
                visit_steps(&block.then_body, f);
                visit_steps(block.else_body.as_deref().unwrap_or_default(), f);
            }
            Stmt::Output(_) | Stmt::Error(_) => {}
        }
    }
}

/// Callees resolved so far, by `(namespace, name)`.
type ResolvedCallees<'a> =
    HashMap<(Option<&'a str>, &'a str), Result<(CalleeRef, Option<&'a Signature>), CalleeError>>;

struct StepEntry<'a> {
    ast: &'a ast::Step,
    callee: Option<CalleeRef>,
    signature: Option<&'a Signature>,
}

struct Checker<'a> {
    db: &'a dyn Db,
    file: SourceFile,
    /// The file's text, read from the database once rather than per label.
    text: &'a str,
    pipeline: &'a ast::Pipeline,
    sink: Sink,
    graph: StepGraph,
    params: HashMap<&'a str, (&'a ast::Param, Ty)>,
    used_params: HashSet<&'a str>,
    steps: Vec<StepEntry<'a>>,
    step_index: HashMap<&'a str, usize>,
    /// The blocks around the statement being checked, outermost first.
    path: Vec<usize>,
    /// Loop variables in scope, innermost last.
    loop_vars: Vec<(&'a Name, Ty)>,
    /// Steps referenced by the expression being checked, with the reference's span.
    deps: Vec<Reference>,
    /// Steps that pipeline outputs use.
    output_deps: HashSet<usize>,
    /// The type of each `output` statement's value, by the statement's start.
    output_types: HashMap<u32, Ty>,
    /// The outputs of each callee's signature, made once and shared by its steps.
    outputs_of: HashMap<*const Signature, Arc<[(String, Ty)]>>,
}

impl<'a> Checker<'a> {
    fn new(db: &'a dyn Db, file: SourceFile, pipeline: &'a ast::Pipeline) -> Checker<'a> {
        Checker {
            db,
            file,
            text: file.text(db).as_deref().unwrap_or(""),
            pipeline,
            sink: Sink::new(file),
            graph: StepGraph::default(),
            params: HashMap::default(),
            used_params: HashSet::default(),
            steps: Vec::new(),
            step_index: HashMap::default(),
            path: Vec::new(),
            loop_vars: Vec::new(),
            deps: Vec::new(),
            output_deps: HashSet::default(),
            output_types: HashMap::default(),
            outputs_of: HashMap::default(),
        }
    }

    fn run(&mut self) {
        self.check_params();
        check_attributes(
            &self.pipeline.attrs,
            PIPELINE_ATTRIBUTES,
            "pipelines",
            &mut self.sink,
        );
        self.collect(&self.pipeline.body);
        self.resolve_callees();
        self.check_stmts(&self.pipeline.body);
        self.check_outputs();
        self.graph.report_cycles(&mut self.sink);
        self.check_recursion();
        self.warn_unused();
    }

    fn check_params(&mut self) {
        for param in &self.pipeline.params {
            let ty = resolve_type(self.db, self.file, &param.ty, Some(&mut self.sink));
            if let Some((first, _)) = self.params.get(param.name.text.as_str()) {
                self.sink.twice(
                    Code::Duplicate,
                    param.name.span,
                    format!("the param `{}` is defined twice", param.name.text),
                    first.name.span,
                    "first defined here",
                    "remove one of them",
                );
                continue;
            }
            if let Some(default) = &param.default {
                self.check_default(param, default, &ty);
            }
            self.params.insert(&param.name.text, (param, ty));
        }
    }

    fn check_default(&mut self, param: &ast::Param, default: &Expr, ty: &Ty) {
        if ty.is_artifact() {
            // An artifact's default is a path relative to this file (a list of them for
            // a list of artifacts); the runner imports it when no value is given.
            if !is_path_default(default, ty) {
                let example = if matches!(ty, Ty::List(_)) {
                    "[\"data/a.csv\", \"data/b.csv\"]"
                } else {
                    "\"data/raw.csv\""
                };
                let d = self
                    .sink
                    .at(
                        Code::InvalidDefault,
                        default.span,
                        format!(
                            "`{}` is an artifact (`{ty}`): its default is a path relative to this file, like {example}",
                            param.name.text
                        ),
                    )
                    .with_help("write the path as a string, or remove the default and pass the artifact at run time with --param");
                self.sink.push(d);
            }
        } else if !is_constant(default) {
            self.sink.error(
                Code::InvalidDefault,
                default.span,
                "a default must be a constant, like 0.5 or [1, 2]",
            );
        } else {
            let found = infer(default, &mut NoNames, &mut self.sink);
            if let Err(mismatch) = assignable(&found, ty) {
                let what = format!("the default of `{}`", param.name.text);
                let d = report_mismatch(&mut self.sink, default, mismatch, &found, ty, &what)
                    .with_related(self.file, param.ty.span(), "the type is declared here");
                self.sink.push(d);
            }
        }
    }

    /// Registers blocks and steps, reporting duplicate step names.
    fn collect(&mut self, stmts: &'a [Stmt]) {
        for stmt in stmts {
            match stmt {
                Stmt::Step(step) => {
                    if let Some(&first) = self.step_index.get(step.name.text.as_str()) {
                        self.sink.twice(
                            Code::Duplicate,
                            step.name.span,
                            format!(
                                "a step named `{}` already exists in this pipeline",
                                step.name.text
                            ),
                            self.steps[first].ast.name.span,
                            "first defined here",
                            "step names are unique in a pipeline, blocks included: rename this one",
                        );
                    } else {
                        self.step_index.insert(&step.name.text, self.steps.len());
                    }
                    self.graph
                        .add_step(&step.name, step.span, self.path.last().copied());
                    self.steps.push(StepEntry {
                        ast: step,
                        callee: None,
                        signature: None,
                    });
                }
                Stmt::For(block) => {
                    let id = self.graph.add_block(
                        BlockKind::For {
                            var: block.var.text.to_string(),
                        },
                        block.span,
                        self.path.last().copied(),
                    );
                    self.path.push(id);
                    self.collect(&block.body);
                    self.path.pop();
                }
                Stmt::If(block) => {
                    let then_id = self.graph.add_block(
                        BlockKind::Then,
                        block.span,
                        self.path.last().copied(),
                    );
                    self.path.push(then_id);
                    self.collect(&block.then_body);
                    self.path.pop();
                    if let Some(else_body) = &block.else_body {
                        let else_id = self.graph.add_block(
                            BlockKind::Else,
                            block.span,
                            self.path.last().copied(),
                        );
                        self.path.push(else_id);
                        self.collect(else_body);
                        self.path.pop();
                    }
                }
                Stmt::Output(_) | Stmt::Error(_) => {}
            }
        }
    }

    fn resolve_callees(&mut self) {
        // Thousands of steps call a handful of ops: resolve each distinct name once.
        let mut resolved = HashMap::default();
        for i in 0..self.steps.len() {
            self.resolve_step(i, &mut resolved);
        }
    }

    fn resolve_step(&mut self, i: usize, resolved: &mut ResolvedCallees<'a>) {
        let callee = &self.steps[i].ast.callee;
        let name = (
            callee.namespace.as_ref().map(|ns| ns.text.as_str()),
            callee.name.text.as_str(),
        );
        let (db, file) = (self.db, self.file);
        let outcome = resolved.entry(name).or_insert_with(|| {
            resolve_callee(db, file, callee).map(|target| {
                let signature = callee_signature(db, &target);
                (target, signature)
            })
        });
        match outcome.clone() {
            Ok((target, signature)) => {
                self.steps[i].signature = signature;
                self.graph.steps[i].callee = Some(target.clone());
                self.steps[i].callee = Some(target);
            }
            Err(error) => self.report_callee(callee, error),
        }
    }

    fn report_callee(&mut self, callee: &ast::Callee, error: CalleeError) {
        let name = &callee.name.text;
        let d = match error {
            CalleeError::BrokenImport => return,
            CalleeError::NotFound { candidates } => {
                let place = match &callee.namespace {
                    Some(ns) => format!("`{}`", ns.text),
                    None => "this file".to_string(),
                };
                let d = self.sink.at(
                    Code::UnresolvedCallee,
                    callee.name.span,
                    format!("there is no op or pipeline named `{name}` in {place}"),
                );
                match suggest(name, candidates.iter().map(String::as_str)) {
                    Some(help) => d.with_help(help),
                    None if callee.namespace.is_none() => {
                        d.with_help("define it with `op`, or import the file that defines it and write `namespace.name`")
                    }
                    None => d,
                }
            }
            CalleeError::UnknownNamespace { candidates } => {
                let ns = callee.namespace.as_ref().map_or("", |n| n.text.as_str());
                let span = callee.namespace.as_ref().map_or(callee.span, |n| n.span);
                let d = self.sink.at(
                    Code::UnresolvedCallee,
                    span,
                    format!("there is no import named `{ns}`"),
                );
                match suggest(ns, candidates.iter().map(String::as_str)) {
                    Some(help) => d.with_help(help),
                    None => {
                        d.with_help(format!("add `import \"{ns}.mlf\"` at the top of the file"))
                    }
                }
            }
            CalleeError::NotCallable => self.sink.at(
                Code::UnresolvedCallee,
                callee.name.span,
                format!("`{name}` is an artifact kind; a step runs an op or a pipeline"),
            ),
        };
        self.sink.push(d);
    }

    fn check_stmts(&mut self, stmts: &'a [Stmt]) {
        let mut step_cursor = 0;
        let mut block_cursor = 0;
        self.check_stmts_at(stmts, &mut step_cursor, &mut block_cursor);
    }

    /// Walks statements in the order `collect` did, so step and block numbers line up.
    fn check_stmts_at(&mut self, stmts: &'a [Stmt], step_no: &mut usize, block_no: &mut usize) {
        for stmt in stmts {
            match stmt {
                Stmt::Step(step) => {
                    let i = *step_no;
                    *step_no += 1;
                    self.check_step(i, step);
                }
                Stmt::For(block) => {
                    let id = *block_no;
                    *block_no += 1;
                    let iter_ty = self.infer_with_deps(&block.iter);
                    self.block_depends_on_deps(id);
                    let elem = match iter_ty.element() {
                        Some(elem) => elem,
                        None => {
                            let d = self
                                .sink
                                .at(Code::ListMisuse, block.iter.span, format!("`for` needs a list to go over, but this is `{iter_ty}`"))
                                .with_help("loop over a list param, a list literal like [1, 2], or the output of a step inside another `for`");
                            self.sink.push(d);
                            Ty::Unknown
                        }
                    };
                    self.graph.blocks[id].label = self.source_text(block.iter.span);
                    self.graph.blocks[id].size = self.list_size(&block.iter);
                    if let Some((param, _)) = self.params.get(block.var.text.as_str()) {
                        self.sink.twice(
                            Code::ShadowedParam,
                            block.var.span,
                            format!(
                                "the loop variable `{}` hides the param of the same name",
                                block.var.text
                            ),
                            param.name.span,
                            "the param is declared here",
                            "rename the loop variable",
                        );
                    }
                    self.path.push(id);
                    self.graph.blocks[id].elem_ty = Some(elem.clone());
                    self.loop_vars.push((&block.var, elem));
                    self.check_stmts_at(&block.body, step_no, block_no);
                    self.loop_vars.pop();
                    self.path.pop();
                }
                Stmt::If(block) => {
                    let then_id = *block_no;
                    *block_no += 1;
                    let cond_ty = self.infer_with_deps(&block.cond);
                    self.block_depends_on_deps(then_id);
                    self.check_condition(&block.cond, &cond_ty);
                    let label = self.source_text(block.cond.span);
                    self.graph.blocks[then_id].label = label.clone();
                    self.path.push(then_id);
                    self.check_stmts_at(&block.then_body, step_no, block_no);
                    self.path.pop();
                    if let Some(else_body) = &block.else_body {
                        let else_id = *block_no;
                        *block_no += 1;
                        self.graph.blocks[else_id].label = format!("not ({label})");
                        // The else branch waits for the same condition.
                        for dep in self.graph.block_deps(then_id) {
                            self.graph.add_block_dep(else_id, dep);
                        }
                        self.path.push(else_id);
                        self.check_stmts_at(else_body, step_no, block_no);
                        self.path.pop();
                    }
                }
                Stmt::Output(output) => {
                    if !self.path.is_empty() {
                        self.sink.error(
                            Code::PipelineOutputMismatch,
                            output.span,
                            "an `output` must stand at the top level of the pipeline, not inside a `for` or `if`",
                        );
                    }
                    let ty = self.infer_with_deps(&output.value);
                    self.output_types.insert(output.span.start, ty);
                    let deps: Vec<_> = self.deps.drain(..).map(|r| r.step).collect();
                    self.output_deps.extend(deps);
                }
                Stmt::Error(_) => {}
            }
        }
    }

    /// The number of elements of a `for` list, when the text says it: a list literal, or a
    /// param whose default is one (a run may pass another list).
    fn list_size(&self, list: &Expr) -> Option<usize> {
        match &list.kind {
            ExprKind::List(items) => Some(items.len()),
            ExprKind::Name(name) if !self.loop_vars.iter().any(|(v, _)| v.text == name.text) => {
                let (param, _) = self.params.get(name.text.as_str())?;
                match &param.default.as_ref()?.kind {
                    ExprKind::List(items) => Some(items.len()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn check_condition(&mut self, cond: &Expr, ty: &Ty) {
        match ty {
            Ty::Bool | Ty::Unknown => {}
            Ty::Optional(inner) if **inner == Ty::Bool => {
                let d = self
                    .sink
                    .at(
                        Code::OptionalMisuse,
                        cond.span,
                        "this condition may be absent, because its step is inside another `if`",
                    )
                    .with_help("nest this `if` inside the one that produces the value");
                self.sink.push(d);
            }
            other => {
                let d = self
                    .sink
                    .at(
                        Code::ConditionNotBool,
                        cond.span,
                        format!("an `if` needs a bool condition, but this is `{other}`"),
                    )
                    .with_help("compare the value with something, like `best.score >= 0.9`");
                self.sink.push(d);
            }
        }
    }

    /// Infers an expression's type, leaving the steps it references in `self.deps`.
    /// The source text of a span, for labels like a `for` block's list.
    fn source_text(&self, span: Span) -> String {
        self.text.get(span.range()).unwrap_or("").to_string()
    }

    fn infer_with_deps(&mut self, expr: &Expr) -> Ty {
        self.deps.clear();
        let mut sink = std::mem::replace(&mut self.sink, Sink::new(self.file));
        let ty = infer(expr, self, &mut sink);
        self.sink = sink;
        ty
    }

    fn block_depends_on_deps(&mut self, block: usize) {
        for reference in std::mem::take(&mut self.deps) {
            self.graph
                .add_block_dep(block, (reference.step, reference.span));
        }
    }

    fn check_step(&mut self, i: usize, step: &'a ast::Step) {
        let signature = self.steps[i].signature;
        let callee_name: &str = &step.callee.name.text;
        // A handful of arguments: a list beats a hash map.
        let mut given: Vec<(&str, &ast::Arg)> = Vec::with_capacity(step.args.len());
        let mut inputs = Vec::with_capacity(step.args.len());
        let mut args = Vec::with_capacity(step.args.len());
        let mut arg_types = Vec::with_capacity(step.args.len());
        for arg in &step.args {
            let ty = self.infer_with_deps(&arg.value);
            let input_name: Arc<str> = Arc::from(arg.name.text.as_str());
            for reference in std::mem::take(&mut self.deps) {
                let kind = EdgeKind::Data {
                    input: input_name.clone(),
                    output: reference.output,
                    ty: reference.ty,
                };
                self.graph.add_edge(reference.step, i, kind, reference.span);
            }
            arg_types.push((arg.name.text.to_string(), ty.clone()));
            args.push((arg.name.text.to_string(), self.source_text(arg.value.span)));
            if let Some(&(_, first)) = given.iter().find(|(name, _)| *name == arg.name.text) {
                self.sink.twice(
                    Code::DuplicateArgument,
                    arg.name.span,
                    format!("the argument `{}` is given twice", arg.name.text),
                    first.name.span,
                    "first given here",
                    "remove one of them",
                );
                continue;
            }
            given.push((&arg.name.text, arg));
            let Some(signature) = signature else { continue };
            match signature.input(&arg.name.text) {
                None => {
                    let names = signature.inputs.iter().map(|i| i.name.as_str());
                    let help = suggest(&arg.name.text, names)
                        .unwrap_or_else(|| describe_inputs(signature));
                    let d = self
                        .sink
                        .at(
                            Code::UnknownArgument,
                            arg.name.span,
                            format!("`{callee_name}` has no input named `{}`", arg.name.text),
                        )
                        .with_help(help);
                    self.sink.push(d);
                }
                Some(input) => {
                    inputs.push((arg.name.text.to_string(), input.ty.clone()));
                    if let Err(mismatch) = assignable(&ty, &input.ty) {
                        let what = format!("the input `{}` of `{callee_name}`", input.name);
                        let mut d = report_mismatch(
                            &mut self.sink,
                            &arg.value,
                            mismatch,
                            &ty,
                            &input.ty,
                            &what,
                        );
                        if let Some((file, span)) = self.input_decl_span(i, &input.name) {
                            d = d.with_related(
                                file,
                                span,
                                format!("`{}` is declared here", input.name),
                            );
                        }
                        self.sink.push(d);
                    }
                }
            }
        }
        let node = &mut self.graph.steps[i];
        node.inputs = inputs.into();
        node.args = args.into();
        node.arg_types = arg_types.into();
        if let Some(signature) = signature.filter(|_| !step.args_broken) {
            let missing: Vec<_> = signature
                .inputs
                .iter()
                .filter(|input| {
                    input.is_required() && !given.iter().any(|(name, _)| *name == input.name)
                })
                .collect();
            if !missing.is_empty() {
                let list: Vec<String> = missing
                    .iter()
                    .map(|m| format!("`{}: {}`", m.name, m.ty))
                    .collect();
                let message = match list.as_slice() {
                    [one] => format!("`{callee_name}` needs the argument {one}"),
                    _ => format!("`{callee_name}` needs the arguments {}", list.join(", ")),
                };
                let mut d = self
                    .sink
                    .at(Code::MissingArgument, step.args_span, message)
                    .with_help("pass every input that has no default, as `name: value`");
                if let Some((file, span)) = self.input_decl_span(i, &missing[0].name) {
                    d = d.with_related(
                        file,
                        span,
                        format!("`{}` is declared here", missing[0].name),
                    );
                }
                self.sink.push(d);
            }
        }
        // Outputs come from the callee alone: a step whose arguments do not parse still
        // has them, so the graph and completion keep showing what it produces.
        if let Some(signature) = signature {
            self.graph.steps[i].outputs = self
                .outputs_of
                .entry(std::ptr::from_ref(signature))
                .or_insert_with(|| {
                    signature
                        .outputs
                        .iter()
                        .map(|o| (o.name.clone(), o.ty.clone()))
                        .collect()
                })
                .clone();
        }
        for after in &step.after {
            match self.step_index.get(after.text.as_str()) {
                Some(&dep) => self.graph.add_edge(dep, i, EdgeKind::After, after.span),
                None => {
                    let help = suggest(&after.text, self.step_index.keys().copied());
                    let mut d = self.sink.at(
                        Code::UnresolvedName,
                        after.span,
                        format!("there is no step named `{}` to wait for", after.text),
                    );
                    if let Some(help) = help {
                        d = d.with_help(help);
                    }
                    self.sink.push(d);
                }
            }
        }
    }

    /// Where the callee of step `i` declares its input `name`.
    fn input_decl_span(&self, i: usize, name: &str) -> Option<(SourceFile, Span)> {
        let callee = self.steps[i].callee.as_ref()?;
        let params = match crate::items::find_item(self.db, callee.file, &callee.name)? {
            ast::Item::Op(op) => &op.params,
            ast::Item::Pipeline(p) => &p.params,
            _ => return None,
        };
        let param = params.iter().find(|p| p.name.text == name)?;
        Some((callee.file, param.name.span))
    }

    fn check_outputs(&mut self) {
        let stmts: Vec<&ast::OutputStmt> = self
            .pipeline
            .body
            .iter()
            .filter_map(|s| match s {
                Stmt::Output(o) => Some(o),
                _ => None,
            })
            .collect();
        let mut seen: HashMap<&str, &ast::OutputStmt> = HashMap::default();
        for output in &stmts {
            if let Some(first) = seen.insert(&output.name.text, output) {
                self.sink.twice(
                    Code::Duplicate,
                    output.name.span,
                    format!("the output `{}` is set twice", output.name.text),
                    first.name.span,
                    "first set here",
                    "remove one of them",
                );
            }
        }
        let Some(decls) = &self.pipeline.outputs else {
            return;
        };
        for output in &stmts {
            match decls.iter().find(|d| d.name.text == output.name.text) {
                None => {
                    let d = self
                        .sink
                        .at(
                            Code::PipelineOutputMismatch,
                            output.name.span,
                            format!(
                                "`{}` is not declared in this pipeline's `-> (…)`",
                                output.name.text
                            ),
                        )
                        .with_help(format!(
                            "add `{}: TYPE` to the outputs after `->`",
                            output.name.text
                        ));
                    self.sink.push(d);
                }
                Some(decl) => {
                    let declared = resolve_type(self.db, self.file, &decl.ty, None);
                    let found = self
                        .output_types
                        .get(&output.span.start)
                        .cloned()
                        .unwrap_or(Ty::Unknown);
                    if let Err(mismatch) = assignable(&found, &declared) {
                        let what = format!("the output `{}`", decl.name.text);
                        let d = report_mismatch(
                            &mut self.sink,
                            &output.value,
                            mismatch,
                            &found,
                            &declared,
                            &what,
                        )
                        .with_related(
                            self.file,
                            decl.ty.span(),
                            "the type is declared here",
                        );
                        self.sink.push(d);
                    }
                }
            }
        }
        for decl in decls {
            if !stmts.iter().any(|o| o.name.text == decl.name.text) {
                let d = self
                    .sink
                    .at(
                        Code::PipelineOutputMismatch,
                        decl.name.span,
                        format!("the output `{}` is declared but never set", decl.name.text),
                    )
                    .with_help(format!(
                        "add `output {} = step.output` to the pipeline",
                        decl.name.text
                    ));
                self.sink.push(d);
            }
        }
    }

    fn check_recursion(&mut self) {
        let me = (self.file, self.pipeline.name.text.to_string());
        for i in 0..self.steps.len() {
            let Some(callee) = self.steps[i].callee.clone() else {
                continue;
            };
            if callee.kind != CalleeKind::Pipeline {
                continue;
            }
            if let Some(path) = self.path_back_to(&me, &callee) {
                let chain: Vec<String> = std::iter::once(me.1.clone()).chain(path).collect();
                let step = self.steps[i].ast;
                let d = self
                    .sink
                    .at(
                        Code::RecursivePipeline,
                        step.callee.span,
                        format!("the pipeline `{}` uses itself: {}", me.1, chain.join(" → ")),
                    )
                    .with_help("a pipeline is inlined into its caller, so it cannot contain itself; remove the step or split the pipeline");
                self.sink.push(d);
            }
        }
    }

    /// The names of pipelines from `start` back to `target`, if `start` reaches it.
    fn path_back_to(
        &self,
        target: &(SourceFile, String),
        start: &CalleeRef,
    ) -> Option<Vec<String>> {
        let mut visited = HashSet::default();
        let mut stack = vec![(start.clone(), vec![start.name.clone()])];
        while let Some((current, path)) = stack.pop() {
            if (current.file, current.name.clone()) == *target {
                return Some(path);
            }
            if !visited.insert((current.file, current.name.clone())) {
                continue;
            }
            let key = ItemKey::new(self.db, current.file, current.name.clone());
            for next in pipeline_callees(self.db, key) {
                let mut next_path = path.clone();
                next_path.push(next.name.clone());
                stack.push((next.clone(), next_path));
            }
        }
        None
    }

    fn warn_unused(&mut self) {
        let mut unused: Vec<&ast::Param> = self
            .params
            .values()
            .filter(|(p, _)| !self.used_params.contains(p.name.text.as_str()))
            .map(|(p, _)| *p)
            .collect();
        unused.sort_by_key(|p| p.span.start);
        for param in unused {
            let d = self
                .sink
                .at(
                    Code::UnusedParam,
                    param.name.span,
                    format!("the param `{}` is never used", param.name.text),
                )
                .with_help("pass it to a step, or remove it");
            self.sink.push(d);
        }
        if self.pipeline.outputs.is_some() {
            let waited_for = self.graph.steps_with_dependents();
            for (i, entry) in self.steps.iter().enumerate() {
                if waited_for[i] || self.output_deps.contains(&i) {
                    continue;
                }
                let d = self
                    .sink
                    .at(
                        Code::UnusedStep,
                        entry.ast.name.span,
                        format!(
                            "the step `{}` contributes to no output of this pipeline",
                            entry.ast.name.text
                        ),
                    )
                    .with_help("use its outputs, declare an output for them, or remove the step");
                self.sink.push(d);
            }
        }
    }

    /// The type of a step's output seen from the current position: one `list<…>` per `for`
    /// and one `?` per `if` that holds the step but not the position.
    fn seen_from_here(&self, step: usize, mut ty: Ty) -> Ty {
        // From the step's innermost block outwards, up to the first block that also holds
        // the statement being checked: each `for` left makes a list, each branch an option.
        // (A block's ancestors are unique, so the first shared block ends the walk.)
        let mut block = self.graph.steps[step].block;
        while let Some(b) = block.filter(|b| !self.path.contains(b)) {
            ty = match self.graph.blocks[b].kind {
                BlockKind::For { .. } => Ty::list(ty),
                BlockKind::Then | BlockKind::Else => Ty::optional(ty),
            };
            block = self.graph.blocks[b].parent;
        }
        ty
    }
}

impl Scope for Checker<'_> {
    fn name_type(&mut self, name: &Name, sink: &mut Sink) -> Ty {
        if let Some((_, ty)) = self
            .loop_vars
            .iter()
            .rev()
            .find(|(v, _)| v.text == name.text)
        {
            return ty.clone();
        }
        if let Some((param, ty)) = self.params.get(name.text.as_str()) {
            let param_name: &str = &param.name.text;
            self.used_params.insert(param_name);
            return ty.clone();
        }
        let d = if let Some(&step) = self.step_index.get(name.text.as_str()) {
            let example = self.graph.steps[step]
                .outputs
                .first()
                .map(|(o, _)| o.clone())
                .or_else(|| {
                    self.steps[step]
                        .signature
                        .and_then(|s| s.outputs.first())
                        .map(|o| o.name.clone())
                })
                .unwrap_or_else(|| "output".to_string());
            sink.at(
                Code::UnresolvedName,
                name.span,
                format!("`{}` is a step, not a value", name.text),
            )
            .with_help(format!(
                "use one of its outputs, like `{}.{example}`",
                name.text
            ))
        } else {
            let candidates: Vec<&str> = self
                .loop_vars
                .iter()
                .map(|(v, _)| v.text.as_str())
                .chain(self.params.keys().copied())
                .collect();
            let d = sink.at(
                Code::UnresolvedName,
                name.span,
                format!("there is no param or loop variable named `{}`", name.text),
            );
            match suggest(&name.text, candidates) {
                Some(help) => d.with_help(help),
                None => d.with_help("declare it as a param of the pipeline, or use a step's output as `step.output`"),
            }
        };
        sink.push(d);
        Ty::Unknown
    }

    fn field_type(&mut self, base: &Name, field: &Name, sink: &mut Sink) -> Ty {
        let span = base.span.cover(field.span);
        if let Some(&step) = self.step_index.get(base.text.as_str()) {
            let ty = match self.steps[step]
                .signature
                .map(|s| (s, s.output(&field.text)))
            {
                None => Ty::Unknown,
                Some((_, Some(output))) => self.seen_from_here(step, output.ty.clone()),
                Some((signature, None)) => {
                    let callee = &self.steps[step].ast.callee.name.text;
                    let names: Vec<&str> =
                        signature.outputs.iter().map(|o| o.name.as_str()).collect();
                    let help =
                        suggest(&field.text, names.iter().copied()).unwrap_or_else(|| match names
                            .as_slice()
                        {
                            [] => format!("`{callee}` has no outputs"),
                            _ => format!(
                                "the outputs of `{callee}` are {}",
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        });
                    sink.push(
                        sink.at(
                            Code::UnknownOutput,
                            field.span,
                            format!(
                                "the step `{}` (`{callee}`) has no output named `{}`",
                                base.text, field.text
                            ),
                        )
                        .with_help(help),
                    );
                    Ty::Unknown
                }
            };
            self.deps.push(Reference {
                step,
                output: Arc::from(field.text.as_str()),
                ty: ty.clone(),
                span,
            });
            return ty;
        }
        let is_value = self.loop_vars.iter().any(|(v, _)| v.text == base.text)
            || self.params.contains_key(base.text.as_str());
        let d = if is_value {
            sink.at(
                Code::UnresolvedName,
                span,
                format!(
                    "`{}` is a value, not a step, so `{}.{}` means nothing",
                    base.text, base.text, field.text
                ),
            )
        } else if imports(self.db, self.file)
            .iter()
            .any(|i| i.namespace == base.text)
        {
            sink.at(
                Code::UnresolvedName,
                span,
                format!("`{}` is an import namespace; values come from params, loop variables and step outputs", base.text),
            )
        } else {
            let d = sink.at(
                Code::UnresolvedName,
                base.span,
                format!("there is no step named `{}`", base.text),
            );
            match suggest(&base.text, self.step_index.keys().copied()) {
                Some(help) => d.with_help(help),
                None => d,
            }
        };
        sink.push(d);
        Ty::Unknown
    }
}

/// A step output that an expression reads.
struct Reference {
    step: usize,
    output: Arc<str>,
    /// The type where it is read.
    ty: Ty,
    span: Span,
}

fn describe_inputs(signature: &Signature) -> String {
    if signature.inputs.is_empty() {
        return "it takes no inputs".to_string();
    }
    let names: Vec<String> = signature
        .inputs
        .iter()
        .map(|i| format!("`{}`", i.name))
        .collect();
    format!("its inputs are {}", names.join(", "))
}

/// Whether `default` is a path (or, for a list of artifacts, a list of paths).
fn is_path_default(default: &Expr, ty: &Ty) -> bool {
    match (&default.kind, ty) {
        (ExprKind::Str(path), Ty::Artifact(_) | Ty::Optional(_)) => !path.is_empty(),
        (ExprKind::List(items), Ty::List(elem)) => {
            items.iter().all(|item| is_path_default(item, elem))
        }
        _ => false,
    }
}
