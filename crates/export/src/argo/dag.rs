//! The DAG templates: the pipeline's top level and one per `for` / `if` block. A block
//! stands in its parent's DAG as two tasks: one that evaluates its list or condition (a
//! leaf, `…--items` / `…--when`), and one that enters the block's own DAG with `withItems`
//! / `withParam` or `when`. Dependencies are the plan's, each raised to the task of this
//! level that holds the step depended on.

use std::collections::BTreeSet;

use mlforge_ir::{Block, Expr, Value as IrValue};
use serde_json::{json, Value};

use super::keys::{self, index_param, RUN_KEY};
use super::{leaf, op, Ctx};
use crate::json_text::object;
use crate::plan::{Node, PlanBlock};
use crate::ExportError;

/// Number of `for` blocks among `blocks`.
pub(crate) fn for_depth<'a>(ctx: &Ctx, blocks: impl IntoIterator<Item = &'a str>) -> usize {
    blocks
        .into_iter()
        .filter(|b| {
            matches!(
                ctx.plan.blocks.get(*b).map(|p| p.block),
                Some(Block::For { .. })
            )
        })
        .count()
}

/// The blocks around a block (not itself), outermost first.
pub(crate) fn ancestors<'p>(ctx: &Ctx<'_, 'p>, block: &str) -> Vec<&'p str> {
    let mut out = Vec::new();
    let mut at = ctx.plan.blocks.get(block).and_then(|b| b.parent);
    while let Some(id) = at {
        out.insert(0, id);
        at = ctx.plan.blocks.get(id).and_then(|b| b.parent);
        if out.len() > ctx.plan.blocks.len() {
            break;
        }
    }
    out
}

/// The scope of what stands directly in `level`: its ancestors and itself.
pub(crate) fn level_scope<'p>(ctx: &Ctx<'_, 'p>, level: Option<&'p str>) -> Vec<&'p str> {
    match level {
        None => Vec::new(),
        Some(b) => {
            let mut scope = ancestors(ctx, b);
            scope.push(b);
            scope
        }
    }
}

/// A `for` block's list when it is a literal: its length.
pub(crate) fn literal_len(block: &Block) -> Option<usize> {
    match block {
        Block::For {
            over:
                Expr::Literal {
                    value: IrValue::List(items),
                    ..
                },
            second_over: None,
            ..
        } => Some(items.len()),
        _ => None,
    }
}

fn is_for(block: &PlanBlock) -> bool {
    matches!(block.block, Block::For { .. })
}

/// The task name at `level` of the node holding `step` (`None` when the step stands
/// outside `level`).
fn node_for_step(ctx: &Ctx, step: &str, level: Option<&str>) -> Option<String> {
    let task = ctx.plan.task(step)?;
    let scope = &task.step.scope;
    let next = match level {
        None => scope.first(),
        Some(l) => {
            let at = scope.iter().position(|b| b == l)?;
            scope.get(at + 1)
        }
    };
    Some(match next {
        Some(block) => {
            let b = &ctx.plan.blocks[block.as_str()];
            keys::block_task(ctx.names.blocks.get(block), is_for(b))
        }
        None => ctx.names.steps.get(step).to_string(),
    })
}

/// Every step a node waits for: its own, and those of everything inside it.
fn node_deps<'p>(ctx: &Ctx<'_, 'p>, node: Node<'p>, out: &mut Vec<&'p str>) {
    match node {
        Node::Task(i) => out.extend(ctx.plan.tasks[i].deps.iter().map(|d| d.step)),
        Node::Block(b) => {
            let block = &ctx.plan.blocks[b];
            out.extend(block.deps.iter().copied());
            for child in &block.children {
                node_deps(ctx, *child, out);
            }
        }
    }
}

/// `depends` for a task at `level` waiting for `steps` (those outside the level are the
/// level's own dependencies, met before it starts).
fn depends(
    ctx: &Ctx,
    level: Option<&str>,
    own: &str,
    steps: &[&str],
    extra: Option<&str>,
) -> Option<String> {
    let mut names: BTreeSet<String> = steps
        .iter()
        .filter_map(|s| node_for_step(ctx, s, level))
        .filter(|n| n != own)
        .collect();
    names.extend(extra.map(str::to_string));
    if level.is_none() && names.is_empty() {
        names.insert(keys::SETUP.to_string());
    }
    (!names.is_empty()).then(|| names.into_iter().collect::<Vec<_>>().join(" && "))
}

/// The parameters every template below the top level receives: the run key and the
/// element indices of its enclosing loops.
pub(crate) fn inner_inputs(depth: usize) -> Vec<Value> {
    std::iter::once(json!({"name": RUN_KEY}))
        .chain((1..=depth).map(|k| json!({"name": index_param(k)})))
        .collect()
}

/// The arguments passing them down from a level of `depth` loops (`item` adds one).
/// How a DAG at `level` refers to the run key.
fn run_key_ref(level: Option<&str>) -> String {
    match level {
        None => format!("{{{{tasks.{}.outputs.parameters.{RUN_KEY}}}}}", keys::SETUP),
        Some(_) => format!("{{{{inputs.parameters.{RUN_KEY}}}}}"),
    }
}

fn pass_down(level: Option<&str>, depth: usize, item: bool) -> Value {
    let mut params = vec![json!({"name": RUN_KEY, "value": run_key_ref(level)})];
    for k in 1..=depth {
        params.push(json!({"name": index_param(k), "value": format!("{{{{inputs.parameters.{}}}}}", index_param(k))}));
    }
    if item {
        params.push(json!({"name": index_param(depth + 1), "value": "{{item}}"}));
    }
    object([("parameters", Value::Array(params))])
}

fn task(name: &str, template: &str, depends: Option<String>, arguments: Value) -> Value {
    let mut task = object([
        ("name", json!(name)),
        ("template", json!(template)),
        ("arguments", arguments),
    ]);
    if let Some(depends) = depends {
        task["depends"] = Value::String(depends);
    }
    task
}

/// The DAG template of `level` (the pipeline's top level when `None`), after pushing the
/// templates of everything in it onto `ctx.templates`.
pub(crate) fn level<'p>(
    ctx: &mut Ctx<'_, 'p>,
    level: Option<&'p str>,
) -> Result<Value, ExportError> {
    let scope = level_scope(ctx, level);
    let depth = for_depth(ctx, scope.iter().copied());
    let nodes: Vec<Node<'p>> = match level {
        None => ctx.plan.root.clone(),
        Some(b) => ctx.plan.blocks[b].children.clone(),
    };
    let mut tasks = Vec::new();
    if level.is_none() {
        tasks.push(json!({"name": keys::SETUP, "template": keys::SETUP}));
    }
    for node in nodes {
        let mut waits = Vec::new();
        node_deps(ctx, node, &mut waits);
        match node {
            Node::Task(i) => {
                let step = ctx.plan.tasks[i].id();
                let name = ctx.names.steps.get(step).to_string();
                let (variant, arguments) = op::step_call(ctx, i, &run_key_ref(level))?;
                let template = op::op_template_name(ctx, &variant);
                let depends = depends(ctx, level, &name, &waits, None);
                tasks.push(task(&name, &template, depends, arguments));
            }
            Node::Block(b) => {
                let block = &ctx.plan.blocks[b];
                let for_block = is_for(block);
                let bname = ctx.names.blocks.get(b).to_string();
                let own = keys::block_task(&bname, for_block);
                let literal = if for_block {
                    literal_len(block.block)
                } else {
                    None
                };
                let eval = keys::eval_task(&bname, for_block);
                let mut entry = task(
                    &own,
                    &own,
                    depends(
                        ctx,
                        level,
                        &own,
                        &waits,
                        literal.is_none().then_some(eval.as_str()),
                    ),
                    pass_down(level, depth, for_block),
                );
                match (for_block, literal) {
                    (true, Some(n)) => entry["withItems"] = json!((0..n).collect::<Vec<_>>()),
                    (true, None) => {
                        entry["withParam"] = json!(format!("{{{{tasks.{eval}.outputs.result}}}}"))
                    }
                    (false, _) => {
                        entry["when"] =
                            json!(format!("{{{{tasks.{eval}.outputs.result}}}} == true"))
                    }
                }
                if literal.is_none() {
                    let template = leaf::block_eval(ctx, b)?;
                    ctx.templates.push(template);
                    let own_deps = block.deps.clone();
                    tasks.push(task(
                        &eval,
                        &eval,
                        depends(ctx, level, &own, &own_deps, None),
                        pass_down(level, depth, false),
                    ));
                }
                tasks.push(entry);
                let inner = self::level(ctx, Some(b))?;
                ctx.templates.push(inner);
            }
        }
    }
    let name = match level {
        None => keys::MAIN.to_string(),
        Some(b) => keys::block_task(ctx.names.blocks.get(b), is_for(&ctx.plan.blocks[b])),
    };
    let mut template = object([
        ("name", json!(name)),
        ("dag", object([("tasks", Value::Array(tasks))])),
    ]);
    match level {
        None => {
            if let Some(outputs) = super::meta::pipeline_outputs(ctx)? {
                template["outputs"] = outputs;
            }
        }
        Some(_) => template["inputs"] = json!({"parameters": inner_inputs(depth)}),
    }
    Ok(template)
}
