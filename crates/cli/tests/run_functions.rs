//! LANGUAGE.md §6.2–6.5 end to end with the real binary: `python def` bodies returning
//! every type, records and dicts included (and a wrong one), `list<File>` outputs of 0 and many files, project
//! modules imported by bodies, `uses` edits re-running exactly the dependants, `requires`
//! checked before any step, and side-effect ops that run every time.

mod run_support;

use run_support::{Ran, Scratch};

const FUNCTIONS: &str = r#"
op all_types(n: int, names: list<string>, data: File?) -> (
  count: int, ratio: float, ok: bool, label: string, xs: list<float>, maybe: int?,
  model: Model
) {
  python def """
    import math
    model.write_text("weights")
    return {"count": n * 2, "ratio": n / 4, "ok": data is None, "label": "-".join(names),
            "xs": [1, 2.5, math.inf], "maybe": None}
  """
}
op one(x: int) -> (doubled: int) {
  python def """
    return x * 2
  """
}
op reads(model: Model, doubled: int) -> (text: string) {
  python def """
    from pathlib import Path
    assert isinstance(model, Path), type(model)
    return model.read_text() + ":" + str(doubled)
  """
}
pipeline functions(n: int = 3) {
  step a = all_types(n: n, names: ["a", "b"])
  step o = one(x: a.count)
  step r = reads(model: a.model, doubled: o.doubled)
}
"#;

#[test]
fn function_bodies_return_every_type() {
    let s = Scratch::new();
    s.write("f.mlf", FUNCTIONS);
    s.run(&["run", "f.mlf", "--events", "json"]).expect(0);
    let run = s.latest_run().id;
    assert_eq!(s.output(run, "a", "", "count"), 6);
    assert_eq!(s.output(run, "a", "", "ratio"), 0.75);
    assert_eq!(s.output(run, "a", "", "ok"), true);
    assert_eq!(s.output(run, "a", "", "label"), "a-b");
    assert_eq!(
        s.output(run, "a", "", "xs"),
        serde_json::json!([1.0, 2.5, "inf"])
    );
    assert_eq!(s.output(run, "a", "", "maybe"), serde_json::Value::Null);
    assert_eq!(s.output(run, "o", "", "doubled"), 12);
    assert_eq!(s.output(run, "r", "", "text"), "weights:12");
}

#[test]
fn function_bodies_return_records_and_dicts() {
    let s = Scratch::new();
    s.write(
        "r.mlf",
        r#"
record Opts {
  size: float,
  tags: list<string> = [],
}
op make(n: int) -> (opts: Opts, counts: dict<int>) {
  python def """
    return {"opts": {"size": n / 2}, "counts": {"a": n}}
  """
}
op total(opts: Opts, counts: dict<int>) -> (sum: float) {
  python def """
    return opts["size"] + counts["a"]
  """
}
pipeline records(n: int = 3) {
  step m = make(n: n)
  step t = total(opts: m.opts, counts: m.counts)
}
"#,
    );
    s.run(&["run", "r.mlf"]).expect(0);
    let run = s.latest_run().id;
    assert_eq!(
        s.output(run, "m", "", "opts"),
        serde_json::json!({"size": 1.5, "tags": []})
    );
    assert_eq!(
        s.output(run, "m", "", "counts"),
        serde_json::json!({"a": 3})
    );
    assert_eq!(s.output(run, "t", "", "sum"), 4.5);
}

#[test]
fn a_wrong_or_missing_return_fails_the_step_naming_the_output_and_both_types() {
    let s = Scratch::new();
    s.write(
        "bad.mlf",
        r#"
op wrong(x: int) -> (n: int) {
  python def """
    return "three"
  """
}
op missing(x: int) -> (n: int, ok: bool) {
  python def """
    return {"n": x}
  """
}
op nothing(x: int) -> (n: int) {
  python def """
    print(x)
  """
}
pipeline bad() {
  step w = wrong(x: 1)
  step m = missing(x: 1)
  step z = nothing(x: 1)
}
"#,
    );
    let ran = s.run(&["run", "bad.mlf", "--events", "json", "--jobs", "3"]);
    ran.expect(1);
    let errors: Vec<(String, String)> = ran
        .events_of("step_failed")
        .iter()
        .map(|e| {
            (
                e["step"].as_str().unwrap().to_string(),
                e["error"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let error_of = |step: &str| {
        errors
            .iter()
            .find(|(s, _)| s == step)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("no failure of {step}: {errors:?}"))
    };
    assert_eq!(
        error_of("w"),
        "output `n` is declared `int`, but the function returned a str ('three')"
    );
    assert!(
        error_of("m").starts_with("output `ok` (bool) is missing from the dict"),
        "{}",
        error_of("m")
    );
    assert_eq!(
        error_of("z"),
        "output `n` is declared `int`, but the function returned None"
    );
}

const PARTS: &str = r#"
op split(n: int) -> (parts: list<File>, count: int) {
  python def """
    for i in reversed(range(n)):
        (parts / f"part-{i:02}.csv").write_text(f"row {i}\n")
    (parts / "sub").mkdir()
    return n
  """
}
op shell_split(n: int) -> (parts: list<Dataset>) {
  shell """
    i=0
    while [ $i -lt ${n} ]; do echo $i > ${parts}/p$i.txt; i=$((i + 1)); done
  """
}
op join(parts: list<File>) -> (text: string) {
  python def """
    return "|".join(p.read_text().strip() for p in parts)
  """
}
pipeline parts(n: int = 3) {
  step s = split(n: n)
  step j = join(parts: s.parts)
  step sh = shell_split(n: n)
  for p in sh.parts {
    step one = join(parts: [p])
  }
}
"#;

#[test]
fn list_of_file_outputs_are_folders_of_zero_or_many_files_in_name_order() {
    let s = Scratch::new();
    s.write("parts.mlf", PARTS);
    s.run(&["run", "parts.mlf"]).expect(0);
    let run = s.latest_run().id;
    assert_eq!(s.output(run, "j", "", "text"), "row 0|row 1|row 2");
    let parts = s.output(run, "s", "", "parts");
    let parts = parts.as_array().expect("a list");
    assert_eq!(parts.len(), 3, "the folder `sub` is not an element");
    assert_eq!(
        std::fs::read_to_string(s.artifact_path(&parts[1])).unwrap(),
        "row 1\n"
    );
    // A loop over the shell body's files: one instance each.
    assert_eq!(s.output(run, "one", "2", "text"), "2");
    s.assert_store_consistent();

    // No files: an empty list, and the loop has no instances.
    s.run(&["run", "parts.mlf", "--param", "n=0", "--events", "json"])
        .expect(0);
    let run = s.latest_run().id;
    assert_eq!(s.output(run, "s", "", "parts"), serde_json::json!([]));
    assert_eq!(s.output(run, "j", "", "text"), "");
}

const PROJECT: &str = r#"
op scale(x: float) -> (y: float) {
  uses = ["src/helpers.py"]
  python def """
    from src.helpers import factor
    return x * factor()
  """
}
op label(x: float) -> (text: string) {
  uses = ["src/labels/"]
  python file "src/label.py"
}
op plain(x: float) -> (z: float) {
  python def """
    return x + 1
  """
}
pipeline project(x: float = 2.0) {
  step s = scale(x: x)
  step l = label(x: x)
  step p = plain(x: x)
}
"#;

/// A project with helper modules: bodies import them (the project root and the body
/// file's folder are on `sys.path`).
fn project() -> Scratch {
    let s = Scratch::new();
    s.write("mlforge.toml", "");
    s.write("pipelines/project.mlf", PROJECT);
    s.write("pipelines/src/helpers.py", "def factor():\n    return 10\n");
    s.write("pipelines/src/labels/words.py", "WORD = 'big'\n");
    s.write(
        "pipelines/src/label.py",
        "import json, os\nfrom labels.words import WORD\nx = float(os.environ['MLFORGE_IN_X'])\n\
         open(os.environ['MLFORGE_OUT_TEXT'], 'w').write(f'{WORD} {x}')\n",
    );
    s
}

fn ran_steps(ran: &Ran) -> Vec<String> {
    let mut steps: Vec<String> = ran
        .events_of("step_succeeded")
        .iter()
        .map(|e| e["step"].as_str().unwrap().to_string())
        .collect();
    steps.sort();
    steps
}

#[test]
fn bodies_import_project_modules_and_uses_edits_rerun_exactly_the_dependants() {
    let s = project();
    let first = s.run(&["run", "pipelines/project.mlf", "--events", "json"]);
    first.expect(0);
    let run = s.latest_run().id;
    assert_eq!(s.output(run, "s", "", "y"), 20.0);
    assert_eq!(s.output(run, "l", "", "text"), "big 2.0");
    assert_eq!(ran_steps(&first), ["l", "p", "s"]);

    // Nothing changed: everything is cached.
    let again = s.run(&["run", "pipelines/project.mlf", "--events", "json"]);
    again.expect(0);
    assert!(ran_steps(&again).is_empty(), "{:?}", ran_steps(&again));

    // Editing the helper re-runs its dependant only, and plan says why.
    s.write(
        "pipelines/src/helpers.py",
        "def factor():\n    return 100\n",
    );
    let plan = s.run(&["plan", "pipelines/project.mlf"]);
    plan.expect(0);
    assert!(
        plan.stdout.contains("`uses` files changed"),
        "{}",
        plan.stdout
    );
    let edited = s.run(&["run", "pipelines/project.mlf", "--events", "json"]);
    edited.expect(0);
    assert_eq!(ran_steps(&edited), ["s"]);
    assert_eq!(s.output(s.latest_run().id, "s", "", "y"), 200.0);

    // A file added to a folder `uses` names re-runs the op that uses the folder.
    s.write("pipelines/src/labels/more.py", "X = 1\n");
    let added = s.run(&["run", "pipelines/project.mlf", "--events", "json"]);
    added.expect(0);
    assert_eq!(ran_steps(&added), ["l"]);

    // A `uses` path that is gone stops the run before any step.
    std::fs::remove_file(s.path().join("pipelines/src/helpers.py")).unwrap();
    let gone = s.run(&["run", "pipelines/project.mlf"]);
    gone.expect(2);
    assert!(
        gone.stderr
            .contains("op `scale` uses `pipelines/src/helpers.py`, which is not a file or folder"),
        "{}",
        gone.stderr
    );
}

#[test]
fn missing_requirements_stop_the_run_before_any_step_with_the_pip_command() {
    // The Python steps run with (`--python`'s default), and the version of pip it has: a
    // requirement it meets (`pip>=1`) and one it is too old for (`pip>=999`).
    let pip = std::process::Command::new("python3")
        .args([
            "-c",
            "from importlib import metadata; print(metadata.version('pip'))",
        ])
        .output()
        .expect("python3 runs");
    assert!(
        pip.status.success(),
        "python3 has no pip: {}",
        String::from_utf8_lossy(&pip.stderr)
    );
    let pip = String::from_utf8(pip.stdout).unwrap().trim().to_string();
    let s = Scratch::new();
    s.write(
        "req.mlf",
        r#"
op fit(x: int) -> (y: int) {
  requires = ["mlforge-no-such-package>=1.0", "pip>=1", "pip>=999"]
  python def """
    return x
  """
}
op other(x: int) -> (y: int) {
  requires = ["another-missing-package", "pip>=999"]
  python def """
    return x
  """
}
op free(x: int) -> (y: int) {
  python def """
    return x
  """
}
pipeline req() {
  step a = free(x: 0)
  step f = fit(x: a.y)
  step o = other(x: 2)
}
"#,
    );
    for command in ["run", "plan"] {
        let ran = s.run(&[command, "req.mlf"]);
        ran.expect(2);
        let wanted = format!(
            "the Python `python3` lacks packages the ops require: \
             another-missing-package (not installed; required by `other`), \
             mlforge-no-such-package>=1.0 (not installed; required by `fit`), \
             pip>=999 ({pip} is installed; required by `fit`, `other`); \
             install them with `python3 -m pip install another-missing-package 'mlforge-no-such-package>=1.0' 'pip>=999'`"
        );
        assert!(ran.stderr.contains(&wanted), "{command}: {}", ran.stderr);
        // One message, not one per op or per package.
        assert_eq!(
            ran.stderr.matches("lacks packages").count(),
            1,
            "{command}: {}",
            ran.stderr
        );
        assert!(
            !ran.stderr.contains("pip>=1 "),
            "{command}: a met requirement is named: {}",
            ran.stderr
        );
    }
    // Stopped before any step: no run, so no failed (or any) attempt, in the store.
    assert!(s.runs().is_empty(), "no run is recorded");
}

#[test]
fn a_side_effect_op_runs_every_time_and_is_never_shared() {
    let s = Scratch::new();
    s.write(
        "side.mlf",
        r#"
op make(x: int) -> (y: int) {
  python def """
    return x
  """
}
op announce(y: int) {
  python def """
    print("announcing", y)
  """
}
op remember(y: int) {
  cache = true
  python def """
    print("remembering", y)
  """
}
pipeline side() {
  step m = make(x: 1)
  step first = announce(y: m.y)
  step second = announce(y: m.y)
  step kept = remember(y: m.y)
}
"#,
    );
    let one = s.run(&["run", "side.mlf", "--events", "json", "--jobs", "1"]);
    one.expect(0);
    assert_eq!(ran_steps(&one), ["first", "kept", "m", "second"]);
    assert!(one.events_of("step_cached").is_empty());
    let two = s.run(&["run", "side.mlf", "--events", "json"]);
    two.expect(0);
    assert_eq!(ran_steps(&two), ["first", "second"]);
    let plan = s.run(&["plan", "side.mlf"]);
    assert!(
        plan.stdout.contains("runs for its side effects every time"),
        "{}",
        plan.stdout
    );
}

#[test]
fn an_op_runs_with_its_own_interpreter_and_shell_bodies_find_it_first_on_path() {
    let s = Scratch::new();
    let wrapper = s.write(
        "envs/eval/bin/python",
        "#!/bin/sh\nMLFORGE_TEST_ENV=eval exec python3 \"$@\"\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    s.write(
        "interp.mlf",
        r#"
op which_env() -> (name: string) {
  interpreter = "envs/eval/bin/python"
  python def """
    import os
    return os.environ.get("MLFORGE_TEST_ENV", "default")
  """
}
op default_env() -> (name: string) {
  python def """
    import os
    return os.environ.get("MLFORGE_TEST_ENV", "default")
  """
}
op shell_python() -> (found: string) {
  shell """
    command -v python > ${found}
  """
}
pipeline interp() {
  interpreter = "envs/eval/bin/python"
  step w = which_env()
  step sh = shell_python()
}
pipeline plain() {
  step d = default_env()
}
"#,
    );
    s.run(&["run", "interp.mlf", "--pipeline", "interp"])
        .expect(0);
    let run = s.latest_run().id;
    assert_eq!(s.output(run, "w", "", "name"), "eval");
    let found = s.output(run, "sh", "", "found");
    assert!(
        found.as_str().unwrap().ends_with("envs/eval/bin/python"),
        "{found}"
    );
    s.run(&["run", "interp.mlf", "--pipeline", "plain"])
        .expect(0);
    assert_eq!(s.output(s.latest_run().id, "d", "", "name"), "default");
}

const SECRETS: &str = r#"
op call_api(message: string) -> (sent: int) {
  env { API_TOKEN = secret("MLFORGE_TEST_TOKEN")  MESSAGE = message }
  python def """
    import os, sys
    token = os.environ["API_TOKEN"]
    print("calling with", token, "and", os.environ["MESSAGE"])
    print("token twice:", token + token, file=sys.stderr)
    return len(token)
  """
}
op shout(word: string) {
  env { TOKEN = secret("MLFORGE_TEST_TOKEN") }
  shell """
    echo "shell sees $TOKEN" ${word}
  """
}
pipeline secrets(message: string = "hello") {
  step c = call_api(message: message)
  step s = shout(word: message)
}
"#;

/// Every file under `dir`, read as bytes.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    out
}

#[test]
fn a_secret_is_masked_in_logs_and_absent_from_the_store_and_cache_keys() {
    let s = Scratch::new();
    s.write("secrets.mlf", SECRETS);
    let secret = "s3cr3t-Token-Value";

    // Not set: the run stops before any step, naming the secret and who reads it.
    for command in ["run", "plan"] {
        let unset = s.run(&[command, "secrets.mlf"]);
        unset.expect(2);
        assert!(
            unset.stderr.contains(
                "this secret is not set in the environment: `MLFORGE_TEST_TOKEN` (read by `call_api`, `shout`)"
            ),
            "{}",
            unset.stderr
        );
    }
    assert!(s.runs().is_empty());

    let ran = s
        .command(&["run", "secrets.mlf", "--events", "json"])
        .env("MLFORGE_TEST_TOKEN", secret)
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let run = s.latest_run().id;
    assert_eq!(s.output(run, "c", "", "sent"), secret.len());
    let logs: Vec<String> = files_under(&s.store_root().join("logs"))
        .into_iter()
        .map(|(_, bytes)| String::from_utf8(bytes).unwrap())
        .collect();
    let all = logs.join("\n");
    assert!(all.contains("calling with *** and hello"), "{all}");
    assert!(all.contains("token twice: ******"), "{all}");
    assert!(all.contains("shell sees *** hello"), "{all}");
    for (path, bytes) in files_under(&s.store_root()) {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is in {}",
            path.display()
        );
    }
    assert!(!String::from_utf8_lossy(&ran.stdout).contains(secret));

    // Another value of the secret does not change the cache key.
    let again = s
        .command(&["run", "secrets.mlf", "--events", "json"])
        .env("MLFORGE_TEST_TOKEN", "another-value")
        .output()
        .unwrap();
    assert!(again.status.success());
    let again = Ran {
        code: 0,
        stdout: String::from_utf8_lossy(&again.stdout).into_owned(),
        stderr: String::new(),
    };
    assert_eq!(again.events_of("step_cached").len(), 1, "`c` is cached");
    assert_eq!(ran_steps(&again), ["s"], "the side-effect op runs again");
}

#[test]
fn uses_refuses_a_device_instead_of_reading_it_forever() {
    let s = Scratch::new();
    s.write(
        "dev.mlf",
        r#"
op hash_me(x: int) -> (y: int) {
  uses = ["/dev/zero"]
  python def """
    return x
  """
}
pipeline dev() {
  step h = hash_me(x: 1)
}
"#,
    );
    let ran = s.run(&["run", "dev.mlf"]);
    ran.expect(2);
    assert!(
        ran.stderr
            .contains("op `hash_me` uses `/dev/zero`, which is not a file or folder"),
        "{}",
        ran.stderr
    );
}

#[test]
fn mlflow_gives_every_step_the_tracking_server_outside_the_cache_key() {
    let s = Scratch::new();
    s.write(
        "track.mlf",
        r#"
op where_to(n: int) -> (uri: string, experiment: string) {
  python def """
    import os
    return {"uri": os.environ.get("MLFLOW_TRACKING_URI", "unset"), "experiment": os.environ.get("MLFLOW_EXPERIMENT_NAME", "unset")}
  """
}
op pinned(n: int) -> (uri: string) {
  env { MLFLOW_TRACKING_URI = "http://pinned.example" }
  python def """
    import os
    return os.environ["MLFLOW_TRACKING_URI"]
  """
}
pipeline track() {
  step w = where_to(n: 1)
  step p = pinned(n: 1)
}
"#,
    );
    // Nothing listens on port 9: the run succeeds and its mirror fails afterwards.
    let first = s
        .command(&["run", "track.mlf", "--mlflow", "http://127.0.0.1:9"])
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_EXPERIMENT_NAME")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is recorded; mirror it later with"),
        "{stderr}"
    );
    let run = s.latest_run().id;
    assert_eq!(s.output(run, "w", "", "uri"), "http://127.0.0.1:9");
    // Without --mlflow-experiment, the experiment the mirror uses: the pipeline's name.
    assert_eq!(s.output(run, "w", "", "experiment"), "track");
    // An op's own `env` wins.
    assert_eq!(s.output(run, "p", "", "uri"), "http://pinned.example");

    // Another server or experiment is not another result: both steps come from the cache.
    let second = s
        .command(&[
            "run",
            "track.mlf",
            "--mlflow",
            "http://127.0.0.1:8",
            "--mlflow-experiment",
            "other",
        ])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    let run = s.latest_run().id;
    let statuses: Vec<_> = s.attempts(run).iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        [
            mlforge_store::AttemptStatus::Cached,
            mlforge_store::AttemptStatus::Cached
        ]
    );
    // Without --mlflow, steps see only what the runner's environment has.
    let plain = s
        .command(&["run", "track.mlf", "--no-cache"])
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_EXPERIMENT_NAME")
        .output()
        .unwrap();
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let run = s.latest_run().id;
    assert_eq!(s.output(run, "w", "", "uri"), "unset");
}
