//! Airflow: one DAG file (plus the task runtime beside it) that imports under Airflow 3.x
//! and 2.10+. Every step is a task that runs its body through `mlforge_task.py`; a `for`
//! is a task listing its elements, its steps mapped over them (dynamic task mapping, also
//! over lists produced at run time); an `if` outside every `for` is a branch task that
//! every task inside it hangs directly off. The mapping table: `docs/airflow.md`.

mod pipeline;
mod python;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use mlforge_ir::Type;

use crate::names::{NameMap, Naming};
use crate::plan::{Node, Plan};
use crate::{runtime, ExportError, ExportOptions, ExportWarning, Exported, ExportedFile, Exporter};

use pipeline::{block_key, block_task_name, is_branch, OUTPUTS_KEY};
use python::{literal, string};

pub struct Airflow;

impl Exporter for Airflow {
    fn export(&self, plan: &Plan, opts: &ExportOptions) -> Result<Exported, ExportError> {
        let ids = task_ids(plan)?;
        let dag_id = Naming::AirflowId.apply(&plan.program.pipeline);
        let mut dag = String::with_capacity(4096 + plan.tasks.len() * 1024);
        header(&mut dag, plan, opts, &ids);
        dag_open(&mut dag, plan, &dag_id);
        let mut edges = Vec::new();
        let mut body = String::new();
        tasks(&mut body, plan, &ids, &plan.root, &[], &mut edges);
        if !plan.outputs.is_empty() {
            let _ = writeln!(
                body,
                "    tasks[{id}] = _task({what}, {empty}, {id})()",
                id = string(ids.get(OUTPUTS_KEY)),
                what = string("outputs"),
                empty = string("")
            );
            for output in &plan.outputs {
                for read in &output.reads {
                    if let crate::plan::Read::StepOutput { step, .. } = read {
                        edges.push((ids.get(step), ids.get(OUTPUTS_KEY)));
                    }
                }
            }
        }
        dag.push_str(&body);
        // In the order the tasks are written (each task's upstream edges together), once
        // each: the same program gives the same file, with no sort of thousands of pairs.
        let mut seen = std::collections::HashSet::with_capacity(edges.len());
        edges.retain(|edge| seen.insert(*edge));
        if !edges.is_empty() {
            dag.push('\n');
        }
        for (from, to) in &edges {
            let _ = writeln!(dag, "    tasks[{}] >> tasks[{}]", string(from), string(to));
        }
        Ok(Exported {
            files: vec![
                ExportedFile {
                    path: PathBuf::from(format!("{dag_id}.py")),
                    text: dag,
                },
                ExportedFile {
                    path: PathBuf::from(runtime::FILE_NAME),
                    text: runtime::source().to_string(),
                },
            ],
            warnings: warnings(plan),
        })
    }
}

/// Task ids for steps and blocks, from one name map (so a step and a block cannot share
/// one). `outputs` is reserved for the task that computes the pipeline's outputs.
fn task_ids(plan: &Plan) -> Result<NameMap, ExportError> {
    let block_names: Vec<(String, String)> = plan
        .blocks
        .keys()
        .map(|b| (block_key(b), block_task_name(plan, b)))
        .collect();
    let pairs = plan
        .tasks
        .iter()
        .map(|t| (t.id().to_string(), t.id()))
        .chain(block_names.iter().map(|(k, n)| (k.clone(), n.as_str())))
        .chain((!plan.outputs.is_empty()).then(|| (OUTPUTS_KEY.to_string(), "outputs")));
    NameMap::from_pairs("step", Naming::AirflowId, pairs)
}

const HEADER: &str = r#"# Exported by `mlforge export airflow`: export again rather than edit. Each task runs one
# step through mlforge_task.py (beside this file); files and values travel through the
# shared data folder: the MLFORGE_DATA environment variable on the workers, else
# PIPELINE["data_root"]. Secrets come from the workers' environment, never from this file.
import json
import os
import sys
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlforge_task  # noqa: E402

try:  # Airflow 3
    from airflow.sdk import DAG, Param, task
except ImportError:  # Airflow 2.10+
    from airflow import DAG
    from airflow.decorators import task
    from airflow.models.param import Param

"#;

fn header(out: &mut String, plan: &Plan, opts: &ExportOptions, ids: &NameMap) {
    out.push_str(HEADER);
    let _ = writeln!(out, "SOURCE = {}", string(&plan.program.file));
    out.push_str("PIPELINE = json.loads(\n");
    pipeline::describe(out, plan, opts, ids);
    out.push_str(")\n");
    out.push_str(
        r#"

def _task(what, name, task_id, **options):
    # Every task runs, unless one it waits for failed: a step after an `if` runs whether or
    # not the branch was taken (it reads what the branch made as absent), and the tasks
    # inside a branch are skipped by the branch task itself.
    decorator = task.branch if what == "branch" else task

    @decorator(task_id=task_id, trigger_rule="none_failed", **options)
    def run(element=None, **context):
        return mlforge_task.airflow(PIPELINE, what, name, context, element)

    return run

"#,
    );
}

fn dag_open(out: &mut String, plan: &Plan, dag_id: &str) {
    let program = plan.program;
    let scheduling = &program.scheduling;
    out.push_str("\nwith DAG(\n");
    let _ = writeln!(out, "    dag_id={},", string(dag_id));
    let doc = program
        .doc
        .clone()
        .unwrap_or_else(|| format!("The MLForge pipeline `{}`.", program.pipeline));
    let _ = writeln!(out, "    doc_md={},", string(&doc));
    let _ = writeln!(
        out,
        "    schedule={},",
        program.schedule.as_deref().map_or("None".into(), string)
    );
    if let Some(date) = &scheduling.start_date {
        let _ = writeln!(
            out,
            "    start_date=datetime.fromisoformat({}).replace(tzinfo=timezone.utc),",
            string(date)
        );
    }
    let _ = writeln!(
        out,
        "    catchup={},",
        if scheduling.catchup == Some(true) {
            "True"
        } else {
            "False"
        }
    );
    let tags: Vec<String> = std::iter::once("mlforge")
        .chain(scheduling.tags.iter().map(String::as_str))
        .map(string)
        .collect();
    let _ = writeln!(out, "    tags=[{}],", tags.join(", "));
    let mut defaults = vec![format!("{}: timedelta(seconds=10)", string("retry_delay"))];
    if let Some(owner) = &scheduling.owner {
        defaults.push(format!("{}: {}", string("owner"), string(owner)));
    }
    let _ = writeln!(out, "    default_args={{{}}},", defaults.join(", "));
    out.push_str("    params={\n");
    for p in plan.params {
        let mut args = Vec::new();
        let mut ty = json_schema_type(&p.ty);
        match &p.default {
            Some(default) => args.push(literal(default)),
            // Airflow refuses a scheduled DAG with a required param: the param may be
            // null in the DAG, and a run without it fails as `mlforge run` does
            // (warning AIRFLOW008).
            None if program.schedule.is_some() => {
                args.push("None".into());
                if !matches!(p.ty, Type::Optional { .. }) {
                    ty = json_schema_type(&Type::Optional {
                        of: Box::new(p.ty.clone()),
                    });
                }
            }
            None => {}
        }
        args.push(format!("type={ty}"));
        if let Some(doc) = &p.doc {
            args.push(format!("description={}", string(doc)));
        }
        let _ = writeln!(
            out,
            "        {}: Param({}),",
            string(&p.name),
            args.join(", ")
        );
    }
    out.push_str("    },\n) as dag:\n    tasks = {}\n");
}

/// The JSON Schema type Airflow validates a param against.
fn json_schema_type(ty: &Type) -> String {
    let base = |ty: &Type| match ty {
        Type::Int => "integer",
        Type::Float => "number",
        Type::Bool => "boolean",
        Type::String | Type::Artifact { .. } => "string",
        Type::List { .. } => "array",
        Type::Record { .. } | Type::Dict { .. } => "object",
        Type::Optional { .. } => "null",
    };
    match ty {
        Type::Optional { of } => format!("[{}, {}]", string("null"), string(base(of))),
        ty => string(base(ty)),
    }
}

/// Writes the tasks of `nodes` (in source order, each block's task before its steps) and
/// collects the edges. `branches` are the branch tasks around the nodes.
fn tasks<'a>(
    out: &mut String,
    plan: &Plan,
    ids: &'a NameMap,
    nodes: &[Node],
    branches: &[&'a str],
    edges: &mut Vec<(&'a str, &'a str)>,
) {
    for node in nodes {
        match *node {
            Node::Task(i) => {
                let task = &plan.tasks[i];
                let id = ids.get(task.id());
                let op = task.op;
                let id_lit = string(id);
                let _ = write!(
                    out,
                    "    tasks[{id_lit}] = _task('step', {step}, {id_lit}, retries={retries}",
                    step = string(task.id()),
                    retries = op.retries,
                );
                if let Some(seconds) = op.timeout_seconds {
                    let _ = write!(out, ", execution_timeout=timedelta(seconds={seconds})");
                }
                let doc = format!("Step `{}` (op `{}`).", task.id(), op.name);
                let _ = write!(out, ", doc_md={})", string(&doc));
                match task.block.filter(|b| !is_branch(plan, b)) {
                    Some(b) => {
                        let over = string(ids.get(&block_key(b)));
                        let _ = writeln!(out, ".expand(element=tasks[{over}])");
                    }
                    None => out.push_str("()\n"),
                }
                edges.extend(task.deps.iter().map(|dep| (ids.get(dep.step), id)));
                edges.extend(branches.iter().map(|b| (*b, id)));
            }
            Node::Block(block) => {
                let info = &plan.blocks[block];
                let id = ids.get(&block_key(block));
                let what = if is_branch(plan, block) {
                    "branch"
                } else {
                    "expand"
                };
                let _ = writeln!(
                    out,
                    "    tasks[{id_lit}] = _task({what}, {name}, {id_lit})()",
                    id_lit = string(id),
                    what = string(what),
                    name = string(block),
                );
                edges.extend(info.deps.iter().map(|dep| (ids.get(dep), id)));
                if let Some(parent) = info.parent {
                    edges.push((ids.get(&block_key(parent)), id));
                }
                edges.extend(branches.iter().map(|b| (*b, id)));
                let mut inner = branches.to_vec();
                if what == "branch" {
                    inner.push(id);
                }
                tasks(out, plan, ids, &info.children, &inner, edges);
            }
        }
    }
}

/// What Airflow cannot express, once per op (or once per pipeline).
fn warnings(plan: &Plan) -> Vec<ExportWarning> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for task in &plan.tasks {
        let op = task.op;
        if !seen.insert(task.op_id) {
            continue;
        }
        let warn = |code, message: String| ExportWarning::new(code, message).at(&op.source);
        if let Some(image) = &op.image {
            out.push(warn(
                "AIRFLOW001",
                format!("op `{}` names the image `{image}`, but its steps run on the Airflow worker itself; run them in that image with a KubernetesPodOperator or export to kfp or argo", op.name),
            ));
        }
        let r = &op.resources;
        if r.cpu.is_some() || r.memory.is_some() || r.gpu.is_some() {
            out.push(warn(
                "AIRFLOW002",
                format!("op `{}` asks for cpu, memory or gpu, which Airflow tasks cannot request; limit them with pools or a Kubernetes executor's pod override", op.name),
            ));
        }
        if let Some(python) = &op.python {
            out.push(warn(
                "AIRFLOW003",
                format!("op `{}` runs with `{python}` locally, but with the worker's Python on Airflow; install what it needs there", op.name),
            ));
        }
        if let Some(path) = &op.body.path {
            out.push(warn(
                "AIRFLOW004",
                format!("op `{}` runs the file `{path}` as exported; modules beside it are not copied to the workers, so put them on the workers' PYTHONPATH", op.name),
            ));
        }
        if !op.requires.is_empty() {
            out.push(warn(
                "AIRFLOW005",
                format!("op `{}` requires {}, which the workers' Python is not checked for; install it there", op.name, op.requires.join(", ")),
            ));
        }
    }
    if plan.tasks.iter().any(|t| t.op.cache) {
        out.push(ExportWarning::new(
            "AIRFLOW006",
            "Airflow has no result cache: every step runs again on each DAG run, where `mlforge run` reuses results",
        ));
    }
    if plan.program.schedule.is_some() {
        for p in plan.params.iter().filter(|p| p.default.is_none()) {
            out.push(
                ExportWarning::new(
                    "AIRFLOW008",
                    format!("param `{}` has no default, which a scheduled Airflow DAG cannot have; scheduled runs fail until it is given (Trigger DAG with config, or a default in the .mlf)", p.name),
                )
                .at(&p.source),
            );
        }
    }
    if plan.program.schedule.is_some() && plan.program.scheduling.start_date.is_none() {
        out.push(ExportWarning::new(
            "AIRFLOW007",
            "the pipeline has a schedule but no `start_date`; set one, or Airflow schedules it only from when the DAG is first parsed",
        ));
    }
    out
}
