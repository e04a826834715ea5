//! How an executor runs an op's body: the shared task runtime (`mlforge_task.py`), given
//! the op's task spec and, through KFP's placeholders, each input's value or path and each
//! output's path.

use mlforge_ir::Op;
use serde_json::{json, Value};

/// The container command: the runtime's source run by the image's `python3`.
pub fn command() -> Value {
    json!(["python3", "-c", RUNTIME_SOURCE])
}

/// The op's task spec, as the runtime reads it.
pub fn task_spec(op: &Op) -> Value {
    serde_json::to_value(op).unwrap_or(Value::Null)
}

const RUNTIME_SOURCE: &str = "";
