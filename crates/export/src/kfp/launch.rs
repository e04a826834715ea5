//! How an executor runs an op's body: `kfp_main.py` loads the shared task runtime
//! (`mlforge_task.py`, handed over as an argument) and runs the step with the op's task
//! spec and, through KFP's placeholders, each input's value or path and each output's
//! path.

use serde_json::Value;

use crate::plan::Task;

/// The adapter between KFP's arguments and the runtime's `run_step`.
pub const ADAPTER: &str = include_str!("kfp_main.py");

/// The container command: the adapter run by the image's `python3`, the runtime's source
/// as its first argument.
pub fn command() -> Value {
    Value::Array(
        ["python3", "-c", ADAPTER, crate::runtime::source()]
            .map(Value::from)
            .to_vec(),
    )
}

/// The task spec of an op (from one of its steps: the spec holds nothing that differs
/// between the steps of an op but the step's id, which an executor shared by them
/// leaves out).
pub fn task_spec(task: &Task) -> Value {
    let mut spec = crate::runtime::task_spec(task);
    if let Some(fields) = spec.as_object_mut() {
        fields.remove("step");
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    /// KFP rewrites placeholders anywhere in a command, so the two scripts it carries
    /// verbatim must hold none.
    #[test]
    fn the_scripts_in_the_command_hold_no_placeholder() {
        assert!(super::super::inert::is_inert(ADAPTER));
        assert!(super::super::inert::is_inert(crate::runtime::source()));
    }
}
