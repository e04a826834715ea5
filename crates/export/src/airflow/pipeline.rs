//! The description of the pipeline a DAG file embeds for the task runtime: params with
//! types, blocks with their full scope and the Airflow tasks inside them, steps with their
//! task spec and how each input is bound. The runtime evaluates everything from it when a
//! task runs, as the local runner's engine does.

use mlforge_body::quote::python_str;
use mlforge_ir::{Binding, BindingValue, Block, Branch, Expr};
use mlforge_syntax::parallel::map_chunks;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::names::NameMap;
use crate::plan::{Node, Plan, Task};
use crate::runtime::op_spec;
use crate::ExportOptions;

/// How a block runs on Airflow: outside every `for`, an `if` is a branch task; a `for`
/// (and an `if` inside one) is a task that lists the elements its steps are mapped over.
pub fn is_branch(plan: &Plan, block: &str) -> bool {
    let mut at = Some(block);
    while let Some(id) = at {
        let info = &plan.blocks[id];
        if matches!(info.block, Block::For { .. }) {
            return false;
        }
        at = info.parent;
    }
    true
}

/// The Airflow task ids of everything inside a block, nested blocks' tasks included.
pub fn tasks_inside(plan: &Plan, block: &str, ids: &NameMap, out: &mut Vec<String>) {
    for node in &plan.blocks[block].children {
        match node {
            Node::Task(i) => out.push(ids.get(plan.tasks[*i].id()).to_string()),
            Node::Block(b) => {
                out.push(ids.get(&block_key(b)).to_string());
                tasks_inside(plan, b, ids, out);
            }
        }
    }
}

/// The key of a block's task in the task id map (shared with step ids, so that a step and
/// a block cannot get one id), as a collision error shows it.
pub fn block_key(block: &str) -> String {
    format!("block {block}")
}

/// The key of the task that computes the pipeline's outputs.
pub const OUTPUTS_KEY: &str = "pipeline outputs";

/// A block's Airflow task id before mapping: `b0.for_lr`, `b1.if`, `b2.else`.
pub fn block_task_name(plan: &Plan, block: &str) -> String {
    match plan.blocks[block].block {
        Block::For { var, .. } => format!("{block}.for_{var}"),
        Block::If {
            branch: Branch::Then,
            ..
        } => format!("{block}.if"),
        Block::If { .. } => format!("{block}.else"),
    }
}

/// Writes the description of the pipeline, JSON text for people reviewing a DAG, into `out`
/// as the lines of the Python expression `json.loads(…)` reads: one string literal a line,
/// one line per param, block, op and step (so that a change to a step is a one-line diff),
/// everything else on its own line. Steps are in source order and their bindings in the
/// op's input order, as the `.mlf` has them; other keys are sorted.
pub fn describe(out: &mut String, plan: &Plan, opts: &ExportOptions, ids: &NameMap) {
    push_line(out, "{");
    // Steps, the bulk of it, are written last and straight from the IR; the rest is small.
    for (key, value) in &head(plan, opts, ids) {
        let key = Value::String(key.clone());
        match value {
            Value::Object(entries) if !entries.is_empty() => {
                push_line(out, &format!("  {key}: {{"));
                let last = entries.len() - 1;
                for (j, (name, entry)) in entries.iter().enumerate() {
                    let comma = if j == last { "" } else { "," };
                    let name = Value::String(name.clone());
                    push_line(out, &format!("    {name}: {entry}{comma}"));
                }
                push_line(out, "  },");
            }
            other => push_line(out, &format!("  {key}: {other},")),
        }
    }
    if plan.tasks.is_empty() {
        push_line(out, "  \"steps\": {}");
    } else {
        push_line(out, "  \"steps\": {");
        // Thousands of steps: their lines are made on every core, in order.
        let last = plan.tasks.last().map(|t| t.id());
        for chunk in map_chunks(&plan.tasks, |tasks| step_lines(tasks, last)) {
            out.push_str(&chunk);
        }
        push_line(out, "  }");
    }
    push_line(out, "}");
}

/// The lines of `tasks`' entries: `"id": {…},` (no comma after the `last` step's).
fn step_lines(tasks: &[Task], last: Option<&str>) -> String {
    let mut out = String::with_capacity(tasks.len() * 1024);
    let mut text = Vec::with_capacity(1024);
    for task in tasks {
        text.clear();
        text.extend_from_slice(b"    ");
        let entry = StepEntry {
            bindings: Bindings(&task.step.bindings),
            op: task.op_id,
            scope: &task.step.scope,
        };
        serde_json::to_writer(&mut text, task.id()).expect("a string serializes");
        text.extend_from_slice(b": ");
        serde_json::to_writer(&mut text, &entry).expect("IR values serialize");
        if Some(task.id()) != last {
            text.push(b',');
        }
        push_line(
            &mut out,
            std::str::from_utf8(&text).expect("JSON text is UTF-8"),
        );
    }
    out
}

/// One line of the description, as a Python string literal on a line of its own.
fn push_line(out: &mut String, line: &str) {
    out.push_str("    ");
    out.push_str(&python_str(&format!("{line}\n")));
    out.push('\n');
}

/// A step as the task runtime reads it: its op, the blocks around it, and how each input
/// is bound.
#[derive(Serialize)]
struct StepEntry<'a> {
    bindings: Bindings<'a>,
    op: &'a str,
    scope: &'a [String],
}

/// The bindings by input name: `{"expr": …}`, `{"default": …}` or `{"absent": true}`.
struct Bindings<'a>(&'a [Binding]);

impl Serialize for Bindings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "snake_case")]
        enum How<'a> {
            Expr(&'a Expr),
            Default(&'a mlforge_ir::Value),
            Absent(bool),
        }
        serializer.collect_map(self.0.iter().map(|b| {
            let how = match &b.value {
                BindingValue::Given { expr } => How::Expr(expr),
                BindingValue::Default { value } => How::Default(value),
                BindingValue::Absent => How::Absent(true),
            };
            (&b.input, how)
        }))
    }
}

/// Everything of the description but the steps, keys sorted.
fn head(plan: &Plan, opts: &ExportOptions, ids: &NameMap) -> Map<String, Value> {
    let program = plan.program;
    let mut params = Map::new();
    for p in plan.params {
        params.insert(p.name.clone(), json!({"type": p.ty}));
    }
    let mut blocks = Map::new();
    for (id, info) in &plan.blocks {
        let mut scope: Vec<&str> = vec![id];
        let mut at = info.parent;
        while let Some(p) = at {
            scope.insert(0, p);
            at = plan.blocks[p].parent;
        }
        let mut inside = Vec::new();
        tasks_inside(plan, id, ids, &mut inside);
        let mut value = match info.block {
            Block::For {
                var,
                over,
                second_var,
                second_over,
                ..
            } => json!({
                "kind": "for", "var": var, "over": over,
                "second_var": second_var, "second_over": second_over,
            }),
            Block::If {
                condition, branch, ..
            } => json!({
                "kind": "if", "condition": condition,
                "branch": match branch { Branch::Then => "then", Branch::Else => "else" },
            }),
        };
        let object = value.as_object_mut().expect("built as an object");
        object.insert("parent".into(), json!(info.parent));
        object.insert("scope".into(), json!(scope));
        object.insert(
            "task".into(),
            json!(if is_branch(plan, id) {
                "branch"
            } else {
                "expand"
            }),
        );
        object.insert("tasks".into(), json!(inside));
        blocks.insert(id.to_string(), value);
    }
    let mut ops = Map::new();
    for task in &plan.tasks {
        if !ops.contains_key(task.op_id) {
            ops.insert(task.op_id.to_string(), op_spec(task.op));
        }
    }
    let outputs: Vec<Value> = program
        .outputs
        .iter()
        .map(|o| json!({"name": o.name, "type": o.ty, "value": o.value}))
        .collect();
    let mut head = Map::new();
    head.insert("blocks".into(), Value::Object(blocks));
    head.insert("data_root".into(), json!(opts.data_root));
    head.insert(
        "source_dir".into(),
        json!(opts.source_dir.as_ref().map(|d| d.display().to_string())),
    );
    head.insert("ops".into(), Value::Object(ops));
    head.insert("outputs".into(), Value::Array(outputs));
    head.insert("params".into(), Value::Object(params));
    head.insert("pipeline".into(), json!(program.pipeline));
    head
}
