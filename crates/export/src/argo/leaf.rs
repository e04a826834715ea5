//! The leaf templates: one script template per step, one per computed block list or
//! condition, and the setup that puts the runtime into the artifact repository. Each runs
//! `mlforge_argo.py` (beside the shared task runtime) with a JSON spec saying where every
//! value it reads lies in the pod; the spec is [`inert_json`], so Argo passes it through.

use mlforge_ir::{BindingValue, Block, EnvFrom, EnvValue, Expr, Type, Value as IrValue};
use serde_json::{json, Map, Value};

use super::dag::{ancestors, for_depth, inner_inputs, literal_len};
use super::inert::{inert_json, is_inert};
use super::keys::{self, index_param, instance_path, instance_tag, RUN_KEY};
use super::Ctx;

use crate::names::{NameMap, Naming};
use crate::plan::{InputSource, Read};
use crate::ExportError;

/// The adapter between Argo's pod layout and the task runtime.
pub const ADAPTER: &str = include_str!("mlforge_argo.py");
pub const ADAPTER_FILE: &str = "mlforge_argo.py";

/// The Secret holding every secret an op reads, one key per secret.
pub const SECRET_NAME: &str = "mlforge-secrets";

/// Where an items task leaves the list it evaluated, and the setup the run key.
const ITEMS_DIR: &str = "/mlforge/out/items";
const RUN_KEY_FILE: &str = "/mlforge/out/run-key";

/// How long a memoized result stays valid: the local runner's cache never expires.
const MEMO_MAX_AGE: &str = "87600h";

/// Whether a type holds a file or folder anywhere.
pub(crate) fn holds_artifact(ty: &Type) -> bool {
    match ty {
        Type::Artifact { .. } => true,
        Type::List { of } | Type::Optional { of } | Type::Dict { of } => holds_artifact(of),
        Type::Record { fields, .. } => fields.iter().any(|f| holds_artifact(&f.ty)),
        _ => false,
    }
}

fn unsupported(message: String, place: &mlforge_ir::Source) -> ExportError {
    ExportError::Unsupported {
        message,
        place: Some(place.clone()),
    }
}

/// What a leaf reads and how it reaches the pod: Argo inputs, env, and the spec's
/// `sources` telling the adapter where each value is.
struct Reader<'c, 'a, 'p> {
    ctx: &'c Ctx<'a, 'p>,
    /// The blocks around the reader, outermost first.
    scope: Vec<&'p str>,
    artifacts: Vec<Value>,
    env: Vec<Value>,
    params: Map<String, Value>,
    loops: Map<String, Value>,
    steps: Vec<Value>,
    /// How the reader's template refers to the run key (memoized steps' outputs are
    /// keyed by it).
    run_key: String,
}

impl<'c, 'a, 'p> Reader<'c, 'a, 'p> {
    fn new(ctx: &'c Ctx<'a, 'p>, scope: Vec<&'p str>, run_key: &str) -> Self {
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
    fn declared(&self) -> Vec<Value> {
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

    fn read(&mut self, read: &Read<'p>, place: &mlforge_ir::Source) -> Result<(), ExportError> {
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
    fn artifact_literals(
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

    fn sources(&self) -> Value {
        json!({"params": self.params, "loops": self.loops, "steps": self.steps})
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

/// The name an op output has as an artifact and a file (`[A-Za-z0-9_]`).
pub(crate) fn output_name(output: &str) -> String {
    Naming::PythonIdentifier.apply(output)
}

/// The script that runs the adapter with `spec`.
fn source(function: &str, spec: &Value) -> String {
    format!(
        "import sys\nsys.path.insert(0, {dir:?})\nimport mlforge_argo\nmlforge_argo.{function}(r'''{spec}''')\n",
        dir = keys::SETUP_DIR,
        spec = inert_json(spec),
    )
}

fn image<'s>(
    ctx: &'s Ctx,
    op_image: Option<&'s str>,
    place: Option<&mlforge_ir::Source>,
) -> Result<&'s str, ExportError> {
    let image = op_image.unwrap_or(&ctx.opts.default_image);
    if !is_inert(image) {
        return Err(ExportError::Unsupported {
            message: format!("the image {image:?} holds `{{{{` or `$(`, which Argo or Kubernetes would expand; name the image without them"),
            place: place.cloned(),
        });
    }
    Ok(image)
}

/// A CPU count as a Kubernetes quantity: whole cores, or millicores.
fn cpu_quantity(cpu: f64) -> String {
    if cpu.fract() == 0.0 {
        format!("{}", cpu as u64)
    } else {
        format!("{}m", (cpu * 1000.0).round() as u64)
    }
}

/// A memory size as written when Kubernetes reads it the same way (`4Gi`), else in bytes.
fn memory_quantity(written: Option<&str>, bytes: Option<u64>) -> Option<String> {
    let kubernetes = |s: &str| {
        let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let suffix = &s[digits.len()..];
        !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
            && [
                "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E",
            ]
            .contains(&suffix)
    };
    match (written, bytes) {
        (Some(w), _) if kubernetes(w) => Some(w.to_string()),
        (_, Some(b)) => Some(b.to_string()),
        _ => None,
    }
}

fn resources(res: &mlforge_ir::Resources) -> Option<Value> {
    let mut requests = Map::new();
    let mut limits = Map::new();
    if let Some(cpu) = res.cpu {
        requests.insert("cpu".into(), json!(cpu_quantity(cpu)));
        limits.insert("cpu".into(), json!(cpu_quantity(cpu)));
    }
    if let Some(memory) = memory_quantity(res.memory.as_deref(), res.memory_bytes) {
        requests.insert("memory".into(), json!(memory));
        limits.insert("memory".into(), json!(memory));
    }
    if let Some(gpu) = res.gpu {
        limits.insert("nvidia.com/gpu".into(), json!(gpu.to_string()));
    }
    let mut out = Map::new();
    if !requests.is_empty() {
        out.insert("requests".into(), Value::Object(requests));
    }
    if !limits.is_empty() {
        out.insert("limits".into(), Value::Object(limits));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// An environment variable name Kubernetes accepts (a C identifier).
fn env_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The setup's folder, as every pod receives it.
fn setup_input() -> Value {
    json!({"name": "mlforge", "path": keys::SETUP_DIR, "s3": {"key": keys::setup_key()}})
}

/// `MLFORGE_INDICES`: the element index of each enclosing `for`, `/`-separated.
fn indices_env(value: String) -> Value {
    json!({"name": "MLFORGE_INDICES", "value": value})
}

/// One op template's variant: with memoization or without (a step is memoized only when
/// its upstream is, so one op can need both).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct OpVariant {
    pub op: String,
    pub memo: bool,
}

/// What the steps calling one op variant need its template to declare.
#[derive(Debug, Default)]
pub(crate) struct OpUse {
    /// The first step calling it (its task spec is the op's).
    pub first: usize,
    /// The most input artifacts one step passes.
    pub artifacts: usize,
    /// Params read by any of its steps: their env entries, by name.
    pub env: std::collections::BTreeMap<String, Value>,
}

/// The name of an op variant's template (`--` keeps it apart from step names).
pub(crate) fn op_template_name(ctx: &Ctx, variant: &OpVariant) -> String {
    let op = ctx.names.ops.get(&variant.op);
    if variant.memo {
        format!("{op}--memo")
    } else {
        format!("{op}--op")
    }
}

/// The arguments of plan task `index`'s DAG task, calling its op's template: what the step
/// binds and where each value is (`step`), its loop position (`indices`), where its outputs
/// go (`out`), its memoization key, and the artifacts it reads. `run_key` and `index` are
/// how the calling DAG refers to the run key and to the `k`-th loop index.
pub(crate) fn step_call(
    ctx: &mut Ctx,
    index: usize,
    run_key: &str,
) -> Result<(OpVariant, Value), ExportError> {
    let task = &ctx.plan.tasks[index];
    let place = &task.step.source;
    let scope: Vec<&str> = task.step.scope.iter().map(String::as_str).collect();
    let depth = for_depth(ctx, scope.iter().copied());
    let name = ctx.names.steps.get(task.id()).to_string();
    let mut reader = Reader::new(ctx, scope, run_key);
    let mut bindings = Vec::new();
    for input in &task.inputs {
        for read in &input.reads {
            reader.read(read, place)?;
        }
        let given = task.step.bindings.iter().find(|b| b.input == input.name);
        let binding = match (&input.source, given.map(|b| &b.value)) {
            (InputSource::Absent, _) | (_, Some(BindingValue::Absent)) => {
                json!({"input": input.name, "absent": true})
            }
            (InputSource::Default(value), _) => json!({"input": input.name, "value": value}),
            (_, Some(BindingValue::Default { value })) => {
                json!({"input": input.name, "value": value})
            }
            (_, Some(BindingValue::Given { expr })) => {
                json!({"input": input.name, "expr": reader.artifact_literals(expr, place)?})
            }
            (_, None) => {
                return Err(ExportError::BadIr(format!(
                    "step `{}` has no binding `{}`",
                    task.id(),
                    input.name
                )))
            }
        };
        bindings.push(binding);
    }
    let memo = ctx.statics.memo(task.id()).map(str::to_string);
    let indices: Vec<String> = (1..=depth)
        .map(|k| format!("{{{{inputs.parameters.{}}}}}", index_param(k)))
        .collect();
    let out = format!(
        "{}{}",
        keys::step_prefix(&name, memo.as_deref(), run_key),
        instance_path(depth)
    );
    let spec = json!({
        "step": task.id(),
        "bindings": bindings,
        "sources": reader.sources(),
    });
    let mut parameters = vec![
        json!({"name": "step", "value": inert_json(&spec)}),
        json!({"name": "indices", "value": indices.join("/")}),
        json!({"name": "out", "value": out}),
    ];
    if let Some(memo) = &memo {
        parameters.push(json!({"name": "memo", "value": format!("mlforge.{memo}.{run_key}{}", instance_tag(depth))}));
    }
    let artifacts: Vec<Value> = reader
        .artifacts
        .iter()
        .map(|a| json!({"name": a["name"], "s3": a["s3"]}))
        .collect();
    let variant = OpVariant {
        op: task.op_id.to_string(),
        memo: memo.is_some(),
    };
    let count = artifacts.len();
    let env = std::mem::take(&mut reader.env);
    let used = ctx.op_uses.entry(variant.clone()).or_insert_with(|| OpUse {
        first: index,
        ..OpUse::default()
    });
    used.artifacts = used.artifacts.max(count);
    for e in env {
        used.env
            .insert(e["name"].as_str().unwrap_or_default().to_string(), e);
    }
    let mut arguments = json!({"parameters": parameters});
    if !artifacts.is_empty() {
        arguments["artifacts"] = json!(artifacts);
    }
    Ok((variant, arguments))
}

/// The script template of one op variant, after every step calling it is known.
pub(crate) fn op_template(
    ctx: &Ctx,
    variant: &OpVariant,
    used: &OpUse,
) -> Result<Value, ExportError> {
    let task = &ctx.plan.tasks[used.first];
    let op = task.op;
    let outputs_map = NameMap::new(
        "output",
        Naming::PythonIdentifier,
        op.outputs.iter().map(|o| o.name.as_str()),
    )?;
    let mut outputs = Map::new();
    let mut out_artifacts = Vec::new();
    for output in &op.outputs {
        let file = outputs_map.get(&output.name);
        let path = format!("/mlforge/out/{file}");
        outputs.insert(
            output.name.clone(),
            json!({"path": path, "type": output.ty}),
        );
        out_artifacts.push(json!({
            "name": file,
            "path": path,
            "archive": {"none": {}},
            "s3": {"key": format!("{{{{inputs.parameters.out}}}}/{file}")},
        }));
    }
    let mut env = vec![
        json!({"name": "MLFORGE_STEP", "value": "{{inputs.parameters.step}}"}),
        indices_env("{{inputs.parameters.indices}}".to_string()),
    ];
    env.extend(used.env.values().cloned());
    for (var, value) in &op.env {
        if let EnvValue::From(EnvFrom::Secret { secret }) = value {
            if !env_name(secret) {
                return Err(unsupported(
                    format!("the secret `{secret}` of env `{var}` is not a name Kubernetes allows for an environment variable; name it with letters, digits and `_`"),
                    &op.source,
                ));
            }
            if !env.iter().any(|e| e["name"] == secret.as_str()) {
                env.push(json!({
                    "name": secret,
                    "valueFrom": {"secretKeyRef": {"name": SECRET_NAME, "key": secret}},
                }));
            }
        }
    }
    let spec = json!({
        "task": crate::runtime::task_spec(task),
        "outputs": outputs,
        "workdir": "/mlforge/work",
    });
    let mut script = json!({
        "image": image(ctx, op.image.as_deref(), Some(&op.source))?,
        "command": ["python3"],
        "source": source("step", &spec),
        "env": env,
    });
    if let Some(resources) = resources(&op.resources) {
        script["resources"] = resources;
    }
    let mut parameters = vec![
        json!({"name": "step"}),
        json!({"name": "indices"}),
        json!({"name": "out"}),
    ];
    if variant.memo {
        parameters.push(json!({"name": "memo"}));
    }
    let artifacts: Vec<Value> = std::iter::once(setup_input())
        .chain((0..used.artifacts).map(|n| {
            json!({"name": format!("a{n}"), "path": format!("/mlforge/in/a{n}"), "optional": true})
        }))
        .collect();
    let mut template = json!({
        "name": op_template_name(ctx, variant),
        "inputs": {"parameters": parameters, "artifacts": artifacts},
        "script": script,
    });
    if !out_artifacts.is_empty() {
        template["outputs"] = json!({"artifacts": out_artifacts});
    }
    if op.retries > 0 {
        template["retryStrategy"] =
            json!({"limit": op.retries.to_string(), "retryPolicy": "Always"});
    }
    if let Some(timeout) = op.timeout_seconds {
        template["activeDeadlineSeconds"] = json!(timeout.to_string());
    }
    if variant.memo {
        template["memoize"] = json!({
            "key": "{{inputs.parameters.memo}}",
            "maxAge": MEMO_MAX_AGE,
            "cache": {"configMap": {"name": format!("mlforge-memo-{}", ctx.names.pipeline)}},
        });
    }
    Ok(template)
}

/// The template evaluating a block's list (`for`) or condition (`if`).
pub(crate) fn block_eval(ctx: &Ctx, block: &str) -> Result<Value, ExportError> {
    let plan_block = &ctx.plan.blocks[block];
    let (place, is_for) = match plan_block.block {
        Block::For { source, .. } => (source, true),
        Block::If { source, .. } => (source, false),
    };
    let scope = ancestors(ctx, block);
    let depth = for_depth(ctx, scope.iter().copied());
    let bname = ctx.names.blocks.get(block);
    let mut reader = Reader::new(ctx, scope, &format!("{{{{inputs.parameters.{RUN_KEY}}}}}"));
    for read in &plan_block.reads {
        reader.read(read, place)?;
    }
    if is_for {
        // Checks the element type, as a reader of the loop variable would.
        if let Block::For { element, var, .. } = plan_block.block {
            if holds_artifact(element) {
                return Err(unsupported(
                    format!("the loop over `{var}` walks a list of files; the Argo export cannot fan out over files yet, so loop over their indices or names instead"),
                    place,
                ));
            }
        }
    }
    let exprs = plan_block
        .block
        .exprs()
        .into_iter()
        .map(|e| reader.artifact_literals(e, place))
        .collect::<Result<Vec<_>, _>>()?;
    let mut spec = json!({
        "block": block,
        "kind": if is_for { "for" } else { "if" },
        "exprs": exprs,
        "sources": reader.sources(),
    });
    if is_for {
        spec["items"] = json!(ITEMS_DIR);
    }
    if let Block::If { branch, .. } = plan_block.block {
        spec["branch"] = json!(branch);
    }
    let name = keys::eval_task(bname, is_for);
    let mut template = json!({
        "name": name,
        "inputs": {"parameters": inner_inputs(depth), "artifacts": reader.declared()},
        "script": {
            "image": image(ctx, None, Some(place))?,
            "command": ["python3"],
            "source": source("block", &spec),
        },
    });
    let indices: Vec<String> = (1..=depth)
        .map(|k| format!("{{{{inputs.parameters.{}}}}}", index_param(k)))
        .collect();
    let mut env = vec![indices_env(indices.join("/"))];
    env.extend(reader.env.iter().cloned());
    template["script"]["env"] = json!(env);
    if is_for {
        template["outputs"] = json!({"artifacts": [{
            "name": "items",
            "path": ITEMS_DIR,
            "archive": {"none": {}},
            "s3": {"key": format!("{}{}", keys::items_prefix(bname), instance_path(depth))},
        }]});
    }
    Ok(template)
}

/// The first task: writes the runtime into the repository for every other pod, and the
/// run key (a digest of the params' values) that memoized steps key their outputs by.
pub(crate) fn setup(ctx: &Ctx) -> Result<Value, ExportError> {
    let mut env = Vec::new();
    let mut params = Map::new();
    for param in ctx.plan.params {
        let mapped = ctx.names.params.get(&param.name);
        let var = format!("MLFORGE_PARAM_{mapped}");
        env.push(json!({"name": var, "value": format!("{{{{workflow.parameters.{mapped}}}}}")}));
        params.insert(param.name.clone(), json!(var));
    }
    let files = json!({ADAPTER_FILE: ADAPTER, crate::runtime::FILE_NAME: crate::runtime::SOURCE});
    let mut script = json!({
        "image": image(ctx, None, None)?,
        "command": ["python3"],
        "source": format!(
            "import sys\nimport json\nimport os\nFILES = json.loads(r'''{files}''')\nos.makedirs('/mlforge/out/setup', exist_ok=True)\nfor name, text in sorted(FILES.items()):\n    with open(os.path.join('/mlforge/out/setup', name), 'w', encoding='utf-8') as f:\n        f.write(text)\nsys.path.insert(0, '/mlforge/out/setup')\nimport mlforge_argo\nmlforge_argo.setup(r'''{spec}''')\n",
            files = inert_json(&files),
            spec = inert_json(&json!({"params": params, "run_key": RUN_KEY_FILE})),
        ),
    });
    if !env.is_empty() {
        script["env"] = json!(env);
    }
    Ok(json!({
        "name": keys::SETUP,
        "script": script,
        "outputs": {
            "parameters": [{"name": RUN_KEY, "valueFrom": {"path": RUN_KEY_FILE}}],
            "artifacts": [{
                "name": "mlforge",
                "path": "/mlforge/out/setup",
                "archive": {"none": {}},
                "s3": {"key": keys::setup_key()},
            }],
        },
    }))
}
