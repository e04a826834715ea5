//! The description of the pipeline a DAG file embeds for the task runtime: params with
//! types, blocks with their full scope and the Airflow tasks inside them, steps with their
//! task spec and how each input is bound. The runtime evaluates everything from it when a
//! task runs, as the local runner's engine does.

use mlforge_ir::{BindingValue, Block, Branch};
use serde_json::{json, Map, Value};

use crate::names::NameMap;
use crate::plan::{Node, Plan};
use crate::runtime::task_spec;
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

pub fn describe(plan: &Plan, opts: &ExportOptions, ids: &NameMap) -> Value {
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
    let mut steps = Map::new();
    for task in &plan.tasks {
        let mut bindings = Map::new();
        for b in &task.step.bindings {
            let how = match &b.value {
                BindingValue::Given { expr } => json!({"expr": expr}),
                BindingValue::Default { value } => json!({"default": value}),
                BindingValue::Absent => json!({"absent": true}),
            };
            bindings.insert(b.input.clone(), how);
        }
        steps.insert(
            task.id().to_string(),
            json!({"scope": task.step.scope, "spec": task_spec(task), "bindings": bindings}),
        );
    }
    let outputs: Vec<Value> = program
        .outputs
        .iter()
        .map(|o| json!({"name": o.name, "type": o.ty, "value": o.value}))
        .collect();
    json!({
        "pipeline": program.pipeline,
        "data_root": opts.data_root,
        "source_dir": opts.source_dir.as_ref().map(|d| d.display().to_string()),
        "params": params,
        "blocks": blocks,
        "steps": steps,
        "outputs": outputs,
    })
}
