//! The task runtime every target runs a step with (`mlforge_task.py`), and the task spec
//! the exporters hand it: the op's body as a template whose slots carry the place of each
//! `${…}` (the same place analysis the local runner uses, `mlforge-body`), so that a
//! worker renders the body exactly as `mlforge run` does.

use mlforge_body::Template;
use mlforge_ir::{EnvFrom, EnvValue, Interpreter};
use serde_json::{json, Map, Value};

use crate::plan::Task;

/// The runtime's source, written beside an export (or inlined) as the target needs.
pub const SOURCE: &str = include_str!("mlforge_task.py");

/// The runtime's file name: the module name it is imported by.
pub const FILE_NAME: &str = "mlforge_task.py";

/// What the runtime needs to run one step: everything but the values, which reach it from
/// the engine when the task runs. Deterministic (maps sorted).
pub fn task_spec(task: &Task) -> Value {
    let op = task.op;
    let body = if op.body.path.is_none() {
        json!({
            "template": Template::new(op.interpreter, &op.body.text),
            "function": op.body.function,
        })
    } else {
        json!({"template": null, "text": op.body.text, "function": false})
    };
    let typed = |name: &str, ty: &mlforge_ir::Type| json!({"name": name, "type": ty});
    let mut env = Map::new();
    for (name, value) in &op.env {
        let value = match value {
            EnvValue::Text(text) => json!({"text": text}),
            EnvValue::From(EnvFrom::Input { input }) => json!({"input": input}),
            EnvValue::From(EnvFrom::Secret { secret }) => json!({"secret": secret}),
        };
        env.insert(name.clone(), value);
    }
    json!({
        "step": task.id(),
        "op": op.name,
        "interpreter": match op.interpreter {
            Interpreter::Python => "python",
            Interpreter::Shell => "shell",
        },
        "body": body,
        "inputs": op.inputs.iter().map(|i| typed(&i.name, &i.ty)).collect::<Vec<_>>(),
        "outputs": op.outputs.iter().map(|o| typed(&o.name, &o.ty)).collect::<Vec<_>>(),
        "env": env,
    })
}
