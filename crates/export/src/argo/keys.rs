//! Where each value lives in the artifact repository, and the names the workflow gives
//! parameters and paths. One function per kind of key, used by the template that writes it
//! and by every template that reads it, so the two cannot drift apart.
//!
//! Keys are key-only S3 artifacts (the bucket and credentials come from the namespace's
//! default artifact repository). A step instance's outputs sit under its step's prefix,
//! then one folder per enclosing `for` (the element's index), then the output's name:
//! `mlforge/<workflow>/fit/2/model`. A reader outside the loop downloads the step's prefix
//! as a folder and finds every element in it.

/// The argument holding a run's key: a digest of its params (see `setup.py`).
pub const RUN_KEY: &str = "run-key";

/// The task (and template) that writes the runtime into the repository.
pub const SETUP: &str = "mlforge--setup";

/// The entrypoint: the pipeline's top-level DAG.
pub const MAIN: &str = "mlforge--main";

/// Where the runtime is in every pod.
pub const SETUP_DIR: &str = "/mlforge/setup";

/// The parameter holding the index of the element of the `k`-th enclosing `for` (from 1).
pub fn index_param(k: usize) -> String {
    format!("i-{k}")
}

/// `/{{inputs.parameters.i-1}}/…/{{inputs.parameters.i-depth}}`: the instance's folder
/// below a prefix, for `depth` enclosing loops (empty at depth 0).
pub fn instance_path(depth: usize) -> String {
    (1..=depth)
        .map(|k| format!("/{{{{inputs.parameters.{}}}}}", index_param(k)))
        .collect()
}

/// The same indices joined by `.`, for memoization keys (which cannot hold `/`).
pub fn instance_tag(depth: usize) -> String {
    (1..=depth)
        .map(|k| format!(".{{{{inputs.parameters.{}}}}}", index_param(k)))
        .collect()
}

/// The key prefix of the runtime, written once per run.
pub fn setup_key() -> String {
    format!("mlforge/{{{{workflow.name}}}}/{SETUP}")
}

/// The prefix of a step's outputs. A memoized step's outputs are keyed by its memo key
/// (so a later run that reuses them finds them); others by the run. `run_key` is how the
/// template writing the key refers to the run key.
pub fn step_prefix(task_name: &str, memo: Option<&str>, run_key: &str) -> String {
    match memo {
        Some(memo) => format!("mlforge/memo/{memo}-{run_key}"),
        None => format!("mlforge/{{{{workflow.name}}}}/{task_name}"),
    }
}

/// The prefix of a `for` block's list, written by its items task.
pub fn items_prefix(block_name: &str) -> String {
    format!("mlforge/{{{{workflow.name}}}}/{block_name}--items")
}

/// The template and task names of what a block becomes. `--` cannot come out of
/// [`crate::names`] (it folds runs of `-`), so these never meet a step's name.
pub fn block_task(block_name: &str, is_for: bool) -> String {
    format!("{block_name}--{}", if is_for { "for" } else { "if" })
}

/// The task that evaluates a block's condition or list.
pub fn eval_task(block_name: &str, is_for: bool) -> String {
    format!("{block_name}--{}", if is_for { "items" } else { "when" })
}
