//! The workflow around the templates: the kind (`Workflow`, or `CronWorkflow` for a
//! scheduled pipeline), metadata, the params as workflow parameters, the pipeline's
//! outputs, and the scheduler settings Argo has no place for (reported).

use mlforge_ir::{Expr, Type};
use serde_json::{json, Value};

use super::inert::{inert_json, is_inert};
use super::pod::output_name;
use super::reader::holds_artifact;
use super::Ctx;
use crate::json_text::object;
use crate::{ExportError, ExportWarning};

/// `spec.arguments.parameters`: one per param. Values are JSON (a string param's value is
/// a JSON string), written inert; an artifact param's value is its key in the artifact
/// repository.
pub(crate) fn params(ctx: &mut Ctx) -> Result<Vec<Value>, ExportError> {
    let mut out = Vec::new();
    for param in ctx.plan.params {
        let name = ctx.names.params.get(&param.name);
        let mut entry = json!({"name": name});
        match (&param.ty, &param.default) {
            (Type::Artifact { .. }, Some(mlforge_ir::Value::String(path))) => {
                ctx.warnings.push(
                    ExportWarning::new(
                        "ARGO001",
                        format!(
                            "the default of artifact param `{}` is the local path {path:?}; in Argo it is a key in the artifact repository, so upload the file under that key or pass `-p {name}=KEY`",
                            param.name
                        ),
                    )
                    .at(&param.source),
                );
                if is_inert(path) {
                    entry["value"] = json!(path);
                } else {
                    return Err(ExportError::Unsupported {
                        message: format!(
                            "the default path of `{}` holds `{{{{` or `$(`, which Argo would expand in an artifact key; rename the file",
                            param.name
                        ),
                        place: Some(param.source.clone()),
                    });
                }
            }
            (ty, Some(_)) if holds_artifact(ty) => {
                return Err(ExportError::Unsupported {
                    message: format!(
                        "param `{}` is a {ty} holding files; the Argo export passes files as single artifacts only, so make it one artifact param per file",
                        param.name
                    ),
                    place: Some(param.source.clone()),
                })
            }
            (_, Some(value)) => entry["value"] = json!(inert_json(value)),
            (_, None) => {}
        }
        if let Some(doc) = param.doc.as_deref().filter(|d| is_inert(d)) {
            entry["description"] = json!(doc);
        }
        out.push(entry);
    }
    Ok(out)
}

/// The main DAG's `outputs`: each pipeline output that is a top-level step's output, as an
/// artifact taken from that task. Others are reported.
pub(crate) fn pipeline_outputs(ctx: &mut Ctx) -> Result<Option<Value>, ExportError> {
    let mut artifacts = Vec::new();
    for output in &ctx.plan.outputs {
        let top_level = match output.value {
            Expr::StepOutput {
                step, output: out, ..
            } => ctx
                .plan
                .task(step)
                .filter(|t| t.step.scope.is_empty())
                .map(|_| (step, out)),
            _ => None,
        };
        match top_level {
            Some((step, out)) => artifacts.push(json!({
                "name": output_name(output.name),
                "from": format!(
                    "{{{{tasks.{}.outputs.artifacts.{}}}}}",
                    ctx.names.steps.get(step),
                    output_name(out)
                ),
            })),
            None => ctx.warnings.push(ExportWarning::new(
                "ARGO002",
                format!(
                    "pipeline output `{}` is computed or comes from inside a `for` or `if`; Argo's DAG outputs cannot gather it, so read it from the step's outputs in the artifact repository",
                    output.name
                ),
            )),
        }
    }
    Ok((!artifacts.is_empty()).then(|| json!({"artifacts": artifacts})))
}

/// The document: a `Workflow`, or a `CronWorkflow` when the pipeline has a schedule.
pub(crate) fn wrap(ctx: &mut Ctx, spec: Value) -> Result<Value, ExportError> {
    let program = ctx.plan.program;
    let pipeline = ctx.names.pipeline.clone();
    let mut annotations = serde_json::Map::new();
    annotations.insert("mlforge.dev/pipeline".into(), json!(program.pipeline));
    annotations.insert("mlforge.dev/source".into(), json!(program.file));
    annotations.insert("mlforge.dev/ir-version".into(), json!(program.version));
    let scheduling = &program.scheduling;
    if !scheduling.tags.is_empty() {
        annotations.insert(
            "mlforge.dev/tags".into(),
            json!(serde_json::to_string(&scheduling.tags).expect("strings serialize")),
        );
    }
    if let Some(owner) = &scheduling.owner {
        annotations.insert("mlforge.dev/owner".into(), json!(owner));
    }
    let labels =
        json!({"app.kubernetes.io/managed-by": "mlforge", "mlforge.dev/pipeline": pipeline});
    let Some(schedule) = &program.schedule else {
        if scheduling.start_date.is_some() || scheduling.catchup.is_some() {
            ctx.warnings.push(ExportWarning::new(
                "ARGO003",
                "`start_date` and `catchup` only mean something with a `schedule`; the exported Workflow runs when submitted".to_string(),
            ));
        }
        let metadata = json!({"generateName": format!("{pipeline}-"), "labels": labels, "annotations": annotations});
        return Ok(document("Workflow", metadata, spec));
    };
    if !is_inert(schedule) {
        return Err(ExportError::Unsupported {
            message: format!("the schedule {schedule:?} holds `{{{{` or `$(`; write a cron text"),
            place: None,
        });
    }
    if let Some(start) = &scheduling.start_date {
        ctx.warnings.push(ExportWarning::new(
            "ARGO003",
            format!("a CronWorkflow has no start date: it runs from when it is created, not from {start}; create it on that date or suspend it until then"),
        ));
    }
    let mut cron = object([
        ("schedules", json!([schedule])),
        ("concurrencyPolicy", json!("Allow")),
        ("workflowSpec", spec),
    ]);
    match scheduling.catchup {
        Some(true) => ctx.warnings.push(ExportWarning::new(
            "ARGO004",
            "Argo does not run every missed interval (`catchup = true`): after a pause it runs at most the latest missed one, within `startingDeadlineSeconds`; run the others by hand".to_string(),
        )),
        // Missed runs are skipped: a deadline of 0 starts none late.
        Some(false) => cron["startingDeadlineSeconds"] = json!(0),
        None => {}
    }
    let metadata = json!({"name": pipeline, "labels": labels, "annotations": annotations});
    Ok(document("CronWorkflow", metadata, cron))
}

fn document(kind: &str, metadata: Value, spec: Value) -> Value {
    object([
        ("apiVersion", json!("argoproj.io/v1alpha1")),
        ("kind", json!(kind)),
        ("metadata", metadata),
        ("spec", spec),
    ])
}
