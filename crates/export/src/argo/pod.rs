//! What every script template shares: its source (the adapter called with an inert
//! spec), image, resources, and the env entries the exporter writes.

use serde_json::{json, Map, Value};

use super::inert::{inert_json, is_inert};
use super::keys;
use super::Ctx;
use crate::names::Naming;
use crate::ExportError;

/// The name an op output has as an artifact and a file (`[A-Za-z0-9_]`).
pub(crate) fn output_name(output: &str) -> String {
    Naming::PythonIdentifier.apply(output)
}

/// The script that runs the adapter with `spec`.
pub(crate) fn source(function: &str, spec: &Value) -> String {
    format!(
        "import sys\nsys.path.insert(0, {dir:?})\nimport mlforge_argo\nmlforge_argo.{function}(r'''{spec}''')\n",
        dir = keys::SETUP_DIR,
        spec = inert_json(spec),
    )
}

pub(crate) fn image<'s>(
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
pub(crate) fn cpu_quantity(cpu: f64) -> String {
    if cpu.fract() == 0.0 {
        format!("{}", cpu as u64)
    } else {
        format!("{}m", (cpu * 1000.0).round() as u64)
    }
}

/// A memory size as written when Kubernetes reads it the same way (`4Gi`), else in bytes.
pub(crate) fn memory_quantity(written: Option<&str>, bytes: Option<u64>) -> Option<String> {
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

pub(crate) fn resources(res: &mlforge_ir::Resources) -> Option<Value> {
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
pub(crate) fn env_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The setup's folder, as every pod receives it.
pub(crate) fn setup_input() -> Value {
    json!({"name": "mlforge", "path": keys::SETUP_DIR, "s3": {"key": keys::setup_key()}})
}

/// `MLFORGE_INDICES`: the element index of each enclosing `for`, `/`-separated.
pub(crate) fn indices_env(value: String) -> Value {
    json!({"name": "MLFORGE_INDICES", "value": value})
}
