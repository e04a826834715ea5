//! The step graph of a pipeline: steps, the `for`/`if` blocks around them, and the data and
//! ordering edges between them. Cycles are found with petgraph and reported with their path.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use mlforge_syntax::Span;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::codes::Code;
use crate::diagnostic::Sink;
use crate::items::CalleeRef;
use crate::types::Ty;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct StepGraph {
    pub steps: Vec<StepNode>,
    pub blocks: Vec<Block>,
    pub edges: Vec<Edge>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StepNode {
    pub name: String,
    pub name_span: Span,
    pub span: Span,
    /// The innermost block holding the step.
    pub block: Option<usize>,
    pub callee: Option<CalleeRef>,
    // The lists below are shared (`Arc`): an edit elsewhere in the pipeline copies the
    // graph without copying them (`pipeline_patch.rs`), and steps with one callee share
    // their outputs.
    /// Arguments given, with the input's declared type.
    pub inputs: Arc<[(String, Ty)]>,
    /// Arguments as written: input name and the argument's source text.
    pub args: Arc<[(String, String)]>,
    /// Arguments' types as inferred where the step stands.
    pub arg_types: Arc<[(String, Ty)]>,
    /// Outputs with their types inside the step's own block.
    pub outputs: Arc<[(String, Ty)]>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BlockKind {
    For { var: String },
    Then,
    Else,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Block {
    pub kind: BlockKind,
    pub span: Span,
    pub parent: Option<usize>,
    /// The list of a `for`, or the condition of an `if` (negated for `else`), as written.
    pub label: String,
    /// Steps the block's list or condition reads, with the reference's span.
    pub deps: Vec<(usize, Span)>,
    /// For a `for`, the number of elements when its list is a literal or a param's default.
    pub size: Option<usize>,
    /// For a `for`, the type of its loop variable.
    pub elem_ty: Option<Ty>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// `to` reads the output `output` of `from` through its input `input`; `ty` is the
    /// value's type where it is read (a list outside a `for`, optional outside an `if`).
    Data {
        input: Arc<str>,
        output: Arc<str>,
        ty: Ty,
    },
    /// `to` has `after from`.
    After,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    /// The reference that makes the edge.
    pub span: Span,
}

impl StepGraph {
    pub(crate) fn add_step(
        &mut self,
        name: &mlforge_syntax::ast::Name,
        span: Span,
        block: Option<usize>,
    ) -> usize {
        self.steps.push(StepNode {
            name: name.text.to_string(),
            name_span: name.span,
            span,
            block,
            callee: None,
            inputs: Arc::default(),
            args: Arc::default(),
            arg_types: Arc::default(),
            outputs: Arc::default(),
        });
        self.steps.len() - 1
    }

    pub(crate) fn add_block(
        &mut self,
        kind: BlockKind,
        span: Span,
        parent: Option<usize>,
    ) -> usize {
        self.blocks.push(Block {
            kind,
            span,
            parent,
            label: String::new(),
            deps: Vec::new(),
            size: None,
            elem_ty: None,
        });
        self.blocks.len() - 1
    }

    pub(crate) fn add_edge(&mut self, from: usize, to: usize, kind: EdgeKind, span: Span) {
        self.edges.push(Edge {
            from,
            to,
            kind,
            span,
        });
    }

    pub(crate) fn add_block_dep(&mut self, block: usize, dep: (usize, Span)) {
        self.blocks[block].deps.push(dep);
    }

    pub(crate) fn block_deps(&self, block: usize) -> Vec<(usize, Span)> {
        self.blocks[block].deps.clone()
    }

    /// The blocks around a step or block, outermost first.
    pub fn block_path(&self, innermost: Option<usize>) -> Vec<usize> {
        let mut path = Vec::new();
        let mut current = innermost;
        while let Some(b) = current {
            path.push(b);
            current = self.blocks[b].parent;
        }
        path.reverse();
        path
    }

    /// For each step, whether anything waits for it: another step, or a block's list or
    /// condition.
    pub fn steps_with_dependents(&self) -> Vec<bool> {
        let mut waited_for = vec![false; self.steps.len()];
        for edge in &self.edges {
            waited_for[edge.from] = true;
        }
        for (step, _) in self.blocks.iter().flat_map(|b| &b.deps) {
            waited_for[*step] = true;
        }
        waited_for
    }

    /// Every ordering constraint as `(before, after, span)`: the edges, plus one from each
    /// step a block's list or condition reads to each step inside that block.
    pub fn dependencies(&self) -> Vec<(usize, usize, Span)> {
        let mut deps: Vec<(usize, usize, Span)> =
            self.edges.iter().map(|e| (e.from, e.to, e.span)).collect();
        if self.blocks.iter().any(|b| !b.deps.is_empty()) {
            for (step, node) in self.steps.iter().enumerate() {
                for block in self.block_path(node.block) {
                    deps.extend(
                        self.blocks[block]
                            .deps
                            .iter()
                            .map(|&(dep, span)| (dep, step, span)),
                    );
                }
            }
        }
        deps
    }

    pub(crate) fn report_cycles(&self, sink: &mut Sink) {
        let mut graph: DiGraph<usize, Span> =
            DiGraph::with_capacity(self.steps.len(), self.edges.len());
        let nodes: Vec<NodeIndex> = (0..self.steps.len()).map(|i| graph.add_node(i)).collect();
        for (from, to, span) in self.dependencies() {
            graph.add_edge(nodes[from], nodes[to], span);
        }
        for component in petgraph::algo::tarjan_scc(&graph) {
            let start = *component
                .iter()
                .min_by_key(|n| n.index())
                .expect("components are not empty");
            let self_loop = graph.find_edge(start, start);
            if component.len() == 1 && self_loop.is_none() {
                continue;
            }
            let members: std::collections::HashSet<NodeIndex> = component.iter().copied().collect();
            let cycle = shortest_cycle(&graph, start, &members);
            let names: Vec<&str> = std::iter::once(start)
                .chain(cycle.iter().map(|&(n, _)| n))
                .map(|n| self.steps[graph[n]].name.as_str())
                .collect();
            let first = &self.steps[graph[start]];
            let mut d = sink
                .at(
                    Code::DependencyCycle,
                    first.name_span,
                    format!("these steps depend on each other: {}", names.join(" → ")),
                )
                .with_help("a pipeline runs each step after the ones it uses, so uses cannot go round in a circle: remove one of them");
            for &(node, span) in &cycle {
                let user = &self.steps[graph[node]];
                d = d.with_related(sink.file, span, format!("`{}` depends on this", user.name));
            }
            sink.push(d);
        }
    }
}

/// The shortest path from `start` round to itself inside one strongly connected component,
/// as `(node, span of the edge into it)`, ending with the edge back into `start`.
fn shortest_cycle(
    graph: &DiGraph<usize, Span>,
    start: NodeIndex,
    members: &std::collections::HashSet<NodeIndex>,
) -> Vec<(NodeIndex, Span)> {
    let mut parent: HashMap<NodeIndex, (NodeIndex, Span)> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for edge in graph.edges(node) {
            use petgraph::visit::EdgeRef;
            let next = edge.target();
            if !members.contains(&next) {
                continue;
            }
            if next == start {
                let mut path = vec![(start, *edge.weight())];
                let mut current = node;
                while current != start {
                    let (prev, span) = parent[&current];
                    path.push((current, span));
                    current = prev;
                }
                path.reverse();
                // `path` now runs from the first step after `start` back to `start`.
                return path;
            }
            if next != start && !parent.contains_key(&next) {
                parent.insert(next, (node, *edge.weight()));
                queue.push_back(next);
            }
        }
    }
    Vec::new()
}

/// A `for` block, or one branch of an `if`, as the syntax tree has it.
#[derive(Clone, Copy, Debug)]
pub enum BlockStmt<'a> {
    For(&'a mlforge_syntax::ast::For),
    Then(&'a mlforge_syntax::ast::If),
    Else(&'a mlforge_syntax::ast::If),
}

impl<'a> BlockStmt<'a> {
    /// The statements inside.
    pub fn body(self) -> &'a [mlforge_syntax::ast::Stmt] {
        match self {
            BlockStmt::For(f) => &f.body,
            BlockStmt::Then(i) => &i.then_body,
            BlockStmt::Else(i) => i.else_body.as_deref().unwrap_or(&[]),
        }
    }
}

/// The blocks of a pipeline body in the order the checker numbers them (the order of
/// [`StepGraph::blocks`]), each with its id: `for#N`, `if#N` or `else#N` (the `else` of
/// `if#N`), `for`s and `if`s counted apart, in source order. The graph and the graph editor
/// name blocks by these ids.
pub fn numbered_blocks(body: &[mlforge_syntax::ast::Stmt]) -> Vec<(String, BlockStmt<'_>)> {
    use mlforge_syntax::ast::Stmt;
    fn walk<'a>(
        stmts: &'a [Stmt],
        counts: &mut (usize, usize),
        out: &mut Vec<(String, BlockStmt<'a>)>,
    ) {
        for stmt in stmts {
            match stmt {
                Stmt::For(block) => {
                    counts.0 += 1;
                    out.push((format!("for#{}", counts.0), BlockStmt::For(block)));
                    walk(&block.body, counts, out);
                }
                Stmt::If(block) => {
                    counts.1 += 1;
                    let n = counts.1;
                    out.push((format!("if#{n}"), BlockStmt::Then(block)));
                    walk(&block.then_body, counts, out);
                    if let Some(else_body) = &block.else_body {
                        out.push((format!("else#{n}"), BlockStmt::Else(block)));
                        walk(else_body, counts, out);
                    }
                }
                Stmt::Step(_) | Stmt::Output(_) | Stmt::Error(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(body, &mut (0, 0), &mut out);
    out
}
