//! Cache keys of step attempts.
//!
//! A step's key is sha256 over: the IR op hash (body, interpreter, image, env, resources,
//! signature, settings), the environment the runner adds (the interpreter program), the
//! resolved scalar inputs, the hashes of the input artifacts, and what the op's `uses`
//! files hold (when it has any). Secrets never enter it: the op hash holds only their
//! names. Each part is also kept
//! on its own (see [`KeyParts`]) so that `plan` and `runs diff` can say which changed.

use std::collections::BTreeMap;

use mlforge_ir::{Interpreter, Op};
use mlforge_store::{sha256_hex, KeyParts};
use serde_json::json;

use crate::value::{holds_artifact, RValue};

/// Bump when the key's recipe changes, so that old entries stop matching.
const KEY_VERSION: u32 = 1;

/// sha256 of what the op's code is: interpreter, body, signature, and the contents of
/// its `uses` files (`uses`: their hash, from `preflight`).
pub fn code_hash(op: &Op, uses: Option<&str>) -> String {
    let mut content = json!({
        "interpreter": op.interpreter,
        "body": op.body.text,
        "inputs": op.inputs,
        "outputs": op.outputs,
    });
    if let Some(uses) = uses {
        content["uses"] = json!(uses);
    }
    sha256_hex(content.to_string().as_bytes())
}

/// What the op runs in: the interpreter program, image, env and resources.
pub fn environment(op: &Op, python: &str) -> serde_json::Value {
    let program = match op.interpreter {
        Interpreter::Python => python,
        Interpreter::Shell => "sh",
    };
    json!({
        "program": program,
        "image": op.image,
        "env": op.env,
        "resources": op.resources,
    })
}

/// The key of one attempt of a step with these inputs; `uses` is the hash of what the
/// op's `uses` files hold.
pub fn key_parts(
    op: &Op,
    python: &str,
    uses: Option<&str>,
    inputs: &BTreeMap<String, RValue>,
) -> KeyParts {
    let mut scalars = serde_json::Map::new();
    let mut artifacts = serde_json::Map::new();
    for input in &op.inputs {
        let value = inputs.get(&input.name).cloned().unwrap_or(RValue::Absent);
        if holds_artifact(&input.ty) {
            artifacts.insert(input.name.clone(), artifact_hashes(&value));
        } else {
            scalars.insert(input.name.clone(), value.to_json());
        }
    }
    let scalars = serde_json::Value::Object(scalars).to_string();
    let inputs = serde_json::Value::Object(artifacts).to_string();
    let environment = environment(op, python).to_string();
    let env_hash = sha256_hex(environment.as_bytes());
    let code_hash = code_hash(op, uses);
    // Without `uses` the recipe is the first edition's, so existing entries still match.
    let recipe = match uses {
        Some(uses) => json!([KEY_VERSION, op.hash, env_hash, scalars, inputs, uses]),
        None => json!([KEY_VERSION, op.hash, env_hash, scalars, inputs]),
    };
    let cache_key = sha256_hex(recipe.to_string().as_bytes());
    KeyParts {
        cache_key,
        op_hash: op.hash.clone(),
        code_hash,
        env_hash,
        scalars,
        inputs,
        environment,
    }
}

/// Artifact inputs as their hashes only (names and kinds do not change content).
fn artifact_hashes(value: &RValue) -> serde_json::Value {
    match value {
        RValue::Artifact(a) => json!(a.hash),
        RValue::List(items) => {
            serde_json::Value::Array(items.iter().map(artifact_hashes).collect())
        }
        other => other.to_json(),
    }
}
