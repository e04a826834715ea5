//! `mlforge lineage ARTIFACT|RUN/STEP.OUTPUT`, `mlforge lineage export --openlineage RUN`
//! and `mlforge runs diff A B`: reading the lineage store's graph.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use mlforge_runner::events::instance_name;
use mlforge_runner::key::{changes, Change};
use mlforge_store::{
    sha256_hex, ArtifactMatch, AttemptRecord, AttemptStatus, LineageGraph, LineageNode, NodeKey,
    Store,
};

use crate::runs::find_run;
use crate::{Format, Outcome};

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

/// `mlforge runs` with its subcommands.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RunsCli {
    #[command(flatten)]
    pub list: crate::runs::RunsArgs,
    #[command(subcommand)]
    pub command: Option<RunsCommand>,
}

#[derive(Subcommand)]
pub enum RunsCommand {
    /// Compare two runs step by step: same, different (and which part of the cache key
    /// changed: code, param, input, environment, settings), or only in one of them.
    Diff(DiffArgs),
    /// Copy a finished run (params, metrics, tags, artifact list) to an MLflow tracking
    /// server; a run mirrored before is reported, not copied again.
    Mirror(crate::runs::MirrorArgs),
}

#[derive(Args)]
pub struct DiffArgs {
    /// The first run (number or `latest`).
    pub a: String,
    /// The second run.
    pub b: String,
    /// How to print.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The store folder.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::settings::default_store())]
    pub store: PathBuf,
}

fn open(store: &Path) -> Result<Store, Outcome> {
    match Store::open_existing(store) {
        Ok(Some(store)) => Ok(store),
        Ok(None) => Err(Outcome::Failed(format!(
            "no runs recorded yet: `{}` holds no lineage store (run a pipeline with `mlforge run FILE` first)",
            store.display()
        ))),
        Err(e) => Err(Outcome::Failed(format!(
            "cannot open the store `{}`: {e}",
            store.display()
        ))),
    }
}

fn failed(e: mlforge_store::StoreError) -> Outcome {
    Outcome::Failed(e.to_string())
}

fn element_path(element: &str) -> Vec<u32> {
    element
        .split('.')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn step_name(step: &str, element: &str) -> String {
    instance_name(step, &element_path(element))
}

/// `3/fitted[1].model` → ("3", "fitted", "1", "model").
fn parse_output_ref(text: &str) -> Option<(String, String, String, String)> {
    let (run, rest) = text.split_once('/')?;
    let (step_part, output) = match rest.find(']') {
        Some(close) => {
            let output = rest[close + 1..].strip_prefix('.')?;
            (&rest[..=close], output)
        }
        None => rest.rsplit_once('.')?,
    };
    let (step, element) = match step_part.find('[') {
        None => (step_part.to_string(), String::new()),
        Some(open) => {
            let inner = step_part[open + 1..].strip_suffix(']')?;
            let parts: Option<Vec<String>> = inner
                .split([',', '.'])
                .map(|p| p.trim().parse::<u32>().ok().map(|n| n.to_string()))
                .collect();
            (step_part[..open].to_string(), parts?.join("."))
        }
    };
    if run.is_empty() || step.is_empty() || output.is_empty() {
        return None;
    }
    Some((run.to_string(), step, element, output.to_string()))
}

/// The artifact (and, for `RUN/STEP.OUTPUT`, the attempt that wrote it) a target names.
fn resolve_target(store: &Store, target: &str) -> Result<(String, Option<i64>), Outcome> {
    if target.contains('/') {
        let (run_text, step, element, output) = parse_output_ref(target).ok_or_else(|| {
            Outcome::Failed(format!(
                "`{target}` is not an output of a step: write RUN/STEP.OUTPUT, like `3/best.model` or `latest/fitted[1].model`"
            ))
        })?;
        let run = find_run(store, &run_text)?;
        let attempts = store.lineage.attempts(run.id).map_err(failed)?;
        let name = step_name(&step, &element);
        let Some(attempt) = attempts
            .iter()
            .rfind(|a| a.step == step && a.element == element && a.status.has_outputs())
        else {
            let known = attempts
                .iter()
                .any(|a| a.step == step && a.element == element);
            let mut steps: Vec<String> = attempts
                .iter()
                .map(|a| step_name(&a.step, &a.element))
                .collect();
            steps.dedup();
            return Err(Outcome::Failed(if known {
                format!(
                    "`{name}` of run {} has no outputs (it did not succeed)",
                    run.id
                )
            } else {
                format!(
                    "run {} has no step `{name}`; its steps are {}",
                    run.id,
                    steps.join(", ")
                )
            }));
        };
        let outputs = store.lineage.outputs(attempt.id).map_err(failed)?;
        let Some(found) = outputs.iter().find(|o| o.name == output) else {
            let names: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
            return Err(Outcome::Failed(format!(
                "`{name}` of run {} has no output `{output}`; its outputs are {}",
                run.id,
                names.join(", ")
            )));
        };
        let Some(hash) = &found.artifact else {
            return Err(Outcome::Failed(format!(
                "`{name}.{output}` of run {} is a value ({}), not an artifact: lineage follows artifacts",
                run.id, found.value
            )));
        };
        return Ok((hash.clone(), Some(attempt.id)));
    }
    let hex = target.chars().all(|c| c.is_ascii_hexdigit());
    if !hex || target.len() < 8 || target.len() > 64 {
        return Err(Outcome::Failed(format!(
            "`{target}` is neither an artifact (its sha256, or 8 or more of its first hex digits) \
             nor RUN/STEP.OUTPUT (like `latest/best.model`)"
        )));
    }
    match store.lineage.find_artifact(target).map_err(failed)? {
        ArtifactMatch::One(hash) => Ok((hash, None)),
        ArtifactMatch::None => Err(Outcome::Failed(format!(
            "no artifact `{target}` is recorded in this store"
        ))),
        ArtifactMatch::Ambiguous(found) => Err(Outcome::Failed(format!(
            "`{target}` is the start of several artifacts ({}, ...); give more digits",
            found.join(", ")
        ))),
    }
}

fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
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
                step_name(&a.step, &a.element),
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

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn print_dot(graph: &LineageGraph, out: &mut String) {
    out.push_str("digraph lineage {\n  rankdir=LR;\n");
    for (key, node) in &graph.nodes {
        let (label, shape) = match node {
            LineageNode::Artifact(a) => {
                (format!("{}\\n{}", a.type_name, short_hash(&a.hash)), "note")
            }
            LineageNode::Attempt(a) => (
                format!(
                    "{}\\nrun {} · {}",
                    step_name(&a.step, &a.element),
                    a.run_id,
                    a.status.map(|s| s.as_str()).unwrap_or("unfinished")
                ),
                "box",
            ),
        };
        let bold = if *key == graph.root {
            ", penwidth=2"
        } else {
            ""
        };
        out.push_str(&format!(
            "  \"{}\" [label=\"{}\", shape={shape}{bold}];\n",
            dot_escape(&key.to_string()),
            dot_escape(&label).replace("\\\\n", "\\n")
        ));
    }
    for edge in &graph.edges {
        out.push_str(&format!(
            "  \"{}\" -> \"{}\" [label=\"{}\"];\n",
            dot_escape(&edge.from.to_string()),
            dot_escape(&edge.to.to_string()),
            dot_escape(&edge.label)
        ));
    }
    out.push_str("}\n");
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
                    map.insert("name".into(), step_name(&a.step, &a.element).into());
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

pub fn run(args: &LineageArgs) -> Outcome {
    if let Some(LineageCommand::Export(export_args)) = &args.command {
        return export(export_args);
    }
    let Some(target) = &args.target else {
        return Outcome::Failed("name an artifact or RUN/STEP.OUTPUT".into());
    };
    let store = match open(&args.store) {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let (hash, writer) = match resolve_target(&store, target) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let graph = match store.lineage.lineage_graph(&hash, writer, args.downstream) {
        Ok(Some(graph)) => graph,
        Ok(None) => return Outcome::Failed(format!("no artifact `{hash}` is recorded")),
        Err(e) => return failed(e),
    };
    let mut out = String::new();
    match args.format {
        GraphFormat::Text => print_tree(&graph, &mut out),
        GraphFormat::Dot => print_dot(&graph, &mut out),
        GraphFormat::Json => {
            out = serde_json::to_string_pretty(&graph_json(&graph)).expect("graph serializes");
            out.push('\n');
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    Outcome::Clean
}

/// `println!` into a `String`.
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

// ---- runs diff ------------------------------------------------------------------------

/// The last attempt of each (step, element) of a run, in first-seen order.
fn last_attempts(attempts: Vec<AttemptRecord>) -> Vec<AttemptRecord> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut last: HashMap<(String, String), AttemptRecord> = HashMap::new();
    for a in attempts {
        let key = (a.step.clone(), a.element.clone());
        if !last.contains_key(&key) {
            order.push(key.clone());
        }
        last.insert(key, a);
    }
    order.into_iter().filter_map(|k| last.remove(&k)).collect()
}

fn step_diff(a: Option<&AttemptRecord>, b: Option<&AttemptRecord>) -> (&'static str, Vec<Change>) {
    match (a, b) {
        (Some(_), None) => ("only_in_a", Vec::new()),
        (None, Some(_)) => ("only_in_b", Vec::new()),
        (None, None) => ("same", Vec::new()),
        (Some(a), Some(b)) => {
            let mut found = match (&a.key, &b.key) {
                (Some(ka), Some(kb)) if ka.cache_key == kb.cache_key => Vec::new(),
                (Some(ka), Some(kb)) => changes(ka, kb),
                (None, None) => Vec::new(),
                _ => vec![Change {
                    part: "status",
                    detail: "the step had its inputs in one run only".into(),
                }],
            };
            let ran_a = a.status.has_outputs();
            let ran_b = b.status.has_outputs();
            if ran_a != ran_b
                || (a.status == AttemptStatus::Skipped) != (b.status == AttemptStatus::Skipped)
            {
                found.push(Change {
                    part: "status",
                    detail: format!("{} → {}", a.status, b.status),
                });
            }
            if found.is_empty()
                && a.key.as_ref().map(|k| &k.cache_key) != b.key.as_ref().map(|k| &k.cache_key)
            {
                found.push(Change {
                    part: "key",
                    detail: "the cache key changed".into(),
                });
            }
            (
                if found.is_empty() {
                    "same"
                } else {
                    "different"
                },
                found,
            )
        }
    }
}

pub fn diff(args: &DiffArgs) -> Outcome {
    let store = match open(&args.store) {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let (run_a, run_b) = match (find_run(&store, &args.a), find_run(&store, &args.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    let a = match store.lineage.attempts(run_a.id) {
        Ok(list) => last_attempts(list),
        Err(e) => return failed(e),
    };
    let b = match store.lineage.attempts(run_b.id) {
        Ok(list) => last_attempts(list),
        Err(e) => return failed(e),
    };
    let mut keys: Vec<(String, String)> = Vec::new();
    for x in a.iter().chain(b.iter()) {
        let key = (x.step.clone(), x.element.clone());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let find = |list: &[AttemptRecord], key: &(String, String)| -> Option<usize> {
        list.iter()
            .position(|x| x.step == key.0 && x.element == key.1)
    };
    let mut rows = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for key in &keys {
        let in_a = find(&a, key).map(|i| &a[i]);
        let in_b = find(&b, key).map(|i| &b[i]);
        let (status, found) = step_diff(in_a, in_b);
        *counts.entry(status).or_default() += 1;
        rows.push((key, status, found, in_a, in_b));
    }
    let mut out = String::new();
    match args.format {
        Format::Json => {
            let steps: Vec<serde_json::Value> = rows
                .iter()
                .map(|(key, status, found, in_a, in_b)| {
                    serde_json::json!({
                        "step": key.0,
                        "element": element_path(&key.1),
                        "name": step_name(&key.0, &key.1),
                        "status": status,
                        "changes": found,
                        "a": in_a.map(|x| serde_json::json!({"attempt_id": x.id, "status": x.status})),
                        "b": in_b.map(|x| serde_json::json!({"attempt_id": x.id, "status": x.status})),
                    })
                })
                .collect();
            let document = serde_json::json!({
                "a": run_a.id,
                "b": run_b.id,
                "pipelines": [run_a.pipeline, run_b.pipeline],
                "counts": counts,
                "steps": steps,
            });
            out.push_str(&serde_json::to_string_pretty(&document).expect("diff serializes"));
            out.push('\n');
        }
        Format::Text => {
            outln!(
                out,
                "runs {} (`{}`) and {} (`{}`)",
                run_a.id,
                run_a.pipeline,
                run_b.id,
                run_b.pipeline
            );
            let width = rows
                .iter()
                .map(|(k, ..)| step_name(&k.0, &k.1).chars().count())
                .max()
                .unwrap_or(0);
            for (key, status, found, _, _) in &rows {
                let label = match *status {
                    "only_in_a" => format!("only in {}", run_a.id),
                    "only_in_b" => format!("only in {}", run_b.id),
                    other => other.to_string(),
                };
                let detail: Vec<String> = found
                    .iter()
                    .map(|c| {
                        if c.detail.is_empty() {
                            c.part.to_string()
                        } else {
                            format!("{} ({})", c.part, c.detail)
                        }
                    })
                    .collect();
                let name = step_name(&key.0, &key.1);
                if detail.is_empty() {
                    outln!(out, "  {name:<width$}  {label}");
                } else {
                    outln!(out, "  {name:<width$}  {label}: {}", detail.join("; "));
                }
            }
            let summary: Vec<String> = counts
                .iter()
                .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
                .collect();
            outln!(out, "{}", summary.join(", "));
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    Outcome::Clean
}

// ---- OpenLineage export ---------------------------------------------------------------

pub const PRODUCER: &str = "https://github.com/mlforge/mlforge";
pub const RUN_EVENT_SCHEMA: &str =
    "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
pub const NAMESPACE: &str = "mlforge";

/// A UUID (version 8: custom, RFC 9562) derived from sha256 of the parts.
fn derived_uuid(parts: &[&str]) -> String {
    let hex = sha256_hex(parts.join("\u{1f}").as_bytes());
    let mut bytes: Vec<char> = hex[..32].chars().collect();
    bytes[12] = '8';
    // Variant 10xx.
    let variant = u8::from_str_radix(&hex[16..17], 16).unwrap_or(0) & 0x3 | 0x8;
    bytes[16] = char::from_digit(u32::from(variant), 16).unwrap_or('8');
    let s: String = bytes.into_iter().collect();
    format!(
        "{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

/// RFC 3339 in UTC with milliseconds.
fn rfc3339(ms: i64) -> String {
    let text = crate::runs::utc(ms).replace(' ', "T");
    format!("{text}.{:03}Z", ms.rem_euclid(1000))
}

fn dataset(hash: &str) -> serde_json::Value {
    serde_json::json!({ "namespace": NAMESPACE, "name": hash })
}

pub fn export(args: &ExportArgs) -> Outcome {
    let store = match open(&args.store) {
        Ok(s) => s,
        Err(outcome) => return outcome,
    };
    let run = match find_run(&store, &args.run) {
        Ok(run) => run,
        Err(outcome) => return outcome,
    };
    let attempts = match store.lineage.attempts(run.id) {
        Ok(list) => list,
        Err(e) => return failed(e),
    };
    let mut out = String::new();
    for attempt in &attempts {
        let consumed = match store.lineage.consumed(attempt.id) {
            Ok(c) => c,
            Err(e) => return failed(e),
        };
        let outputs = match store.lineage.outputs(attempt.id) {
            Ok(o) => o,
            Err(e) => return failed(e),
        };
        let mut seen = HashSet::new();
        let inputs: Vec<serde_json::Value> = consumed
            .iter()
            .filter(|c| seen.insert(c.artifact.clone()))
            .map(|c| dataset(&c.artifact))
            .collect();
        let mut seen = HashSet::new();
        let written: Vec<serde_json::Value> = outputs
            .iter()
            .filter_map(|o| o.artifact.as_ref())
            .filter(|h| seen.insert((*h).clone()))
            .map(|h| dataset(h))
            .collect();
        let run_id = derived_uuid(&[
            &run.uuid,
            &attempt.step,
            &attempt.element,
            &attempt.attempt.to_string(),
        ]);
        let job = serde_json::json!({
            "namespace": NAMESPACE,
            "name": format!("{}.{}", run.pipeline, attempt.step),
        });
        let event = |kind: &str, ms: i64, outputs: &[serde_json::Value]| {
            serde_json::json!({
                "eventType": kind,
                "eventTime": rfc3339(ms),
                "producer": PRODUCER,
                "schemaURL": RUN_EVENT_SCHEMA,
                "run": { "runId": run_id },
                "job": job,
                "inputs": inputs,
                "outputs": outputs,
            })
        };
        out.push_str(&event("START", attempt.started_ms, &[]).to_string());
        out.push('\n');
        let end = match attempt.status {
            AttemptStatus::Succeeded | AttemptStatus::Cached => Some("COMPLETE"),
            AttemptStatus::Failed | AttemptStatus::TimedOut => Some("FAIL"),
            AttemptStatus::Skipped | AttemptStatus::Cancelled | AttemptStatus::Interrupted => {
                Some("ABORT")
            }
            AttemptStatus::Running => None,
        };
        if let Some(kind) = end {
            let ms = attempt
                .ended_ms
                .or(run.ended_ms)
                .unwrap_or(attempt.started_ms);
            let outs: &[serde_json::Value] = if kind == "COMPLETE" { &written } else { &[] };
            out.push_str(&event(kind, ms, outs).to_string());
            out.push('\n');
        }
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, out) {
                return Outcome::Failed(format!("cannot write `{}`: {e}", path.display()));
            }
        }
        None => {
            let _ = std::io::stdout().write_all(out.as_bytes());
        }
    }
    Outcome::Clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_refs_parse() {
        assert_eq!(
            parse_output_ref("3/best.model"),
            Some(("3".into(), "best".into(), "".into(), "model".into()))
        );
        assert_eq!(
            parse_output_ref("latest/fitted[1, 0].model"),
            Some((
                "latest".into(),
                "fitted".into(),
                "1.0".into(),
                "model".into()
            ))
        );
        assert_eq!(parse_output_ref("3/best"), None);
        assert_eq!(parse_output_ref("3/fitted[x].model"), None);
    }

    #[test]
    fn derived_uuids_are_stable_and_well_formed() {
        let a = derived_uuid(&["u", "fit", "1", "1"]);
        assert_eq!(a, derived_uuid(&["u", "fit", "1", "1"]));
        assert_ne!(a, derived_uuid(&["u", "fit", "2", "1"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
