//! From analysis to the [`GraphModel`]: the pipeline's `StepGraph`, with every step that
//! calls a pipeline replaced by a cluster holding the callee's steps (recursively, stopping
//! at a pipeline already being inlined), and the diagnostics placed on the steps and blocks
//! they lie in.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use mlforge_analysis::callables::describe;
use mlforge_analysis::codes::Code;
use mlforge_analysis::graph::{
    numbered_blocks, BlockKind, BlockStmt, EdgeKind as AEdgeKind, StepGraph,
};
use mlforge_analysis::items::{find_pipeline, parse, CalleeKind, CalleeRef, ItemKey};
use mlforge_analysis::pipeline::analyze_pipeline;
use mlforge_analysis::types::Ty;
use mlforge_analysis::{Db, Severity, SourceFile};
use mlforge_syntax::ast::{self, Expr, ExprKind, Stmt};
use mlforge_syntax::{LineIndex, Span};

use crate::fx::FxBuild;
use crate::model::{
    Arg, Cluster, ClusterKind, Edge, EdgeKind, GraphModel, Node, NodeDiagnostic, Port, Range,
    Signature, SignatureInput,
};

/// The graph of the pipeline `key`, with sub-pipelines inlined.
pub fn build(db: &dyn Db, key: ItemKey<'_>) -> GraphModel {
    let file = key.file(db);
    let name = key.name(db).clone();
    let mut builder = Builder {
        db,
        files: HashMap::new(),
        nodes: Vec::new(),
        edges: Vec::new(),
        clusters: Vec::new(),
        diagnostics: Vec::new(),
        edge_ids: HashMap::default(),
        ids: HashSet::default(),
        types: Vec::new(),
        signatures: HashMap::default(),
        inlining: vec![(file, name.clone())],
        top: file,
    };
    builder.instance(key, "", None);
    GraphModel {
        pipeline: name,
        file: builder.file_info(file).path.clone(),
        nodes: builder.nodes,
        edges: builder.edges,
        clusters: builder.clusters,
        diagnostics: builder.diagnostics,
    }
}

struct FileInfo {
    path: Arc<str>,
    text: Arc<str>,
    lines: LineIndex,
}

struct Builder<'db> {
    db: &'db dyn Db,
    files: HashMap<SourceFile, Arc<FileInfo>>,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    clusters: Vec<Cluster>,
    diagnostics: Vec<NodeDiagnostic>,
    /// How many edges use each id, to make repeats unique.
    edge_ids: HashMap<String, usize, FxBuild>,
    /// Node and pipeline-cluster ids given so far.
    ids: HashSet<String, FxBuild>,
    /// Each type's text, made once (programs use few distinct types; a scan beats hashing).
    types: Vec<(Ty, Arc<str>)>,
    /// Each callee's signature with no input given, made once (`None`: it does not resolve).
    signatures: HashMap<CalleeRef, Option<Signature>, FxBuild>,
    /// The pipelines being inlined, outermost first: a step calling one of them stays a node.
    inlining: Vec<(SourceFile, String)>,
    /// The model's file: parts in it leave `file` out.
    top: SourceFile,
}

/// An endpoint (node or cluster id) and the port there (an input or output name).
type End = (String, String);

/// How a step of a pipeline looks from outside: one node, or an inlined pipeline whose
/// inputs are read and outputs produced by steps inside.
enum Ends {
    Node(String),
    Pipeline {
        cluster: String,
        /// Param name → the inner ends that read it.
        inputs: BTreeMap<String, Vec<End>>,
        /// Output name → the inner ends that produce it.
        outputs: BTreeMap<String, Vec<End>>,
    },
}

impl Ends {
    fn whole(&self) -> &str {
        match self {
            Ends::Node(id) => id,
            Ends::Pipeline { cluster, .. } => cluster,
        }
    }

    /// Where a value given to the input `input` lands: ends and their ports.
    fn ins<'a>(&'a self, input: &'a str) -> Vec<(&'a str, &'a str)> {
        match self {
            Ends::Pipeline { inputs, .. } => match inputs.get(input) {
                Some(ends) if !ends.is_empty() => {
                    ends.iter().map(|(e, p)| (e.as_str(), p.as_str())).collect()
                }
                _ => vec![(self.whole(), input)],
            },
            Ends::Node(id) => vec![(id, input)],
        }
    }

    /// Where the output `output` comes from: ends and their ports.
    fn outs<'a>(&'a self, output: &'a str) -> Vec<(&'a str, &'a str)> {
        match self {
            Ends::Pipeline { outputs, .. } => match outputs.get(output) {
                Some(ends) if !ends.is_empty() => {
                    ends.iter().map(|(e, p)| (e.as_str(), p.as_str())).collect()
                }
                _ => vec![(self.whole(), output)],
            },
            Ends::Node(id) => vec![(id, output)],
        }
    }
}

/// What the syntax tree says about one block of the `StepGraph`.
struct AstBlock<'a> {
    id_stem: String,
    /// The list or the condition.
    expr: &'a Expr,
    /// The `else` branch's own extent (the `StepGraph` gives both branches the `if`'s span).
    else_span: Option<Span>,
}

/// The steps and blocks of a pipeline's body in the order analysis numbers them.
#[derive(Default)]
struct AstIndex<'a> {
    steps: Vec<&'a ast::Step>,
    blocks: Vec<AstBlock<'a>>,
}

impl<'a> AstIndex<'a> {
    fn new(body: &'a [Stmt]) -> AstIndex<'a> {
        let mut index = AstIndex::default();
        index.walk_steps(body);
        index.blocks = numbered_blocks(body)
            .into_iter()
            .map(|(id_stem, block)| match block {
                BlockStmt::For(f) => AstBlock {
                    id_stem,
                    expr: &f.iter,
                    else_span: None,
                },
                BlockStmt::Then(i) => AstBlock {
                    id_stem,
                    expr: &i.cond,
                    else_span: None,
                },
                BlockStmt::Else(i) => {
                    let else_body = block.body();
                    let span = match (else_body.first(), else_body.last()) {
                        (Some(first), Some(last)) => first.span().cover(last.span()),
                        _ => i.span,
                    };
                    AstBlock {
                        id_stem,
                        expr: &i.cond,
                        else_span: Some(span),
                    }
                }
            })
            .collect();
        index
    }

    fn walk_steps(&mut self, stmts: &'a [Stmt]) {
        for stmt in stmts {
            match stmt {
                Stmt::Step(step) => self.steps.push(step),
                Stmt::For(block) => self.walk_steps(&block.body),
                Stmt::If(block) => {
                    self.walk_steps(&block.then_body);
                    if let Some(else_body) = &block.else_body {
                        self.walk_steps(else_body);
                    }
                }
                Stmt::Output(_) | Stmt::Error(_) => {}
            }
        }
    }

    /// Whether this index lines up with the step graph (it always should; if it does not,
    /// the graph is drawn without what only the tree knows).
    fn matches(&self, graph: &StepGraph) -> bool {
        self.steps.len() == graph.steps.len()
            && self.blocks.len() == graph.blocks.len()
            && self
                .steps
                .iter()
                .zip(&graph.steps)
                .all(|(a, g)| a.name.text == g.name && a.span == g.span)
    }
}

impl Builder<'_> {
    fn file_info(&mut self, file: SourceFile) -> Arc<FileInfo> {
        let db = self.db;
        self.files
            .entry(file)
            .or_insert_with(|| {
                let text: Arc<str> = file.text(db).clone().unwrap_or_else(|| Arc::from(""));
                Arc::new(FileInfo {
                    path: Arc::from(file.path(db).display().to_string()),
                    lines: LineIndex::new(&text),
                    text,
                })
            })
            .clone()
    }

    /// Adds the steps, blocks and edges of one pipeline, its step ids prefixed by `prefix`,
    /// inside the cluster `parent` (a calling step's: its id and index). Returns which ends read each param
    /// and produce each output.
    fn instance(
        &mut self,
        key: ItemKey<'_>,
        prefix: &str,
        parent: Option<(&str, usize)>,
    ) -> (BTreeMap<String, Vec<End>>, BTreeMap<String, Vec<End>>) {
        let db = self.db;
        let file = key.file(db);
        let info = self.file_info(file);
        // What the parts of this pipeline say their file is (nothing in the model's file).
        let own_file = (file != self.top).then(|| info.path.clone());
        let analysis = analyze_pipeline(db, key);
        let graph = &analysis.graph;
        let pipeline = find_pipeline(db, file, key.name(db));
        let index = pipeline.map_or_else(AstIndex::default, |p| AstIndex::new(&p.body));
        let tree = index.matches(graph).then_some(&index);

        // Blocks, as clusters.
        let block_ids: Vec<String> = (0..graph.blocks.len())
            .map(|b| match tree {
                Some(t) => format!("{prefix}{}", t.blocks[b].id_stem),
                None => format!("{prefix}block#{}", b + 1),
            })
            .collect();
        let first_cluster = self.clusters.len();
        let mut block_spans = Vec::with_capacity(graph.blocks.len());
        for (b, block) in graph.blocks.iter().enumerate() {
            let (kind, label) = match &block.kind {
                BlockKind::For { var, second } => {
                    let vars = match second {
                        Some(second) => format!("{var}, {second}"),
                        None => var.clone(),
                    };
                    (ClusterKind::For, format!("for {vars} in {}", block.label))
                }
                BlockKind::Then => (ClusterKind::If, format!("if {}", block.label)),
                BlockKind::Else => (ClusterKind::Else, format!("else: {}", block.label)),
            };
            let span = tree
                .and_then(|t| t.blocks[b].else_span)
                .unwrap_or(block.span);
            block_spans.push(span);
            self.clusters.push(Cluster {
                id: block_ids[b].clone(),
                kind,
                label,
                source: block.label.clone(),
                size: block.size,
                parent: block
                    .parent
                    .map(|p| block_ids[p].clone())
                    .or_else(|| parent.map(|(id, _)| id.to_string())),
                file: own_file.clone(),
                range: range(&info, span),
                diagnostics: Vec::new(),
                broken: false,
            });
        }

        // Steps: a node each, or a cluster holding a sub-pipeline.
        let mut ends: Vec<Ends> = Vec::with_capacity(graph.steps.len());
        // The nodes pushed below, by index into `graph.steps`: their ports, arguments,
        // signature and ranges are made after the loop (see `node_bodies`).
        let mut plain: Vec<(usize, usize)> = Vec::new();
        // Where each step's diagnostics go: a node index or a cluster index.
        let mut slots: Vec<Slot> = Vec::with_capacity(graph.steps.len());
        for (i, step) in graph.steps.iter().enumerate() {
            let id = self.unique_id(format!("{prefix}{}", step.name));
            let cluster = step
                .block
                .map(|b| block_ids[b].clone())
                .or_else(|| parent.map(|(id, _)| id.to_string()));
            let op = match tree {
                Some(t) => callee_text(&t.steps[i].callee),
                None => step
                    .callee
                    .as_ref()
                    .map_or_else(String::new, |c| c.name.clone()),
            };
            let inline = step.callee.as_ref().filter(|c| {
                c.kind == CalleeKind::Pipeline
                    && !self.inlining.contains(&(c.file, c.name.clone()))
                    && find_pipeline(db, c.file, &c.name).is_some()
            });
            if let Some(callee) = inline {
                let index = self.clusters.len();
                self.clusters.push(Cluster {
                    id: id.clone(),
                    kind: ClusterKind::Pipeline,
                    label: step.name.clone(),
                    source: op,
                    size: None,
                    parent: cluster,
                    file: own_file.clone(),
                    range: range(&info, step.span),
                    diagnostics: Vec::new(),
                    broken: false,
                });
                self.inlining.push((callee.file, callee.name.clone()));
                let callee_key = ItemKey::new(db, callee.file, callee.name.clone());
                let (inputs, outputs) =
                    self.instance(callee_key, &format!("{id}."), Some((&id, index)));
                self.inlining.pop();
                slots.push(Slot::Cluster(index));
                ends.push(Ends::Pipeline {
                    cluster: id,
                    inputs,
                    outputs,
                });
            } else {
                let op_kind = step.callee.as_ref().map(|c| match c.kind {
                    CalleeKind::Op => "op",
                    CalleeKind::Pipeline => "pipeline",
                });
                if let Some(callee) = step.callee.as_ref() {
                    if !self.signatures.contains_key(callee) {
                        // Resolved here, once per callee, for `node_bodies` to copy.
                        self.signature(callee);
                    }
                }
                slots.push(Slot::Node(self.nodes.len()));
                plain.push((self.nodes.len(), i));
                self.nodes.push(Node {
                    id: id.clone(),
                    kind: "step",
                    label: step.name.clone(),
                    op,
                    op_kind,
                    file: own_file.clone(),
                    range: Range::default(),
                    name_range: Range::default(),
                    cluster,
                    inputs: Vec::new(),
                    outputs: Vec::new(),
                    args: Vec::new(),
                    signature: None,
                    diagnostics: Vec::new(),
                    broken: false,
                    hidden_up: 0,
                    hidden_down: 0,
                });
                ends.push(Ends::Node(id));
            }
        }
        self.node_bodies(&plain, graph, &info);

        // Edges between steps, and from steps into the blocks whose list or condition
        // reads them.
        // Finding an edge's line and column is the one part of it that needs no ids, so it
        // is made on every core first.
        let edge_ranges = mlforge_syntax::parallel::map_chunks(&graph.edges, |edges| {
            edges
                .iter()
                .map(|e| range(&info, e.span))
                .collect::<Vec<_>>()
        });
        for (edge, edge_range) in graph.edges.iter().zip(edge_ranges.into_iter().flatten()) {
            match &edge.kind {
                AEdgeKind::Data { input, output, ty } => {
                    let ty = self.type_text(ty);
                    for (from, out) in ends[edge.from].outs(output) {
                        for (to, inp) in ends[edge.to].ins(input) {
                            self.add_edge(Edge {
                                id: String::new(),
                                from: from.to_string(),
                                to: to.to_string(),
                                kind: EdgeKind::Data,
                                label: Some(out.to_string()),
                                input: Some(inp.to_string()),
                                ty: Some(ty.clone()),
                                file: own_file.clone(),
                                range: edge_range,
                            });
                        }
                    }
                }
                AEdgeKind::After => self.add_edge(Edge {
                    id: String::new(),
                    from: ends[edge.from].whole().to_string(),
                    to: ends[edge.to].whole().to_string(),
                    kind: EdgeKind::After,
                    label: None,
                    input: None,
                    ty: None,
                    file: own_file.clone(),
                    range: edge_range,
                }),
            }
        }
        for (b, block) in graph.blocks.iter().enumerate() {
            let port = control_port(&block.kind);
            for &(dep, span) in &block.deps {
                let output = field_of(&info.text, span);
                for (from, out) in ends[dep].outs(&output) {
                    self.add_edge(Edge {
                        id: String::new(),
                        from: from.to_string(),
                        to: block_ids[b].clone(),
                        kind: EdgeKind::Control,
                        label: Some(out.to_string()),
                        input: Some(port.to_string()),
                        ty: None,
                        file: own_file.clone(),
                        range: range(&info, span),
                    });
                }
            }
        }

        // Diagnostics: on the step they lie in, else on the innermost block, else on the
        // calling step's cluster, else on the model.
        let mut diagnostics: Vec<(Span, NodeDiagnostic)> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.file == file)
            .map(|d| {
                let nd = NodeDiagnostic {
                    code: d.code.to_string(),
                    severity: d.severity.as_str(),
                    message: d.message.clone(),
                    file: own_file.clone(),
                    range: range(&info, d.span),
                };
                (d.span, nd)
            })
            .collect();
        if let Some(p) = pipeline {
            for error in &parse(db, file).errors {
                if within(error.span, p.span) {
                    let code = Code::of_syntax_error(error.kind);
                    diagnostics.push((
                        error.span,
                        NodeDiagnostic {
                            code: code.to_string(),
                            severity: code.severity().as_str(),
                            message: error.message.clone(),
                            file: own_file.clone(),
                            range: range(&info, error.span),
                        },
                    ));
                }
            }
            diagnostics.sort_by_key(|(span, d)| (span.start, span.end, d.code.clone()));
        }
        let parent_slot = parent.map(|(_, index)| Slot::Cluster(index));
        for (span, d) in diagnostics {
            let step = graph
                .steps
                .iter()
                .position(|s| within(span, s.span))
                .map(|i| slots[i]);
            let block = || {
                block_spans
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| within(span, **b))
                    .min_by_key(|(b, s)| (s.len(), *b))
                    .map(|(b, _)| Slot::Cluster(first_cluster + b))
            };
            match step.or_else(block).or(parent_slot) {
                Some(Slot::Node(n)) => {
                    let node = &mut self.nodes[n];
                    node.broken |= d.severity == Severity::Error.as_str();
                    node.diagnostics.push(d);
                }
                Some(Slot::Cluster(c)) => {
                    let cluster = &mut self.clusters[c];
                    cluster.broken |= d.severity == Severity::Error.as_str();
                    cluster.diagnostics.push(d);
                }
                None => self.diagnostics.push(d),
            }
        }

        // The pipeline's interface, for a caller that inlines it.
        let mut inputs: BTreeMap<String, Vec<End>> = BTreeMap::new();
        let mut outputs: BTreeMap<String, Vec<End>> = BTreeMap::new();
        let (Some(t), Some(p), Some(_)) = (tree, pipeline, parent) else {
            // Nothing inlines the top pipeline, so nobody asks for its interface.
            return (inputs, outputs);
        };
        let mut seen: HashSet<(String, End)> = HashSet::new();
        let mut add = |map: &mut BTreeMap<String, Vec<End>>, key: &str, end: End| {
            if seen.insert((key.to_string(), end.clone())) {
                map.entry(key.to_string()).or_default().push(end);
            }
        };
        let is_param = |name: &str| p.params.iter().any(|q| q.name.text == name);
        let loop_vars = |innermost: Option<usize>| -> Vec<&str> {
            graph
                .block_path(innermost)
                .into_iter()
                .flat_map(|b| match &graph.blocks[b].kind {
                    BlockKind::For { var, second } => std::iter::once(var.as_str())
                        .chain(second.as_deref())
                        .collect(),
                    _ => Vec::new(),
                })
                .collect()
        };
        for (i, step) in t.steps.iter().enumerate() {
            let vars = loop_vars(graph.steps[i].block);
            for arg in &step.args {
                for_each_name(&arg.value, &mut |name| {
                    if is_param(name) && !vars.contains(&name) {
                        for (end, port) in ends[i].ins(&arg.name.text) {
                            add(&mut inputs, name, (end.to_string(), port.to_string()));
                        }
                    }
                });
            }
        }
        for (b, block) in t.blocks.iter().enumerate() {
            let vars = loop_vars(graph.blocks[b].parent);
            let port = control_port(&graph.blocks[b].kind);
            for_each_name(block.expr, &mut |name| {
                if is_param(name) && !vars.contains(&name) {
                    add(&mut inputs, name, (block_ids[b].clone(), port.to_string()));
                }
            });
        }
        for stmt in &p.body {
            let Stmt::Output(output) = stmt else { continue };
            for_each_field(&output.value, &mut |base, field| {
                if let Some(i) = graph.steps.iter().position(|s| s.name == base) {
                    for (end, port) in ends[i].outs(field) {
                        add(
                            &mut outputs,
                            &output.name.text,
                            (end.to_string(), port.to_string()),
                        );
                    }
                }
            });
        }
        (inputs, outputs)
    }

    /// `id`, or `id~2`, `id~3`… when a step of the same name came first (a duplicate step
    /// name is an error, but both steps are drawn).
    fn unique_id(&mut self, id: String) -> String {
        if self.ids.insert(id.clone()) {
            return id;
        }
        let unique = (2..)
            .map(|n| format!("{id}~{n}"))
            .find(|candidate| !self.ids.contains(candidate))
            .expect("some suffix is free");
        self.ids.insert(unique.clone());
        unique
    }

    fn type_text(&mut self, ty: &Ty) -> Arc<str> {
        type_text(&mut self.types, ty)
    }

    /// `callee`'s signature, no input marked given.
    fn signature(&mut self, callee: &CalleeRef) -> Option<Signature> {
        if let Some(known) = self.signatures.get(callee) {
            return known.clone();
        }
        let signature = describe(self.db, callee).map(|c| Signature {
            inputs: c
                .inputs
                .iter()
                .map(|i| SignatureInput {
                    name: Arc::from(i.name.as_str()),
                    ty: self.type_text(&i.ty),
                    required: i.required,
                    default: i.default.clone(),
                    given: false,
                })
                .collect(),
            outputs: c
                .outputs
                .iter()
                .map(|o| Port {
                    name: o.name.clone(),
                    ty: self.type_text(&o.ty),
                })
                .collect(),
            doc: c.doc,
        });
        self.signatures.insert(callee.clone(), signature.clone());
        signature
    }

    /// Fills in the ports, arguments, signature and ranges of the nodes `plain` (node index,
    /// step index): the bulk of a node, made on every core for a big pipeline. Nothing here
    /// names or orders anything, so the model is the one made in order.
    fn node_bodies(&mut self, plain: &[(usize, usize)], graph: &StepGraph, info: &FileInfo) {
        let (types, signatures) = (&self.types, &self.signatures);
        let bodies = mlforge_syntax::parallel::map_chunks(plain, |chunk| {
            // Each thread adds the types it meets to a copy of its own.
            let mut types = types.clone();
            let mut ports = |items: &[(String, Ty)]| -> Vec<Port> {
                items
                    .iter()
                    .map(|(name, ty)| Port {
                        name: name.clone(),
                        ty: type_text(&mut types, ty),
                    })
                    .collect()
            };
            chunk
                .iter()
                .map(|&(_, i)| {
                    let step = &graph.steps[i];
                    let signature = step.callee.as_ref().and_then(|callee| {
                        let mut signature = signatures.get(callee)?.clone()?;
                        for input in &mut signature.inputs {
                            input.given = step.args.iter().any(|(name, _)| **name == *input.name);
                        }
                        Some(signature)
                    });
                    let args = step
                        .args
                        .iter()
                        .map(|(name, value)| Arg {
                            name: name.clone(),
                            value: value.clone(),
                        })
                        .collect();
                    NodeBody {
                        range: range(info, step.span),
                        name_range: range(info, step.name_span),
                        inputs: ports(&step.inputs),
                        outputs: ports(&step.outputs),
                        args,
                        signature,
                    }
                })
                .collect::<Vec<_>>()
        });
        for (&(n, _), body) in plain.iter().zip(bodies.into_iter().flatten()) {
            let node = &mut self.nodes[n];
            node.range = body.range;
            node.name_range = body.name_range;
            node.inputs = body.inputs;
            node.outputs = body.outputs;
            node.args = body.args;
            node.signature = body.signature;
        }
    }

    /// Adds an edge, with its id: `KIND:FROM.OUTPUT->TO.INPUT`, or `after:FROM->TO`.
    fn add_edge(&mut self, mut edge: Edge) {
        let parts: [&str; 4] = match edge.kind {
            EdgeKind::After => [&edge.from, "", &edge.to, ""],
            _ => [
                &edge.from,
                edge.label.as_deref().unwrap_or(""),
                &edge.to,
                edge.input.as_deref().unwrap_or(""),
            ],
        };
        let kind = edge.kind.as_str();
        let mut base =
            String::with_capacity(kind.len() + parts.iter().map(|p| p.len()).sum::<usize>() + 6);
        base.push_str(kind);
        base.push(':');
        base.push_str(parts[0]);
        if edge.kind != EdgeKind::After {
            base.push('.');
            base.push_str(parts[1]);
        }
        base.push_str("->");
        base.push_str(parts[2]);
        if edge.kind != EdgeKind::After {
            base.push('.');
            base.push_str(parts[3]);
        }
        let count = self.edge_ids.entry(base.clone()).or_insert(0);
        *count += 1;
        edge.id = if *count == 1 {
            base
        } else {
            format!("{base}~{count}")
        };
        self.edges.push(edge);
    }
}

/// What [`Builder::node_bodies`] makes of a node.
struct NodeBody {
    range: Range,
    name_range: Range,
    inputs: Vec<Port>,
    outputs: Vec<Port>,
    args: Vec<Arg>,
    signature: Option<Signature>,
}

#[derive(Clone, Copy)]
enum Slot {
    Node(usize),
    Cluster(usize),
}

fn range(info: &FileInfo, span: Span) -> Range {
    let start = info.lines.line_col(&info.text, span.start as usize);
    let end = info.lines.line_col(&info.text, span.end as usize);
    Range {
        start_line: start.line + 1,
        start_column: start.char_col + 1,
        end_line: end.line + 1,
        end_column: end.char_col + 1,
        start_offset: span.start,
        end_offset: span.end,
    }
}

/// A type's text, from `types` (programs use few distinct types; a scan beats hashing) or
/// written and added there.
fn type_text(types: &mut Vec<(Ty, Arc<str>)>, ty: &Ty) -> Arc<str> {
    if let Some((_, text)) = types.iter().find(|(t, _)| t == ty) {
        return text.clone();
    }
    let text: Arc<str> = Arc::from(ty.to_string());
    if types.len() < 64 {
        types.push((ty.clone(), text.clone()));
    }
    text
}

fn within(inner: Span, outer: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

fn callee_text(callee: &ast::Callee) -> String {
    match &callee.namespace {
        Some(ns) => format!("{}.{}", ns.text, callee.name.text),
        None => callee.name.text.to_string(),
    }
}

fn control_port(kind: &BlockKind) -> &'static str {
    match kind {
        BlockKind::For { .. } => "list",
        BlockKind::Then | BlockKind::Else => "condition",
    }
}

/// The output named by a `step.output` reference.
fn field_of(text: &str, span: Span) -> String {
    let reference = text.get(span.range()).unwrap_or("");
    match reference.split_once('.') {
        Some((_, field)) => field.trim().to_string(),
        None => String::new(),
    }
}

fn walk_expr<'a>(expr: &'a Expr, f: &mut impl FnMut(&'a ExprKind)) {
    f(&expr.kind);
    for child in expr.children() {
        walk_expr(child, f);
    }
}

/// Every bare name (a param or loop variable) an expression reads, and the base of every
/// `base.field` (a record param's field, `opts.rate`, reads the param).
fn for_each_name(expr: &Expr, f: &mut impl FnMut(&str)) {
    walk_expr(expr, &mut |kind| match kind {
        ExprKind::Name(name) | ExprKind::Field { base: name, .. } => f(&name.text),
        _ => {}
    });
}

/// Every `base.field` an expression reads.
fn for_each_field(expr: &Expr, f: &mut impl FnMut(&str, &str)) {
    walk_expr(expr, &mut |kind| {
        if let ExprKind::Field { base, field } = kind {
            f(&base.text, &field.text);
        }
    });
}
