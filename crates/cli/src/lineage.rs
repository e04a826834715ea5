//! `mlforge lineage ARTIFACT|RUN/STEP.OUTPUT` (the store's lineage graph as a tree, JSON or
//! DOT) and `mlforge lineage export --openlineage RUN` (the work is `mlforge_openlineage`'s).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use mlforge_graph::{Defaults, DotWriter};
use mlforge_store::{
    ArtifactMatch, LineageGraph, LineageNode, NodeKey, OutputAddress, OutputLookup, Store, Target,
};

use crate::error::{fail, CliResult};
use crate::history::{find_run, open, open_run, print_out, short_hash};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    /// An indented tree.
    Text,
    /// Nodes and edges.
    Json,
    /// A Graphviz digraph.
    Dot,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct LineageArgs {
    /// An artifact's sha256 (or a unique prefix of 8 or more hex digits), or an output of a
    /// step of a run: `3/best.model`, `latest/best.model`, `3/fitted[1].model`.
    #[arg(required = true)]
    pub target: Option<String>,
    /// Everything that used it, recursively (default: what produced it).
    #[arg(long)]
    pub downstream: bool,
    /// How to print.
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub format: GraphFormat,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
    #[command(subcommand)]
    pub command: Option<LineageCommand>,
}

#[derive(Subcommand)]
pub enum LineageCommand {
    /// Export a run's lineage: OpenLineage run events (START and COMPLETE/FAIL/ABORT per
    /// step attempt), one JSON object per line.
    Export(ExportArgs),
}

#[derive(Args)]
pub struct ExportArgs {
    /// The run's number, or `latest`.
    pub run: String,
    /// Write OpenLineage RunEvents (the only export format so far).
    #[arg(long, required = true)]
    pub openlineage: bool,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
}

/// The artifact (and, for `RUN/STEP.OUTPUT`, the attempt that wrote it) a target names.
fn resolve_target(store: &Store, target: &str) -> CliResult<(String, Option<i64>)> {
    match Target::parse(target).map_err(|e| e.to_string())? {
        Target::Output(address) => resolve_output(store, &address),
        Target::Artifact(prefix) => match store.lineage.find_artifact(&prefix)? {
            ArtifactMatch::One(hash) => Ok((hash, None)),
            ArtifactMatch::None => fail!("no artifact `{prefix}` is recorded in this store"),
            ArtifactMatch::Ambiguous(found) => fail!(
                "`{prefix}` is the start of several artifacts ({}, ...); give more digits",
                found.join(", ")
            ),
        },
    }
}

fn resolve_output(store: &Store, address: &OutputAddress) -> CliResult<(String, Option<i64>)> {
    let run = find_run(store, &address.run)?;
    let (name, output) = (address.instance_name(), &address.output);
    let found =
        store
            .lineage
            .find_output(run.id, &address.step, &address.element, &address.output)?;
    match found {
        OutputLookup::Artifact { hash, attempt_id } => Ok((hash, Some(attempt_id))),
        OutputLookup::NoOutputs => fail!(
            "`{name}` of run {} has no outputs (it did not succeed)",
            run.id
        ),
        OutputLookup::NoStep { steps } => fail!(
            "run {} has no step `{name}`; its steps are {}",
            run.id,
            steps.join(", ")
        ),
        OutputLookup::NoOutput { outputs } => fail!(
            "`{name}` of run {} has no output `{output}`; its outputs are {}",
            run.id,
            outputs.join(", ")
        ),
        OutputLookup::Value(value) => fail!(
            "`{name}.{output}` of run {} is a value ({value}), not an artifact: lineage follows artifacts",
            run.id
        ),
    }
}

fn describe(node: &LineageNode) -> String {
    match node {
        LineageNode::Artifact(a) => {
            let mut text = format!(
                "{} {} ({}, {} bytes)",
                a.type_name,
                short_hash(&a.hash),
                a.kind.as_str(),
                a.size
            );
            if let Some((run, param, path)) = &a.imported_from {
                text.push_str(&format!(
                    " imported as param `{param}` of run {run} from {path}"
                ));
            }
            text
        }
        LineageNode::Attempt(a) => {
            let status = a.status.map(|s| s.as_str()).unwrap_or("unfinished");
            let mut text = format!(
                "step {} (run {}, {}, op {}",
                a.element.instance_name(&a.step),
                a.run_id,
                status,
                a.op
            );
            if a.attempt > 1 {
                text.push_str(&format!(", attempt {}", a.attempt));
            }
            if let Some(from) = a.cached_from {
                text.push_str(&format!(", cached from attempt {from}"));
            }
            text.push(')');
            text
        }
    }
}

type Children<'g> = HashMap<&'g NodeKey, Vec<(&'g NodeKey, &'g str)>>;
type Frame<'g> = (&'g NodeKey, String, bool, &'g str);

fn push_children<'g>(
    children: &Children<'g>,
    stack: &mut Vec<Frame<'g>>,
    key: &NodeKey,
    prefix: String,
) {
    if let Some(list) = children.get(key) {
        for (i, (child, label)) in list.iter().enumerate().rev() {
            stack.push((child, prefix.clone(), i + 1 == list.len(), label));
        }
    }
}

fn print_tree(graph: &LineageGraph, out: &mut String) {
    let nodes: HashMap<&NodeKey, &LineageNode> = graph.nodes.iter().map(|(k, n)| (k, n)).collect();
    let mut children: Children<'_> = HashMap::new();
    for edge in &graph.edges {
        let (parent, child) = if graph.downstream {
            (&edge.from, &edge.to)
        } else {
            (&edge.to, &edge.from)
        };
        children
            .entry(parent)
            .or_default()
            .push((child, &edge.label));
    }
    let mut printed: HashSet<&NodeKey> = HashSet::new();
    out.push_str(&describe(nodes[&graph.root]));
    out.push('\n');
    printed.insert(&graph.root);
    // Depth first, with an explicit stack: (node, prefix, is last child, label).
    let mut stack: Vec<Frame<'_>> = Vec::new();
    push_children(&children, &mut stack, &graph.root, String::new());
    while let Some((key, prefix, last, label)) = stack.pop() {
        let Some(node) = nodes.get(key) else { continue };
        let branch = if last { "└─ " } else { "├─ " };
        let seen = !printed.insert(key);
        let role = if graph.downstream {
            match node {
                LineageNode::Attempt(_) => format!("read as {label} by "),
                LineageNode::Artifact(_) => format!("wrote {label}: "),
            }
        } else {
            match node {
                LineageNode::Attempt(_) => format!("written as {label} by "),
                LineageNode::Artifact(_) => format!("read {label}: "),
            }
        };
        out.push_str(&format!(
            "{prefix}{branch}{role}{}{}\n",
            describe(node),
            if seen { " (shown above)" } else { "" }
        ));
        if !seen {
            let next = format!("{prefix}{}", if last { "   " } else { "│  " });
            push_children(&children, &mut stack, key, next);
        }
    }
}

fn dot(graph: &LineageGraph) -> String {
    let mut w = DotWriter::digraph("lineage");
    w.defaults(Defaults::Graph, |a| {
        a.attr("rankdir", "LR");
    });
    for (key, node) in &graph.nodes {
        let (label, shape) = match node {
            LineageNode::Artifact(a) => {
                (format!("{}\n{}", a.type_name, short_hash(&a.hash)), "note")
            }
            LineageNode::Attempt(a) => (
                format!(
                    "{}\nrun {} · {}",
                    a.element.instance_name(&a.step),
                    a.run_id,
                    a.status.map(|s| s.as_str()).unwrap_or("unfinished")
                ),
                "box",
            ),
        };
        w.node(&key.to_string(), |a| {
            a.attr("label", &label).attr("shape", shape);
            if *key == graph.root {
                a.attr("penwidth", "2");
            }
        });
    }
    for edge in &graph.edges {
        w.edge(&edge.from.to_string(), &edge.to.to_string(), |a| {
            a.attr("label", &edge.label);
        });
    }
    w.finish()
}

fn graph_json(graph: &LineageGraph) -> serde_json::Value {
    let nodes: Vec<serde_json::Value> = graph
        .nodes
        .iter()
        .map(|(key, node)| {
            let mut value = serde_json::to_value(node).expect("nodes serialize");
            if let serde_json::Value::Object(map) = &mut value {
                map.insert("id".into(), key.to_string().into());
                if let LineageNode::Attempt(a) = node {
                    map.insert("name".into(), a.element.instance_name(&a.step).into());
                }
            }
            value
        })
        .collect();
    serde_json::json!({
        "root": graph.root.to_string(),
        "direction": if graph.downstream { "downstream" } else { "upstream" },
        "nodes": nodes,
        "edges": graph.edges,
    })
}

pub fn run(args: &LineageArgs) -> CliResult {
    if let Some(LineageCommand::Export(export_args)) = &args.command {
        return export(export_args);
    }
    let Some(target) = &args.target else {
        fail!("name an artifact or RUN/STEP.OUTPUT");
    };
    let store = open(&args.store)?;
    let (hash, writer) = resolve_target(&store, target)?;
    let Some(graph) = store
        .lineage
        .lineage_graph(&hash, writer, args.downstream)?
    else {
        fail!("no artifact `{hash}` is recorded");
    };
    let out = match args.format {
        GraphFormat::Text => {
            let mut out = String::new();
            print_tree(&graph, &mut out);
            out
        }
        GraphFormat::Dot => dot(&graph),
        GraphFormat::Json => {
            serde_json::to_string_pretty(&graph_json(&graph)).expect("graph serializes") + "\n"
        }
    };
    print_out(&out);
    Ok(())
}

pub fn export(args: &ExportArgs) -> CliResult {
    let (store, run) = open_run(&args.store, &args.run)?;
    let mut out = String::new();
    for event in mlforge_openlineage::run_events(&store.lineage, &run)? {
        out.push_str(&event.to_string());
        out.push('\n');
    }
    match &args.output {
        Some(path) => std::fs::write(path, out)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?,
        None => print_out(&out),
    }
    Ok(())
}
