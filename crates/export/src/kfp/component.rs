//! One component and one executor per op: the op's inputs and outputs as KFP definitions,
//! its container (image, the task runtime's command, arguments with KFP's placeholders,
//! env, resources), and what only the Kubernetes platform document holds (timeout,
//! secrets).

use mlforge_ir::{EnvFrom, EnvValue, Op, Value};
use serde_json::{json, Map, Value as Json};

use super::inert;
use super::launch;
use super::types::KfpType;
use crate::{ExportOptions, ExportWarning};

/// The JSON form of an IR value (what a `runtimeValue.constant` or `defaultValue` holds).
pub fn value_json(value: &Value) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

/// One input of a component: an op input, or (for a step whose inputs are computed) an
/// expression or a value it reads.
pub struct Input {
    pub name: String,
    pub ty: KfpType,
    /// May be left unwired (optional, or with a default).
    pub optional: bool,
    pub default: Option<Json>,
}

/// The component inputs of an op, then `extra` ones: for each computed input `x`, the
/// expression `x--expr` and the values it reads, `x--read-0`, `x--read-1`, ….
pub fn inputs(op: &Op, extra: &[(String, Vec<KfpType>)]) -> Vec<Input> {
    let mut out: Vec<Input> = op
        .inputs
        .iter()
        // A computed input is not an input of its own: `x--expr` and its reads replace it.
        .filter(|i| !extra.iter().any(|(x, _)| *x == i.name))
        .map(|i| Input {
            name: i.name.clone(),
            ty: KfpType::of(&i.ty),
            optional: i.default.is_some() || matches!(i.ty, mlforge_ir::Type::Optional { .. }),
            default: i.default.as_ref().map(value_json),
        })
        .collect();
    for (input, reads) in extra {
        out.push(Input {
            name: format!("{input}--expr"),
            // Text, not a STRUCT: KFP would turn every number in it into a double.
            ty: KfpType::Parameter("STRING"),
            optional: false,
            default: None,
        });
        for (i, ty) in reads.iter().enumerate() {
            out.push(Input {
                name: format!("{input}--read-{i}"),
                ty: ty.clone(),
                optional: false,
                default: None,
            });
        }
    }
    out
}

/// The op's `ComponentSpec`.
pub fn component(op: &Op, inputs: &[Input], executor: &str) -> Json {
    let mut params = Map::new();
    let mut artifacts = Map::new();
    for input in inputs {
        let mut def = input.ty.definition();
        if input.optional {
            def["isOptional"] = json!(true);
        }
        if let (KfpType::Parameter(_), Some(default)) = (&input.ty, &input.default) {
            def["defaultValue"] = default.clone();
        }
        let kind = if input.ty.is_artifact() {
            &mut artifacts
        } else {
            &mut params
        };
        kind.insert(input.name.clone(), def);
    }
    let mut out_params = Map::new();
    let mut out_artifacts = Map::new();
    for output in &op.outputs {
        let ty = KfpType::of(&output.ty);
        let kind = if ty.is_artifact() {
            &mut out_artifacts
        } else {
            &mut out_params
        };
        kind.insert(output.name.clone(), ty.definition());
    }
    let mut spec = json!({"executorLabel": executor});
    set_definitions(&mut spec, "inputDefinitions", params, artifacts);
    set_definitions(&mut spec, "outputDefinitions", out_params, out_artifacts);
    spec
}

pub fn set_definitions(
    spec: &mut Json,
    key: &str,
    params: Map<String, Json>,
    artifacts: Map<String, Json>,
) {
    let mut defs = Map::new();
    if !artifacts.is_empty() {
        defs.insert("artifacts".into(), Json::Object(artifacts));
    }
    if !params.is_empty() {
        defs.insert("parameters".into(), Json::Object(params));
    }
    if !defs.is_empty() {
        spec[key] = Json::Object(defs);
    }
}

/// The placeholder arguments that hand the runtime every input and output: a flag, the
/// name, and KFP's placeholder for its value or path. An optional artifact input is
/// wrapped in `IfPresent`, so an absent one is simply not passed.
fn io_args(op: &Op, inputs: &[Input]) -> Vec<Json> {
    let mut args = Vec::new();
    let mut lists = false;
    for input in inputs {
        let name = &input.name;
        let then = match input.ty {
            // KFP has no path placeholder for a list of artifacts: the adapter finds them
            // in the executor input (`{{$}}`).
            KfpType::Artifact { list: true, .. } => {
                lists = true;
                vec![json!("--input-list"), json!(name)]
            }
            KfpType::Artifact { .. } => vec![
                json!("--input-path"),
                json!(name),
                json!(format!("{{{{$.inputs.artifacts['{name}'].path}}}}")),
            ],
            KfpType::Parameter(_) => vec![
                json!("--input"),
                json!(name),
                json!(format!("{{{{$.inputs.parameters['{name}']}}}}")),
            ],
        };
        if input.optional && !matches!(input.ty, KfpType::Artifact { list: true, .. }) {
            // An input given no value is not passed at all. Spaced like Python's
            // `json.dumps`: kfp.local recognises the prefix `{"IfPresent": ` only so.
            let then: Vec<String> = then.iter().map(Json::to_string).collect();
            args.push(json!(format!(
                "{{\"IfPresent\": {{\"InputName\": {}, \"Then\": [{}]}}}}",
                Json::from(name.as_str()),
                then.join(", ")
            )));
        } else {
            args.extend(then);
        }
    }
    if lists {
        args.push(json!("--executor-input"));
        args.push(json!("{{$}}"));
    }
    for output in &op.outputs {
        let name = &output.name;
        if KfpType::of(&output.ty).is_artifact() {
            args.push(json!("--output-path"));
            args.push(json!(name));
            args.push(json!(format!("{{{{$.outputs.artifacts['{name}'].path}}}}")));
        } else {
            args.push(json!("--output-file"));
            args.push(json!(name));
            args.push(json!(format!(
                "{{{{$.outputs.parameters['{name}'].output_file}}}}"
            )));
        }
    }
    args
}

/// What the exporter made for one op.
pub struct Executor {
    pub spec: Json,
    /// The Kubernetes platform document's part for this executor, if any.
    pub platform: Option<Json>,
    pub warnings: Vec<ExportWarning>,
}

/// The op's executor: its container and its platform settings.
pub fn executor(
    op_id: &str,
    op: &Op,
    inputs: &[Input],
    spec: &Json,
    opts: &ExportOptions,
) -> Executor {
    let mut warnings = Vec::new();
    let warn =
        |code: &'static str, message: String| ExportWarning::new(code, message).at(&op.source);
    let mut args = vec![json!("--spec"), json!(inert::json(spec))];
    args.extend(io_args(op, inputs));
    // Assigned, not through `json!`, which would copy the scripts by serializing them.
    let mut container = json!({"image": op.image.as_deref().unwrap_or(&opts.default_image)});
    container["command"] = launch::command();
    container["args"] = Json::Array(args);

    // Literal values go into the container's environment; values from inputs are set by
    // the runtime (it has them), secrets come from a Kubernetes secret.
    let mut env = Vec::new();
    let mut secrets = Vec::new();
    for (name, value) in &op.env {
        match value {
            EnvValue::Text(text) if inert::is_inert(text) => {
                env.push(json!({"name": name, "value": text}));
            }
            // KFP would rewrite a placeholder in it; the runtime sets it from the spec.
            EnvValue::Text(_) | EnvValue::From(EnvFrom::Input { .. }) => {}
            EnvValue::From(EnvFrom::Secret { secret }) => {
                secrets.push(json!({"secretKey": secret, "envVar": name}));
            }
        }
    }
    if !env.is_empty() {
        container["env"] = Json::Array(env);
    }

    let mut resources = Map::new();
    if let Some(cpu) = op.resources.cpu {
        let text = cpu_text(cpu);
        resources.insert("resourceCpuRequest".into(), json!(text));
        resources.insert("resourceCpuLimit".into(), json!(text));
    }
    if let Some(bytes) = op.resources.memory_bytes {
        resources.insert("resourceMemoryRequest".into(), json!(bytes.to_string()));
        resources.insert("resourceMemoryLimit".into(), json!(bytes.to_string()));
    }
    if let Some(gpu) = op.resources.gpu {
        resources.insert(
            "accelerator".into(),
            json!({"resourceType": "nvidia.com/gpu", "resourceCount": gpu.to_string()}),
        );
        warnings.push(warn(
            "KFP005",
            format!(
                "op `{}` asks for {gpu} GPU(s); the export requests `nvidia.com/gpu`, so change `resourceType` in the executor `{op_id}` if your cluster's GPUs have another vendor",
                op.name
            ),
        ));
    }
    if !resources.is_empty() {
        container["resources"] = Json::Object(resources);
    }

    let mut platform = Map::new();
    if let Some(seconds) = op.timeout_seconds {
        platform.insert("activeDeadlineSeconds".into(), json!(seconds.to_string()));
    }
    if !secrets.is_empty() {
        platform.insert(
            "secretAsEnv".into(),
            json!([{"secretName": SECRET_NAME, "keyToEnv": secrets}]),
        );
        warnings.push(warn(
            "KFP006",
            format!(
                "op `{}` reads secrets from the environment; on Kubernetes they come from the secret `{SECRET_NAME}` (one key per variable), which must exist in the run's namespace",
                op.name
            ),
        ));
    }
    if !op.uses.is_empty() {
        warnings.push(warn(
            "KFP007",
            format!(
                "op `{}` names files in `uses`; a KFP container does not have them, so build them into the image (`image = …`), and they no longer enter the cache key",
                op.name
            ),
        ));
    }
    if !op.requires.is_empty() {
        warnings.push(warn(
            "KFP008",
            format!(
                "op `{}` requires Python packages ({}); KFP does not install them, so use an image that has them",
                op.name,
                op.requires.join(", ")
            ),
        ));
    }
    if op.python.is_some() {
        warnings.push(warn(
            "KFP009",
            format!(
                "op `{}` names a Python interpreter; in the container the image's `python3` runs it",
                op.name
            ),
        ));
    }
    if op.body.path.is_some() {
        // The body file's text is in the IR, so it is carried inline: nothing is lost.
    }
    Executor {
        spec: {
            let mut spec = json!({});
            spec["container"] = container;
            spec
        },
        platform: (!platform.is_empty()).then_some(Json::Object(platform)),
        warnings,
    }
}

/// The Kubernetes secret the exported pipeline reads secret environment variables from.
pub const SECRET_NAME: &str = "mlforge-secrets";

/// A CPU count as a Kubernetes quantity: whole numbers plain, fractions in millicores.
fn cpu_text(cpu: f64) -> String {
    if cpu.fract() == 0.0 {
        format!("{}", cpu as u64)
    } else {
        format!("{}m", (cpu * 1000.0).round() as u64)
    }
}
