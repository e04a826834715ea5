//! One script template per op (two when only some of its steps are memoized), and each
//! step's call of it: the DAG task's arguments carry what the step binds, where its values
//! are and where its outputs go.

use mlforge_ir::{BindingValue, EnvFrom, EnvValue};
use serde_json::{json, Map, Value};

use super::dag::for_depth;
use super::inert::inert_json;
use super::keys::{self, index_param, instance_path, instance_tag};
use super::pod::{env_name, image, indices_env, resources, setup_input, source};
use super::reader::{unsupported, Reader};
use super::Ctx;
use crate::json_text::object;
use crate::names::{NameMap, Naming};
use crate::plan::InputSource;
use crate::ExportError;

/// The Secret holding every secret an op reads, one key per secret.
pub const SECRET_NAME: &str = "mlforge-secrets";

/// How long a memoized result stays valid: the local runner's cache never expires.
const MEMO_MAX_AGE: &str = "87600h";

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
    let spec = object([
        ("step", json!(task.id())),
        ("bindings", Value::Array(bindings)),
        ("sources", reader.take_sources()),
    ]);
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
        .map(|a| object([("name", a["name"].clone()), ("s3", a["s3"].clone())]))
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
    let mut arguments = object([("parameters", Value::Array(parameters))]);
    if !artifacts.is_empty() {
        arguments["artifacts"] = Value::Array(artifacts);
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
