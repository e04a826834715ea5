//! `mlforge init` and `mlforge.toml`, end to end with the real binary: a new project runs
//! as it is, and the commands take their defaults from the settings file above them.

use std::path::Path;
use std::process::{Command, Output};

fn mlforge(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the mlforge binary runs")
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn init_then_run_in_the_new_folder_succeeds_and_then_comes_from_the_cache() {
    let scratch = tempfile::tempdir().unwrap();
    let said = ok(mlforge(scratch.path(), &["init", "demo"]));
    assert!(said.contains("created demo/mlforge.toml"), "{said}");
    assert!(said.contains("cd demo && mlforge run"), "{said}");
    let demo = scratch.path().join("demo");
    for file in [
        "mlforge.toml",
        "main.mlf",
        ".gitignore",
        ".vscode/settings.json",
        ".vscode/extensions.json",
    ] {
        assert!(demo.join(file).is_file(), "{file} was not written");
    }
    let first = ok(mlforge(&demo, &["run"]));
    assert!(first.contains("2 steps: 2 ran, 0 cached"), "{first}");
    assert!(demo.join(".mlforge/lineage.db").is_file());
    let second = ok(mlforge(&demo, &["run"]));
    assert!(second.contains("2 steps: 0 ran, 2 cached"), "{second}");
    // The first project is clean by the project's own checks.
    ok(mlforge(&demo, &["check"]));
    ok(mlforge(&demo, &["fmt", "--check"]));
    // From a subfolder, the project's main file and store are used.
    std::fs::create_dir(demo.join("notes")).unwrap();
    let third = ok(mlforge(&demo.join("notes"), &["run"]));
    assert!(third.contains("2 steps: 0 ran, 2 cached"), "{third}");
    assert!(!demo.join("notes/.mlforge").exists());
    let runs = ok(mlforge(&demo.join("notes"), &["runs"]));
    assert!(runs.lines().count() >= 3, "{runs}");
}

#[test]
fn init_never_overwrites() {
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(scratch.path().join("main.mlf"), "// mine\n").unwrap();
    let output = mlforge(scratch.path(), &["init"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`main.mlf` already exists") && stderr.contains("wrote nothing"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("main.mlf")).unwrap(),
        "// mine\n"
    );
    assert!(!scratch.path().join("mlforge.toml").exists());
}

#[test]
fn settings_give_the_interpreter_the_jobs_and_the_store() {
    let scratch = tempfile::tempdir().unwrap();
    let project = scratch.path();
    ok(mlforge(project, &["init"]));
    // An interpreter that leaves a mark, then runs python3.
    std::fs::create_dir(project.join("bin")).unwrap();
    let wrapper = project.join("bin/py");
    std::fs::write(
        &wrapper,
        "#!/bin/sh\ntouch \"$(dirname \"$0\")/used\"\nexec python3 \"$@\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        project.join("mlforge.toml"),
        "main = \"main.mlf\"\npython = \"bin/py\"\njobs = 1\nstore = \"runs\"\n",
    )
    .unwrap();
    std::fs::create_dir(project.join("sub")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .arg("run")
        .current_dir(project.join("sub"))
        .env_remove("MLFORGE_PYTHON")
        .output()
        .unwrap();
    let said = ok(output);
    assert!(said.contains("at most 1 running at once"), "{said}");
    assert!(project.join("bin/used").exists(), "bin/py did not run");
    assert!(project.join("runs/lineage.db").is_file());
    assert!(!project.join(".mlforge").exists());
    // --store and --jobs win over the file.
    let said = ok(mlforge(
        project,
        &["run", "--jobs", "2", "--store", "elsewhere", "--no-cache"],
    ));
    assert!(said.contains("at most 2 running at once"), "{said}");
    assert!(project.join("elsewhere/lineage.db").is_file());
}

#[test]
fn a_broken_settings_file_is_named_with_its_line() {
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(scratch.path().join("mlforge.toml"), "jobs = 2\njbos = 3\n").unwrap();
    std::fs::create_dir(scratch.path().join("sub")).unwrap();
    let output = mlforge(&scratch.path().join("sub"), &["runs"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("mlforge.toml: line 2, column 1: unknown field `jbos`"),
        "{stderr}"
    );
}

#[test]
fn run_without_a_file_outside_a_project_says_what_to_do() {
    let scratch = tempfile::tempdir().unwrap();
    let output = mlforge(scratch.path(), &["run"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("name the .mlf file") && stderr.contains("mlforge init"),
        "{stderr}"
    );
}
