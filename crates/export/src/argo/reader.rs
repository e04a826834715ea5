//! What a leaf template reads and how it reaches the pod: params through env, upstream
//! outputs and loop lists as key-only artifacts, and the spec telling the adapter where
//! each value is (`sources`).

use mlforge_ir::{Block, Expr, Type, Value as IrValue};
use serde_json::{json, Map, Value};

use super::dag::{ancestors, for_depth, literal_len};
use super::inert::is_inert;
use super::keys::{self, instance_path};
use super::pod::{output_name, setup_input};
use super::Ctx;
use crate::json_text::object;
use crate::plan::Read;
use crate::ExportError;

/// Whether a type holds a file or folder anywhere.
pub(crate) fn holds_artifact(ty: &Type) -> bool {
    match ty {
        Type::Artifact { .. } => true,
        Type::List { of } | Type::Optional { of } | Type::Dict { of } => holds_artifact(of),
        Type::Record { fields, .. } => fields.iter().any(|f| holds_artifact(&f.ty)),
        _ => false,
    }
}

pub(crate) fn unsupported(message: String, place: &mlforge_ir::Source) -> ExportError {
    ExportError::Unsupported {
        message,
        place: Some(place.clone()),
    }
}

/// What a leaf reads and how it reaches the pod: Argo inputs, env, and the spec's
/// `sources` telling the adapter where each value is.
pub(crate) struct Reader<'c, 'a, 'p> {
    ctx: &'c Ctx<'a, 'p>,
    /// The blocks around the reader, outermost first.
    scope: Vec<&'p str>,
    /// Input artifacts (`a0`, `a1`, …) with their keys.
    pub artifacts: Vec<Value>,
    /// Env entries: the params read.
    pub env: Vec<Value>,
    params: Map<String, Value>,
    loops: Map<String, Value>,
    steps: Vec<Value>,
    /// How the reader's template refers to the run key (memoized steps' outputs are
    /// keyed by it).
    run_key: String,
}

impl<'c, 'a, 'p> Reader<'c, 'a, 'p> {
    pub(crate) fn new(ctx: &'c Ctx<'a, 'p>, scope: Vec<&'p str>, run_key: &str) -> Self {
        Reader {
            ctx,
            scope,
            run_key: run_key.to_string(),
            artifacts: Vec::new(),
            env: Vec::new(),
            params: Map::new(),
            loops: Map::new(),
            steps: Vec::new(),
        }
    }

    /// The pod path of the artifact under `key` (one input per key).
    fn fetch(&mut self, key: String, optional: bool) -> String {
        if let Some(a) = self
            .artifacts
            .iter_mut()
            .find(|a| a["s3"]["key"] == key.as_str())
        {
            if !optional {
                a.as_object_mut()
                    .expect("built as an object")
                    .remove("optional");
            }
            return a["path"].as_str().expect("built with a path").to_string();
        }
        let name = format!("a{}", self.artifacts.len());
        let path = format!("/mlforge/in/{name}");
        let mut artifact = json!({"name": name, "path": path, "s3": {"key": key}});
        if optional {
            artifact["optional"] = json!(true);
        }
        self.artifacts.push(artifact);
        path
    }

    /// The input artifacts of a template of its own (a block's evaluation): the runtime's,
    /// then what it reads.
    pub(crate) fn declared(&self) -> Vec<Value> {
        std::iter::once(setup_input())
            .chain(self.artifacts.iter().cloned())
            .collect()
    }

    /// The number of `for` blocks around both the reader and `blocks`' owner.
    fn shared_depth(&self, blocks: &[&str]) -> usize {
        for_depth(
            self.ctx,
            blocks.iter().copied().filter(|b| self.scope.contains(b)),
        )
    }

    pub(crate) fn read(
        &mut self,
        read: &Read<'p>,
        place: &mlforge_ir::Source,
    ) -> Result<(), ExportError> {
        match read {
            Read::Param(name) => self.param(name, place),
            Read::LoopVar { block, .. } => self.in_scope_loop(block, place),
            Read::StepOutput {
                step,
                output,
                across,
            } => self.step_output(step, output, across),
        }
    }

    fn param(&mut self, name: &str, place: &mlforge_ir::Source) -> Result<(), ExportError> {
        if self.params.contains_key(name) {
            return Ok(());
        }
        let param = self
            .ctx
            .plan
            .params
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                ExportError::BadIr(format!("an expression reads an unknown param `{name}`"))
            })?;
        let mapped = self.ctx.names.params.get(name);
        let global = format!("{{{{workflow.parameters.{mapped}}}}}");
        let source = match &param.ty {
            Type::Artifact { .. } => {
                json!({"path": self.fetch(global, false)})
            }
            ty if holds_artifact(ty) => {
                return Err(unsupported(
                    format!(
                        "param `{name}` is a {ty} holding files; the Argo export passes files as single artifacts only, so make it one artifact param per file"
                    ),
                    place,
                ))
            }
            _ => {
                let env = format!("MLFORGE_PARAM_{mapped}");
                self.env.push(json!({"name": env, "value": global}));
                json!({"env": env, "type": param.ty})
            }
        };
        self.params.insert(name.to_string(), source);
        Ok(())
    }

    /// The list a `for` block walks, as the adapter finds it: literal values, or the file
    /// its items task wrote (a folder holding one `items.json` per instance of the block).
    fn items_source(
        &mut self,
        block: &'p str,
        place: &mlforge_ir::Source,
    ) -> Result<Value, ExportError> {
        let plan_block = &self.ctx.plan.blocks[block];
        let Block::For {
            over,
            var,
            second_var,
            element,
            ..
        } = plan_block.block
        else {
            return Err(ExportError::BadIr(format!(
                "block `{block}` is read as a loop but is an `if`"
            )));
        };
        if holds_artifact(element) {
            return Err(unsupported(
                format!("the loop over `{var}` walks a list of files; the Argo export cannot fan out over files yet, so loop over their indices or names instead"),
                place,
            ));
        }
        let mut source = json!({"var": var, "second_var": second_var});
        if literal_len(plan_block.block).is_some() {
            if let Expr::Literal { value, .. } = over {
                source["items"] = json!(value);
            }
        } else {
            let outer = ancestors(self.ctx, block);
            let shared = self.shared_depth(&outer);
            // Outside some of the loop's own enclosing loops, some instances may not have run.
            let all_shared = shared == for_depth(self.ctx, outer.iter().copied());
            let bname = self.ctx.names.blocks.get(block);
            let key = format!("{}{}/", keys::items_prefix(bname), instance_path(shared));
            let path = self.fetch(key, !all_shared);
            source["dir"] = json!(path);
        }
        Ok(source)
    }

    fn in_scope_loop(
        &mut self,
        block: &'p str,
        place: &mlforge_ir::Source,
    ) -> Result<(), ExportError> {
        if self.loops.contains_key(block) {
            return Ok(());
        }
        let mut source = self.items_source(block, place)?;
        let depth = for_depth(self.ctx, ancestors(self.ctx, block)) + 1;
        source["depth"] = json!(depth);
        self.loops.insert(block.to_string(), source);
        Ok(())
    }

    fn step_output(
        &mut self,
        step: &'p str,
        output: &'p str,
        across: &[&'p str],
    ) -> Result<(), ExportError> {
        let ctx = self.ctx;
        let producer = ctx.plan.task(step).ok_or_else(|| {
            ExportError::BadIr(format!("an expression reads an unknown step `{step}`"))
        })?;
        let ty = &producer
            .op
            .outputs
            .iter()
            .find(|o| o.name == output)
            .ok_or_else(|| ExportError::BadIr(format!("step `{step}` has no output `{output}`")))?
            .ty;
        let scope: Vec<&str> = producer.step.scope.iter().map(String::as_str).collect();
        let shared = self.shared_depth(&scope);
        let task_name = ctx.names.steps.get(step);
        let prefix = keys::step_prefix(task_name, ctx.statics.memo(step), &self.run_key);
        let gathers = for_depth(ctx, across.iter().copied()) > 0;
        let key = if gathers {
            format!("{prefix}{}/", instance_path(shared))
        } else {
            format!("{prefix}{}/{}", instance_path(shared), output_name(output))
        };
        let path = self.fetch(key, !across.is_empty());
        let mut gather = Vec::new();
        for block in across {
            let plan_block = &ctx.plan.blocks[*block];
            match plan_block.block {
                Block::For { .. } => {
                    let mut source = self.items_source(block, &producer.step.source)?;
                    source["kind"] = json!("for");
                    gather.push(source);
                }
                Block::If { .. } => gather.push(json!({"kind": "if"})),
            }
        }
        self.steps.push(json!({
            "step": step,
            "output": output,
            "file": output_name(output),
            "path": path,
            "type": ty,
            "gather": gather,
            "required": across.is_empty(),
        }));
        Ok(())
    }

    /// A file path written as a literal (an inlined sub-pipeline's artifact default):
    /// fetched from the repository under that key, and the expression rewritten to read
    /// the pod's copy.
    pub(crate) fn artifact_literals(
        &mut self,
        expr: &Expr,
        place: &mlforge_ir::Source,
    ) -> Result<Expr, ExportError> {
        Ok(match expr {
            Expr::Literal { value, ty } if holds_artifact(ty) => {
                let IrValue::String(key) = value else {
                    return Err(unsupported(
                        "a literal list of files cannot be passed by the Argo export; pass each file as its own artifact".to_string(),
                        place,
                    ));
                };
                if !is_inert(key) {
                    return Err(unsupported(
                        format!("the file path {key:?} holds `{{{{` or `$(`, which Argo or Kubernetes would expand in an artifact key; rename the file"),
                        place,
                    ));
                }
                let path = self.fetch(key.clone(), false);
                Expr::Literal {
                    value: IrValue::String(path),
                    ty: ty.clone(),
                }
            }
            other => {
                let mut copy = other.clone();
                rewrite_children(&mut copy, &mut |child| self.artifact_literals(child, place))?;
                copy
            }
        })
    }

    /// The spec's `sources`: where each value read is (taken out of the reader, which has
    /// then read nothing).
    pub(crate) fn take_sources(&mut self) -> Value {
        object([
            ("params", Value::Object(std::mem::take(&mut self.params))),
            ("loops", Value::Object(std::mem::take(&mut self.loops))),
            ("steps", Value::Array(std::mem::take(&mut self.steps))),
        ])
    }
}

/// Replaces each direct child of `expr` with `f(child)`.
fn rewrite_children(
    expr: &mut Expr,
    f: &mut dyn FnMut(&Expr) -> Result<Expr, ExportError>,
) -> Result<(), ExportError> {
    match expr {
        Expr::Literal { .. }
        | Expr::Param { .. }
        | Expr::LoopVar { .. }
        | Expr::StepOutput { .. } => {}
        Expr::List { items } | Expr::Call { args: items, .. } => {
            for item in items {
                *item = f(item)?;
            }
        }
        Expr::Map { entries, .. } => {
            for value in entries.values_mut() {
                *value = f(value)?;
            }
        }
        Expr::Field { of, .. } | Expr::Unary { operand: of, .. } => **of = f(of)?,
        Expr::Index { of, index, .. } => {
            **of = f(of)?;
            **index = f(index)?;
        }
        Expr::Binary { lhs, rhs, .. } => {
            **lhs = f(lhs)?;
            **rhs = f(rhs)?;
        }
    }
    Ok(())
}
