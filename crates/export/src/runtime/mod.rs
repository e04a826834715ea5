//! The task runtime every target runs a step with (`mlforge_task.py`), and the task spec
//! the exporters hand it: the op's body as a template whose slots carry the place of each
//! `${…}` (the same place analysis the local runner uses, `mlforge-body`), so that a
//! worker renders the body exactly as `mlforge run` does.

use mlforge_body::Template;
use mlforge_ir::{EnvFrom, EnvValue, Interpreter, Op};
use serde_json::{json, Map, Value};

use crate::plan::Task;

/// The runtime's source, written beside an export (or inlined) as the target needs: the
/// checked-in file with the end of its function wrapper filled in from `mlforge-body`, which
/// the local runner ends its own wrapper with.
pub fn source() -> &'static str {
    static SOURCE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let template = include_str!("mlforge_task.py");
        let mark = "# mlforge: FUNCTION_RESULT_PY\n";
        assert!(
            template.contains(mark),
            "mlforge_task.py marks where the wrapper ends"
        );
        template.replacen(mark, mlforge_body::FUNCTION_RESULT_PY, 1)
    });
    &SOURCE
}

/// The runtime's file name: the module name it is imported by.
pub const FILE_NAME: &str = "mlforge_task.py";

/// What the runtime needs to run one step: everything but the values, which reach it from
/// the engine when the task runs. Deterministic (maps sorted). The same for every step of
/// an op: see [`op_spec`].
pub fn task_spec(task: &Task) -> Value {
    op_spec(task.op)
}

/// The task spec of every step that runs `op`.
pub fn op_spec(op: &Op) -> Value {
    let body = if op.body.path.is_none() {
        json!({
            "template": Template::new(op.interpreter, &op.body.text, &op.body.interpolations),
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
