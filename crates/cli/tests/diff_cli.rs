//! End-to-end tests of `mlforge diff`, running the real binary: two files, a file against a
//! git revision (imports read at that revision), and `git diff` through the external diff
//! driver in a real repository.

use std::path::Path;
use std::process::Command;

mod run_support;

use run_support::{missing_tool, Scratch};

const LIB: &str = r#"op make(rows: int = 100) -> (table: Dataset) {
  python """
    open(${table}, "w").write("x\n" * ${rows})
  """
}
"#;

const MAIN: &str = r#"import "lib.mlf"

op train(data: Dataset, lr: float) -> (model: Model) {
  python """
    open(${model}, "w").write(str(${lr}))
  """
}

pipeline main(lr: float = 0.1) {
  step data = lib.make(rows: 50)
  step fit = train(data: data.table, lr: lr)
}
"#;

fn fixture(case: &str, side: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../diff/tests/fixtures")
        .join(case)
        .join(side)
        .join("main.mlf")
        .display()
        .to_string()
}

#[test]
fn exit_codes_say_whether_anything_changed() {
    let s = Scratch::new();
    let same = s.run(&[
        "diff",
        &fixture("reformat_only", "old"),
        &fixture("reformat_only", "new"),
    ]);
    same.expect(0);
    assert_eq!(same.stdout, "no semantic change\n");
    let changed = s.run(&[
        "diff",
        &fixture("rename_and_change", "old"),
        &fixture("rename_and_change", "new"),
    ]);
    changed.expect(1);
    assert!(
        changed
            .stdout
            .starts_with("+0 steps, −0, ~1 changed, 1 renamed; 5 steps will re-run\n"),
        "{}",
        changed.stdout
    );
    assert!(
        changed.stdout.contains("renamed from data; rows: 50 → 80"),
        "{}",
        changed.stdout
    );
    let missing = s.run(&["diff", &fixture("no_change", "old"), "nowhere.mlf"]);
    missing.expect(2);
    assert!(
        missing
            .stderr
            .contains("cannot read the new file `nowhere.mlf`"),
        "{}",
        missing.stderr
    );
    let broken = s.write("broken.mlf", "pipeline p() { step a = nothing() }\n");
    let bad = s.run(&[
        "diff",
        &fixture("no_change", "old"),
        broken.to_str().unwrap(),
    ]);
    bad.expect(2);
    assert!(bad.stderr.contains("has errors"), "{}", bad.stderr);
    s.run(&["diff", &fixture("no_change", "old")]).expect(2);
}

#[test]
fn every_format_prints() {
    let s = Scratch::new();
    let (old, new) = (fixture("add_step", "old"), fixture("add_step", "new"));
    let json = s.run(&["diff", &old, &new, "--format", "json"]);
    json.expect(1);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["pipelines"][0]["steps"]["audit"]["status"], "added");
    let md = s.run(&["diff", &old, &new, "--format", "md"]);
    assert!(
        md.stdout.contains("```mermaid\nflowchart TD\n"),
        "{}",
        md.stdout
    );
    let dot = s.run(&["diff", &old, &new, "--format", "dot"]);
    assert!(
        dot.stdout
            .contains("\"audit\"[label=\"audit\\nscore\" id=\"audit\" class=\"added\""),
        "{}",
        dot.stdout
    );
    mlforge_graph::parse_dot(&dot.stdout).expect("the DOT parses");
    let has_dot = Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if has_dot {
        let svg = s.run(&["diff", &old, &new, "--format", "svg"]);
        svg.expect(1);
        assert!(svg.stdout.contains("<svg"), "{}", svg.stdout);
    } else {
        missing_tool("Graphviz's `dot` is not installed; SVG not tested");
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository with `main.mlf` importing `lib.mlf`, committed once.
fn repository() -> Option<Scratch> {
    if Command::new("git").arg("--version").output().is_err() {
        missing_tool("git is not installed");
        return None;
    }
    let s = Scratch::new();
    s.write("lib.mlf", LIB);
    s.write("main.mlf", MAIN);
    git(s.path(), &["init", "-q"]);
    git(s.path(), &["config", "user.email", "t@example.com"]);
    git(s.path(), &["config", "user.name", "t"]);
    git(s.path(), &["add", "."]);
    git(s.path(), &["commit", "-qm", "first"]);
    Some(s)
}

#[test]
fn a_file_against_a_git_revision_reads_its_imports_at_that_revision() {
    let Some(s) = repository() else { return };
    s.run(&["diff", "--git", "HEAD", "main.mlf"]).expect(0);
    // Only the imported file changes: the old side must read it from HEAD, not the disk.
    s.write("lib.mlf", &LIB.replace("* ${rows}", "* ${rows} * 2"));
    let ran = s.run(&["diff", "--git", "HEAD", "main.mlf", "--format", "json"]);
    ran.expect(1);
    let value: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let p = &value["pipelines"][0];
    assert_eq!(p["file"], "main.mlf");
    assert_eq!(p["steps"]["data"]["status"], "unchanged");
    assert_eq!(p["steps"]["data"]["reasons"][0]["kind"], "op");
    assert_eq!(p["steps"]["fit"]["reasons"][0]["step"], "data");
    assert_eq!(p["ops"][0]["name"], "make");
    // Without files: every .mlf file; main.mlf changed through its import, and lib.mlf,
    // the only file that differs, defines no pipeline. A file broken in both versions is
    // skipped with a note.
    let broken = "pipeline p() { step a = nothing() }\n";
    s.write("broken.mlf", broken);
    git(s.path(), &["add", "broken.mlf"]);
    git(
        s.path(),
        &[
            "commit",
            "-qm",
            "an example of an error",
            "--",
            "broken.mlf",
        ],
    );
    let all = s.run(&["diff", "--git", "HEAD", "--format", "json"]);
    all.expect(1);
    assert!(
        all.stderr
            .contains("note: skipped 1 file with errors in both versions: `broken.mlf`"),
        "{}",
        all.stderr
    );
    let value: serde_json::Value = serde_json::from_str(&all.stdout).unwrap();
    assert_eq!(value["pipelines"].as_array().unwrap().len(), 1);
    assert_eq!(value["pipelines"][0]["file"], "main.mlf");
    // Broken by this change: an error, whoever named the file.
    s.write("broken.mlf", "pipeline p() {}\n");
    git(s.path(), &["commit", "-qm", "fixed", "--", "broken.mlf"]);
    s.write("broken.mlf", broken);
    let now_broken = s.run(&["diff", "--git", "HEAD"]);
    now_broken.expect(2);
    assert!(
        now_broken
            .stderr
            .contains("`broken.mlf` in the working tree has errors"),
        "{}",
        now_broken.stderr
    );
    s.write("broken.mlf", "pipeline p() {}\n");
    // Two revisions.
    git(s.path(), &["commit", "-qam", "second"]);
    let between = s.run(&["diff", "--git", "HEAD~1", "--to", "HEAD", "main.mlf"]);
    between.expect(1);
    assert!(
        between.stdout.contains("~ make changed: body changed"),
        "{}",
        between.stdout
    );
    let unknown = s.run(&["diff", "--git", "nope", "main.mlf"]);
    unknown.expect(2);
    assert!(
        unknown.stderr.contains("git knows no revision `nope`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn git_diff_shows_the_semantic_diff_through_the_driver() {
    let Some(s) = repository() else { return };
    s.write(".gitattributes", "*.mlf diff=mlforge\n");
    let command = format!("{} diff --git-external", env!("CARGO_BIN_EXE_mlforge"));
    git(s.path(), &["config", "diff.mlforge.command", &command]);
    s.write(
        "main.mlf",
        &MAIN.replace("step fit = train", "step model = train"),
    );
    let out = git(s.path(), &["diff"]);
    assert!(
        out.starts_with("+0 steps, −0, ~0 changed, 1 renamed; 0 steps will re-run\n"),
        "{out}"
    );
    assert!(out.contains("> model  renamed from fit"), "{out}");
    // A reformat only: git still lists the file, the driver says what it means.
    s.write("main.mlf", &MAIN.replace("step data = ", "step data  =  "));
    assert_eq!(git(s.path(), &["diff"]), "no semantic change\n");
    // A new file: no old side.
    s.write("extra.mlf", MAIN);
    git(s.path(), &["add", "extra.mlf"]);
    let added = git(s.path(), &["diff", "--cached"]);
    assert!(added.contains("+2 steps, −0"), "{added}");
    s.run(&["diff", "--git-external", "only-one"]).expect(2);
}

#[test]
fn the_external_driver_takes_gits_seven_or_nine_arguments() {
    let s = Scratch::new();
    let (old, new) = (fixture("rename_step", "old"), fixture("rename_step", "new"));
    let seven = s.run(&[
        "diff",
        "--git-external",
        "main.mlf",
        &old,
        "1111111",
        "100644",
        &new,
        "2222222",
        "100644",
    ]);
    // Changes, yet exit 0: git stops at an external diff that exits otherwise.
    seven.expect(0);
    assert!(
        seven
            .stdout
            .starts_with("+0 steps, −0, ~0 changed, 1 renamed; 0 steps will re-run\n"),
        "{}",
        seven.stdout
    );
    assert!(
        seven.stdout.contains("pipeline `main` in main.mlf"),
        "{}",
        seven.stdout
    );
    let nine = s.run(&[
        "diff",
        "--git-external",
        "old.mlf",
        &old,
        "1111111",
        "100644",
        &new,
        "2222222",
        "100644",
        "new.mlf",
        "similarity index 90%\n",
    ]);
    nine.expect(0);
    assert!(
        nine.stdout.contains("pipeline `main` in new.mlf"),
        "{}",
        nine.stdout
    );
    let created = s.run(&[
        "diff",
        "--git-external",
        "main.mlf",
        "/dev/null",
        ".",
        ".",
        &new,
        "2222222",
        "100644",
    ]);
    created.expect(0);
    assert!(
        created.stdout.starts_with("+5 steps, −0"),
        "{}",
        created.stdout
    );
}
