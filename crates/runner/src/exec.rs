//! One attempt of one step: a fresh folder, staged inputs, the body run in its own
//! process group under a keeper that no process of the step can escape (`contain.rs`),
//! outputs checked and moved into the store once every process of the step is gone.
//!
//! The attempt folder is the body's working folder. It holds only what the step needs:
//!
//! ```text
//! <attempt>/
//!   body.py             inline python bodies, `${…}` substituted (inline shell bodies run
//!                       with `sh -e -c`; very long ones are written to body.sh; `python
//!                       file` bodies run in place, so they import their neighbours)
//!   run.py, return.json `python def` bodies: the wrapper that calls the function, and
//!                       what it returned (`function.rs`)
//!   io.json             file bodies: {"inputs": {...}, "outputs": {...}}, named by MLFORGE_IO
//!   in/<input>[.ext]    read-only copies of input artifacts (lists: in/<input>/<i>[.ext])
//!   out/<output>        where each output is written (Dir and list<File> outputs: an
//!                       empty folder)
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::future::Future;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mlforge_ir::{EnvFrom, EnvValue, Interpreter, Op, Type};
use mlforge_store::{force_remove_dir, ArtifactKind, ArtifactStore, Element, Stored};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::sync::watch;

use crate::body::render;
use crate::value::{a_type, is_metrics, kind_of, parse_scalar_output, ArtifactRef, RValue};

/// Runs attempts of steps. [`Processes`] is the runner's: each attempt a process. The
/// scheduler sees only this trait, so tests can run it with an executor that runs nothing.
pub trait Executor: Send + Sync {
    /// Runs one attempt; `cancel` turning true asks it to stop.
    fn run(
        &self,
        spec: AttemptSpec,
        cancel: watch::Receiver<bool>,
    ) -> Pin<Box<dyn Future<Output = AttemptResult> + Send>>;
}

/// Each attempt is the op's body run in its own process group ([`run_attempt`]).
pub struct Processes;

impl Executor for Processes {
    fn run(
        &self,
        spec: AttemptSpec,
        cancel: watch::Receiver<bool>,
    ) -> Pin<Box<dyn Future<Output = AttemptResult> + Send>> {
        Box::pin(run_attempt(spec, cancel))
    }
}

/// Everything one attempt needs.
pub struct AttemptSpec {
    /// The step's id and element, and which attempt this is (from 1): what the attempt is
    /// of, for executors and messages.
    pub step: String,
    pub element: Element,
    pub attempt: u32,
    pub op: Arc<Op>,
    /// The attempt folder (absolute; must not exist yet).
    pub dir: PathBuf,
    pub log_path: PathBuf,
    /// Input values; artifacts as store references.
    pub inputs: BTreeMap<String, RValue>,
    /// The Python interpreter (the op's own, or the run's).
    pub python: String,
    pub timeout: Option<Duration>,
    pub artifacts: ArtifactStore,
    /// The project root (absolute): Python bodies import from it (LANGUAGE.md §6.4).
    pub project_root: Option<PathBuf>,
    /// The values of the secrets the run's ops read, by name: passed to the body's
    /// environment, and masked in its log.
    pub secrets: Arc<BTreeMap<String, String>>,
    /// Variables the body's environment gets besides the runner's own; the op's `env`
    /// wins over them. Not part of the cache key.
    pub step_env: Arc<BTreeMap<String, String>>,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecStatus {
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
}

/// An output written by an attempt.
#[derive(Clone, Debug)]
pub struct Produced {
    pub name: String,
    pub value: RValue,
    /// The stored objects: one for an artifact output, one per element for a list of
    /// artifacts.
    pub stored: Vec<Stored>,
    /// The declared kind, e.g. `Model`.
    pub type_name: String,
    /// Entries of a `Metrics` output.
    pub metrics: Vec<(String, f64)>,
}

/// What an attempt did.
#[derive(Clone, Debug)]
pub struct AttemptResult {
    pub status: ExecStatus,
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    pub outputs: Vec<Produced>,
    pub duration_ms: u64,
}

impl AttemptResult {
    fn failed(error: String, exit_code: Option<i32>, started: Instant) -> AttemptResult {
        AttemptResult {
            status: ExecStatus::Failed,
            exit_code,
            error: Some(error),
            outputs: Vec::new(),
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }
}

/// Prepared on the blocking pool: the command to run.
struct Prepared {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    work: PathBuf,
    log: fs::File,
    /// The values of the secrets the body reads: its output is masked on the way to the log.
    secrets: Vec<String>,
}

/// Runs one attempt. `cancel` turning true kills it.
pub async fn run_attempt(spec: AttemptSpec, mut cancel: watch::Receiver<bool>) -> AttemptResult {
    let started = Instant::now();
    let spec = Arc::new(spec);
    let prepared = {
        let spec = spec.clone();
        tokio::task::spawn_blocking(move || prepare(&spec))
            .await
            .unwrap_or_else(|e| Err(format!("preparing the attempt panicked: {e}")))
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(error) => return AttemptResult::failed(error, None, started),
    };
    // Standard output and error share one pipe (their order is kept), streamed into the
    // log within bounds (`log.rs`).
    let pipe = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(std::io::Error::from)
        .and_then(|(read, write)| Ok((read, write.try_clone()?, write)));
    let (output, stdout, stderr) = match pipe {
        Ok(ends) => ends,
        Err(e) => {
            return AttemptResult::failed(format!("cannot open the log's pipe: {e}"), None, started)
        }
    };
    let log = prepared.log;
    // The values of the secrets the step reads never reach its log (`mask.rs`).
    let masker = crate::mask::Masker::new(&prepared.secrets);
    let pump =
        tokio::task::spawn_blocking(move || crate::log::pump(fs::File::from(output), log, masker));
    let mut command = tokio::process::Command::new(&prepared.program);
    command
        .args(&prepared.args)
        .current_dir(&prepared.work)
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        .envs(prepared.env.iter().map(|(k, v)| (k, v)))
        .process_group(0)
        .kill_on_drop(true);
    crate::contain::keep(&mut command);
    let spawned = command.spawn();
    // The pipe's write ends now belong to the step alone: the log ends when it does.
    drop(command);
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                " (is it installed? set --python or MLFORGE_PYTHON to choose another)"
            } else {
                ""
            };
            return AttemptResult::failed(
                format!("cannot start `{}`: {e}{hint}", prepared.program),
                None,
                started,
            );
        }
    };
    // The step's first process keeps every other (`contain.rs`) and leads its group.
    let keeper = child.id();
    if let Some(keeper) = keeper {
        crate::reaper::guard(keeper);
    }
    let timeout = spec.timeout;
    let waited = tokio::select! {
        status = child.wait() => Ok(status),
        _ = async {
            match timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending().await,
            }
        } => Err(ExecStatus::TimedOut),
        _ = cancelled(&mut cancel) => Err(ExecStatus::Cancelled),
    };
    if waited.is_err() {
        if let Some(keeper) = keeper {
            crate::contain::stop(keeper);
        }
        // The keeper ends once every process of the step is gone; should it not (it was
        // stopped with SIGSTOP, say), its whole group is killed.
        if tokio::time::timeout(KEEPER_GRACE, child.wait())
            .await
            .is_err()
        {
            if let Some(keeper) = keeper {
                let _ = killpg(Pid::from_raw(keeper as i32), Signal::SIGKILL);
            }
            let _ = child.wait().await;
        }
    }
    if let Some(keeper) = keeper {
        // Nothing is left in the group now; the watchdog forgets it.
        let _ = killpg(Pid::from_raw(keeper as i32), Signal::SIGKILL);
        crate::reaper::release(keeper);
    }
    // Every writer is gone, so the log is complete once the pump has drained the pipe.
    match tokio::time::timeout(KEEPER_GRACE, pump).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => {
            return AttemptResult::failed(format!("cannot write the log: {e}"), None, started)
        }
        Ok(Err(_)) | Err(_) => {}
    }
    let status = match waited {
        Ok(status) => status,
        Err(kind) => {
            let error = match kind {
                ExecStatus::TimedOut => format!(
                    "timed out after {}",
                    crate::describe_duration(timeout.unwrap_or_default())
                ),
                _ => "cancelled".to_string(),
            };
            return AttemptResult {
                status: kind,
                exit_code: None,
                error: Some(error),
                outputs: Vec::new(),
                duration_ms: started.elapsed().as_millis() as u64,
            };
        }
    };
    let status = match status {
        Ok(status) => status,
        Err(e) => {
            return AttemptResult::failed(format!("waiting for the step: {e}"), None, started)
        }
    };
    if !status.success() {
        let error = match (status.code(), status.signal()) {
            (Some(code), _) => format!("exited with status {code}"),
            (None, Some(signal)) => format!("was killed by signal {signal}"),
            _ => "failed".to_string(),
        };
        return AttemptResult::failed(error, status.code(), started);
    }
    let collected = {
        let spec = spec.clone();
        tokio::task::spawn_blocking(move || collect(&spec))
            .await
            .unwrap_or_else(|e| Err(format!("collecting outputs panicked: {e}")))
    };
    match collected {
        Ok(outputs) => AttemptResult {
            status: ExecStatus::Succeeded,
            exit_code: Some(0),
            error: None,
            outputs,
            duration_ms: started.elapsed().as_millis() as u64,
        },
        Err(error) => AttemptResult::failed(error, Some(0), started),
    }
}

async fn cancelled(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Removes an attempt folder (after success).
pub fn remove_attempt_dir(dir: &Path) {
    let _ = force_remove_dir(dir);
}

/// Removes folders without making the run wait: they are renamed into `trash` (cheap),
/// and a detached `rm -rf` deletes them in the background. Freeing blocks can be slow
/// (file systems mounted with `discard` trim each one), and a run's result does not
/// depend on it. Anything left in `trash` (a killed `rm`) goes with the next call.
pub fn discard_later(dirs: Vec<PathBuf>, trash: &Path) {
    if dirs.is_empty() {
        return;
    }
    let bin = trash.join(format!(
        "{}.{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    if fs::create_dir_all(&bin).is_err() {
        dirs.iter().for_each(|d| remove_attempt_dir(d));
        return;
    }
    for (i, dir) in dirs.iter().enumerate() {
        if fs::rename(dir, bin.join(i.to_string())).is_err() {
            remove_attempt_dir(dir);
        }
    }
    // Staged inputs are read-only folders; `chmod -R u+w` first so `rm` can enter them.
    let spawned = std::process::Command::new("sh")
        .args([
            "-c",
            "chmod -R u+w -- \"$1\" 2>/dev/null; rm -rf -- \"$1\"/*",
            "mlforge-cleanup",
        ])
        .arg(trash)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    match spawned {
        // Not waited for: it outlives this process if it must (and is reaped by init).
        Ok(child) => drop(child),
        Err(_) => {
            let _ = force_remove_dir(&bin);
        }
    }
}

fn extension(name: Option<&str>) -> String {
    name.and_then(|n| Path::new(n).extension())
        .and_then(|e| e.to_str())
        .filter(|e| !e.is_empty() && e.len() <= 12)
        .map(|e| format!(".{e}"))
        .unwrap_or_default()
}

/// Stages a value's artifacts under `base`, returning the value with artifacts replaced
/// by their staged paths.
fn stage(value: &RValue, base: &Path, store: &ArtifactStore) -> Result<RValue, String> {
    match value {
        RValue::Artifact(a) => {
            let path = PathBuf::from(format!(
                "{}{}",
                base.display(),
                extension(a.name.as_deref())
            ));
            store.stage(&a.hash, a.kind, &path).map_err(|e| {
                format!(
                    "cannot stage artifact {} at {}: {e}",
                    &a.hash[..a.hash.len().min(12)],
                    path.display()
                )
            })?;
            Ok(RValue::Str(path.display().to_string()))
        }
        RValue::List(items) => {
            if items.iter().any(|i| !i.artifacts().is_empty()) {
                fs::create_dir_all(base).map_err(|e| e.to_string())?;
            }
            items
                .iter()
                .enumerate()
                .map(|(i, item)| stage(item, &base.join(i.to_string()), store))
                .collect::<Result<_, _>>()
                .map(RValue::List)
        }
        other => Ok(other.clone()),
    }
}

/// A value as an environment variable's text: strings as they are, lists as JSON.
fn env_text(value: &RValue) -> Option<String> {
    match value {
        RValue::Absent => None,
        RValue::Str(s) => Some(s.clone()),
        RValue::Bool(b) => Some(b.to_string()),
        RValue::Int(n) => Some(n.to_string()),
        RValue::Float(f) => Some(crate::quote::float_text(*f)),
        other => Some(plain_json(other).to_string()),
    }
}

/// JSON of a staged value (paths are strings).
fn plain_json(value: &RValue) -> serde_json::Value {
    match value {
        RValue::List(items) => serde_json::Value::Array(items.iter().map(plain_json).collect()),
        other => other.to_json(),
    }
}

/// How long a stopped step's keeper has to kill what is below it before its group is
/// killed outright.
const KEEPER_GRACE: Duration = Duration::from_secs(5);

/// Inline shell bodies up to this size are passed with `sh -c` (no file to create);
/// longer ones are written to `body.sh` (arguments are limited to 128 KiB).
const MAX_INLINE_ARG: usize = 100_000;

fn prepare(spec: &AttemptSpec) -> Result<Prepared, String> {
    let dir = &spec.dir;
    let io = |what: &str, e: std::io::Error| format!("cannot {what}: {e}");
    let op = &spec.op;
    // Only what is needed is created: every file costs an inode, and a run of many
    // small steps is dominated by that cost.
    fs::create_dir_all(dir).map_err(|e| io(&format!("create {}", dir.display()), e))?;
    let (inputs_dir, outputs_dir) = (dir.join("in"), dir.join("out"));
    let has_artifact_inputs = op.inputs.iter().any(|i| {
        spec.inputs
            .get(&i.name)
            .is_some_and(|v| !v.artifacts().is_empty())
    });
    if has_artifact_inputs {
        fs::create_dir(&inputs_dir).map_err(|e| io("create the inputs folder", e))?;
    }
    if !op.outputs.is_empty() {
        fs::create_dir(&outputs_dir).map_err(|e| io("create the outputs folder", e))?;
    }
    if let Some(parent) = spec.log_path.parent() {
        fs::create_dir_all(parent).map_err(|e| io("create the log folder", e))?;
    }
    let log = fs::File::create(&spec.log_path).map_err(|e| io("create the log", e))?;

    let mut values: BTreeMap<String, RValue> = BTreeMap::new();
    let mut env: Vec<(String, String)> = Vec::new();
    let mut io_inputs = serde_json::Map::new();
    let mut io_outputs = serde_json::Map::new();
    for input in &op.inputs {
        let value = spec
            .inputs
            .get(&input.name)
            .cloned()
            .unwrap_or(RValue::Absent);
        let staged = stage(&value, &inputs_dir.join(&input.name), &spec.artifacts)?;
        if let Some(text) = env_text(&staged) {
            env.push((format!("MLFORGE_IN_{}", input.name.to_uppercase()), text));
        }
        io_inputs.insert(input.name.clone(), plain_json(&staged));
        values.insert(input.name.clone(), staged);
    }
    for output in &op.outputs {
        let path = outputs_dir.join(&output.name);
        if is_folder_output(&output.ty) {
            fs::create_dir(&path).map_err(|e| io("create an output folder", e))?;
        }
        let text = path.display().to_string();
        env.push((
            format!("MLFORGE_OUT_{}", output.name.to_uppercase()),
            text.clone(),
        ));
        io_outputs.insert(output.name.clone(), serde_json::Value::String(text.clone()));
        values.insert(output.name.clone(), RValue::Str(text));
    }
    let inline = op.body.path.is_none();
    let body_file = op.body.path.as_ref().and_then(|p| {
        Path::new(&*op.source.file)
            .parent()
            .unwrap_or(Path::new(""))
            .join(p)
            .canonicalize()
            .ok()
    });
    if !inline {
        let io_path = dir.join("io.json");
        let io_json = serde_json::json!({"inputs": io_inputs, "outputs": io_outputs});
        fs::write(&io_path, io_json.to_string()).map_err(|e| io("write io.json", e))?;
        env.push(("MLFORGE_IO".into(), io_path.display().to_string()));
    }
    let text = if inline {
        render(
            op.interpreter,
            &op.body.text,
            &op.body.interpolations,
            &values,
        )?
    } else {
        op.body.text.to_string()
    };
    let (program, args) = match op.interpreter {
        Interpreter::Python if op.body.function => {
            fs::write(dir.join("body.py"), text).map_err(|e| io("write the body", e))?;
            let run = dir.join("run.py");
            fs::write(&run, crate::function::wrapper(op, &values))
                .map_err(|e| io("write the body's wrapper", e))?;
            (spec.python.clone(), vec![run.display().to_string()])
        }
        Interpreter::Python => {
            let body_path = match &body_file {
                // In place, so that it imports the modules beside it.
                Some(file) => file.clone(),
                None => {
                    let body_path = dir.join("body.py");
                    fs::write(&body_path, text).map_err(|e| io("write the body", e))?;
                    body_path
                }
            };
            (spec.python.clone(), vec![body_path.display().to_string()])
        }
        // `-e`: the step fails at the first command that fails.
        Interpreter::Shell if text.len() <= MAX_INLINE_ARG => (
            shell_program(),
            vec!["-e".into(), "-c".into(), text, op.name.clone()],
        ),
        Interpreter::Shell => {
            let body_path = dir.join("body.sh");
            fs::write(&body_path, text).map_err(|e| io("write the body", e))?;
            (
                shell_program(),
                vec!["-e".into(), body_path.display().to_string()],
            )
        }
    };
    if !op.env.contains_key("PYTHONUNBUFFERED") {
        env.push(("PYTHONUNBUFFERED".into(), "1".into()));
    }
    env.extend(search_paths(spec, body_file.as_deref()));
    env.extend(
        spec.step_env
            .iter()
            .filter(|(name, _)| !op.env.contains_key(*name))
            .map(|(name, value)| (name.clone(), value.clone())),
    );
    let mut secrets = Vec::new();
    for (name, value) in &op.env {
        let text = match value {
            EnvValue::Text(text) => Some(text.clone()),
            EnvValue::From(EnvFrom::Input { input }) => values.get(input).and_then(env_text),
            EnvValue::From(EnvFrom::Secret { secret }) => {
                let value = spec.secrets.get(secret).cloned().ok_or_else(|| {
                    format!("the secret `{secret}` is not set in the runner's environment")
                })?;
                secrets.push(value.clone());
                Some(value)
            }
        };
        if let Some(text) = text {
            env.push((name.clone(), text));
        }
    }
    Ok(Prepared {
        program,
        args,
        env,
        work: dir.clone(),
        log,
        secrets,
    })
}

/// Whether an output is written as a folder: `Dir`, and lists of artifacts (each file
/// left in the folder one element, LANGUAGE.md §6.2).
fn is_folder_output(ty: &Type) -> bool {
    match ty {
        Type::Artifact { .. } => kind_of(ty) == ArtifactKind::Dir,
        Type::List { of } => matches!(**of, Type::Artifact { .. }),
        _ => false,
    }
}

/// `PYTHONPATH` with the body's folder and the project root first (so bodies import the
/// project's modules), and `PATH` with the interpreter's folder first (so shell bodies run
/// the chosen Python and its tools).
fn search_paths(spec: &AttemptSpec, body_file: Option<&Path>) -> Vec<(String, String)> {
    let join = |first: Vec<PathBuf>, var: &str| -> Option<(String, String)> {
        if first.is_empty() {
            return None;
        }
        let rest = std::env::var_os(var).unwrap_or_default();
        let all = first.into_iter().chain(std::env::split_paths(&rest));
        std::env::join_paths(all)
            .ok()
            .map(|joined| (var.to_string(), joined.to_string_lossy().into_owned()))
    };
    let op = &spec.op;
    let body_folder = match body_file {
        Some(file) => file.parent().map(Path::to_path_buf),
        None => Path::new(&*op.source.file)
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .and_then(|p| p.canonicalize().ok()),
    };
    let python_path: Vec<PathBuf> = body_folder
        .into_iter()
        .chain(spec.project_root.clone())
        .collect();
    let interpreter_folder: Vec<PathBuf> = Some(Path::new(&spec.python))
        .filter(|p| p.is_absolute())
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .into_iter()
        .collect();
    join(python_path, "PYTHONPATH")
        .into_iter()
        .chain(join(interpreter_folder, "PATH"))
        .collect()
}

/// `sh`, resolved once to a full path (saves a search of PATH per step).
fn shell_program() -> String {
    static SHELL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SHELL
        .get_or_init(|| {
            ["/bin/sh", "/usr/bin/sh"]
                .into_iter()
                .find(|p| Path::new(p).exists())
                .unwrap_or("sh")
                .to_string()
        })
        .clone()
}

/// Scalar output files larger than this are refused.
const MAX_SCALAR_BYTES: u64 = 16 << 20;

fn collect(spec: &AttemptSpec) -> Result<Vec<Produced>, String> {
    let outputs_dir = spec.dir.join("out");
    // What a `python def` body returned, checked against the declared types first.
    let mut returned = if spec.op.body.function {
        let text = fs::read_to_string(spec.dir.join(crate::function::RETURN_FILE))
            .map_err(|e| format!("the function's result was not written: {e}"))?;
        crate::function::read_return(&spec.op, &text)?
    } else {
        BTreeMap::new()
    };
    // Check every output before storing any.
    enum Checked {
        Scalar(RValue),
        Artifact(Vec<(String, f64)>),
        /// A list of artifacts: the entries of its folder, in name order.
        Elements(Vec<PathBuf>),
    }
    let mut checked: Vec<(usize, Checked)> = Vec::new();
    for (i, output) in spec.op.outputs.iter().enumerate() {
        let name = &output.name;
        if let Some(value) = returned.remove(name) {
            checked.push((i, Checked::Scalar(value)));
            continue;
        }
        let path = outputs_dir.join(name);
        let Ok(meta) = fs::metadata(&path) else {
            return Err(format!("output `{name}` was not written"));
        };
        match &output.ty {
            Type::Artifact { .. } => {
                let want_dir = kind_of(&output.ty) == ArtifactKind::Dir;
                if want_dir && !meta.is_dir() {
                    return Err(format!(
                        "output `{name}` must be a folder, but a file was written"
                    ));
                }
                if !want_dir && !meta.is_file() {
                    return Err(format!(
                        "output `{name}` must be a file, but a folder was written"
                    ));
                }
                let metrics = if is_metrics(&output.ty) {
                    read_metrics(&path).map_err(|e| format!("output `{name}` (Metrics) {e}"))?
                } else {
                    Vec::new()
                };
                checked.push((i, Checked::Artifact(metrics)));
            }
            Type::List { of } if matches!(**of, Type::Artifact { .. }) => {
                if !meta.is_dir() {
                    return Err(format!(
                        "output `{name}` ({}) must be the folder `${{{name}}}` holding one file per element, but a file was written in its place",
                        output.ty
                    ));
                }
                let elements = list_elements(&path, kind_of(of))
                    .map_err(|e| format!("output `{name}` cannot be read: {e}"))?;
                checked.push((i, Checked::Elements(elements)));
            }
            ty => {
                if !meta.is_file() {
                    return Err(format!(
                        "output `{name}` must be a file holding {}",
                        a_type(ty)
                    ));
                }
                if meta.len() > MAX_SCALAR_BYTES {
                    return Err(format!("output `{name}` is larger than 16 MiB"));
                }
                let mut text = String::new();
                fs::File::open(&path)
                    .and_then(|mut f| f.read_to_string(&mut text))
                    .map_err(|e| format!("output `{name}` cannot be read as text: {e}"))?;
                let value =
                    parse_scalar_output(&text, ty).map_err(|e| format!("output `{name}` {e}"))?;
                checked.push((i, Checked::Scalar(value)));
            }
        }
    }
    let store = |path: &Path, kind: ArtifactKind, name: &str, hint: String| {
        let stored = spec
            .artifacts
            .ingest(path, kind)
            .map_err(|e| format!("cannot store output `{name}`: {e}"))?;
        let value = RValue::Artifact(ArtifactRef {
            hash: stored.hash.clone(),
            kind,
            name: Some(hint),
            from: None,
        });
        Ok::<_, String>((value, stored))
    };
    let mut produced = Vec::new();
    for (i, checked) in checked {
        let output = &spec.op.outputs[i];
        let name = &output.name;
        let kind = kind_of(&output.ty);
        let (value, stored, metrics) = match checked {
            Checked::Scalar(value) => (value, Vec::new(), Vec::new()),
            Checked::Artifact(metrics) => {
                let (value, stored) = store(&outputs_dir.join(name), kind, name, name.clone())?;
                (value, vec![stored], metrics)
            }
            Checked::Elements(paths) => {
                let mut values = Vec::new();
                let mut stored = Vec::new();
                for path in paths {
                    // The element keeps its file name, so that consumers see its extension.
                    let hint = path
                        .file_name()
                        .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
                    let (value, one) = store(&path, kind, name, hint)?;
                    values.push(value);
                    stored.push(one);
                }
                (RValue::List(values), stored, Vec::new())
            }
        };
        produced.push(Produced {
            name: name.clone(),
            value,
            stored,
            type_name: output.ty.to_string(),
            metrics,
        });
    }
    Ok(produced)
}

/// The elements a list-of-artifacts output's folder holds, in name order: its regular
/// files (or, for a list of `Dir`, its folders). Anything else there is not an element.
fn list_elements(folder: &Path, kind: ArtifactKind) -> std::io::Result<Vec<PathBuf>> {
    let mut elements = Vec::new();
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        let file_type = entry.file_type()?;
        let wanted = match kind {
            ArtifactKind::Dir => file_type.is_dir(),
            ArtifactKind::File => file_type.is_file(),
        };
        if wanted {
            elements.push(entry.path());
        }
    }
    elements.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(elements)
}

fn read_metrics(path: &Path) -> Result<Vec<(String, f64)>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot be read: {e}"))?;
    crate::metrics::parse(&text)
}

/// The last `n` lines of a log file.
pub fn log_tail(path: &Path, n: usize) -> Vec<String> {
    let Ok(mut file) = fs::File::open(path) else {
        return Vec::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(16 * 1024);
    use std::io::Seek;
    if file.seek(std::io::SeekFrom::Start(start)).is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(n);
    lines[skip..].iter().map(|l| l.to_string()).collect()
}
