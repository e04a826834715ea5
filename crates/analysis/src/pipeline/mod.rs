//! Checks of one pipeline: names, calls, types through `for` and `if`, outputs, the step
//! graph, and the warnings about unused things.

// Fx hashing: the keys are short names and step numbers, looked up for every reference of
// every step; SipHash's resistance to crafted keys buys nothing here.
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use mlforge_syntax::ast::{self, Name, Stmt};
use mlforge_syntax::Span;

use crate::attributes::{check_attributes, PIPELINE_ATTRIBUTES};
use crate::diagnostic::{Diagnostic, Sink};
use crate::graph::StepGraph;
use crate::items::{find_pipeline, resolve_callee, CalleeError, CalleeKind, CalleeRef, ItemKey};
use crate::signature::Signature;
use crate::types::Ty;
use crate::{Db, SourceFile};

mod collect;
mod loops;
mod outputs;
mod params;
mod recheck;
mod recursion;
mod scope;
mod step;
mod stmts;
mod unused;

pub(crate) use recheck::{recheck_step, Rechecked};

/// A pipeline's diagnostics and its step graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PipelineAnalysis {
    pub diagnostics: Vec<Diagnostic>,
    pub graph: StepGraph,
    /// The type of each `output` statement's value, in source order.
    pub outputs: Vec<(String, Ty)>,
    /// The pipeline's text has syntax errors, so the warnings about unused params and
    /// steps were held back (`unused.rs`).
    pub held_back: bool,
}

impl Drop for PipelineAnalysis {
    fn drop(&mut self) {
        mlforge_syntax::drop_later::drop_later((
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
            held_back: false,
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
    let held_back = checker.has_syntax_errors();
    let Checker {
        mut sink, graph, ..
    } = checker;
    // In the order the file's diagnostics are shown, so that a patched analysis
    // (`pipeline_patch`) can put a step's new diagnostics where a whole check would.
    sort_diagnostics(&mut sink.diagnostics);
    PipelineAnalysis {
        diagnostics: sink.diagnostics,
        graph,
        outputs,
        held_back,
    }
}

/// Sorts diagnostics by where they start and end, then by code; ties keep their order.
pub(crate) fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(diagnostic_order);
}

pub(crate) fn diagnostic_order(d: &Diagnostic) -> (u32, u32, crate::codes::Code) {
    (d.span.start, d.span.end, d.code)
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
}

/// A step output that an expression reads.
struct Reference {
    step: usize,
    output: Arc<str>,
    /// The type where it is read.
    ty: Ty,
    span: Span,
}
