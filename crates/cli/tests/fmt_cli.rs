//! End-to-end tests of `mlforge fmt`, running the real binary on files in a scratch folder.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const MESSY: &str = "pipeline p(a:int=1){\nstep s=f(x:a) // why\n      output o=s.y\n}\n";
const BROKEN: &str = "pipeline p( {\n";

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fmt_cli")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn mlforge(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the mlforge binary runs")
}

fn mlforge_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mlforge binary runs");
    child
        .stdin
        .take()
        .expect("a standard input")
        .write_all(input.as_bytes())
        .expect("the input is written");
    child.wait_with_output().expect("the binary ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn canonical(text: &str) -> String {
    mlforge_fmt::format(text).expect("the text formats")
}

/// The names in a folder, sorted (to see that no temporary file is left behind).
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("a readable folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// A folder with a messy file, a clean one, and a messy one in a subfolder.
fn project(name: &str) -> PathBuf {
    let dir = scratch(name);
    fs::write(dir.join("messy.mlf"), MESSY).unwrap();
    fs::write(dir.join("clean.mlf"), canonical(MESSY)).unwrap();
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("sub/deep.mlf"), MESSY).unwrap();
    fs::write(dir.join("notes.txt"), "not a .mlf file {").unwrap();
    dir
}

#[test]
fn check_lists_what_would_change_and_changes_nothing() {
    let dir = project("check");
    let output = mlforge(&dir, &["fmt", "--check"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "would reformat ./messy.mlf\nwould reformat ./sub/deep.mlf\n"
    );
    assert_eq!(fs::read_to_string(dir.join("messy.mlf")).unwrap(), MESSY);
    assert_eq!(fs::read_to_string(dir.join("sub/deep.mlf")).unwrap(), MESSY);

    // Only clean files: exit 0, nothing printed.
    let output = mlforge(&dir, &["fmt", "--check", "clean.mlf"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn rewrites_in_place() {
    let dir = project("rewrite");
    let output = mlforge(&dir, &["fmt", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "reformatted ./messy.mlf\nreformatted ./sub/deep.mlf\n"
    );
    for file in ["messy.mlf", "clean.mlf", "sub/deep.mlf"] {
        assert_eq!(
            fs::read_to_string(dir.join(file)).unwrap(),
            canonical(MESSY),
            "{file}"
        );
    }
    assert_eq!(
        fs::read_to_string(dir.join("messy.mlf")).unwrap(),
        "pipeline p(a: int = 1) {\n  step s = f(x: a)  // why\n  output o = s.y\n}\n"
    );
    // No temporary file is left behind.
    assert_eq!(names(&dir), ["clean.mlf", "messy.mlf", "notes.txt", "sub"]);
    assert_eq!(names(&dir.join("sub")), ["deep.mlf"]);

    // Formatted files stay as they are.
    let output = mlforge(&dir, &["fmt"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), "");
    let output = mlforge(&dir, &["fmt", "--check"]);
    assert_eq!(output.status.code(), Some(0));
}

#[cfg(unix)]
#[test]
fn rewriting_keeps_permissions_and_follows_links() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("permissions");
    let file = dir.join("real.mlf");
    fs::write(&file, MESSY).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("real.mlf", dir.join("link.mlf")).unwrap();

    let output = mlforge(&dir, &["fmt", "link.mlf"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(fs::symlink_metadata(dir.join("link.mlf"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(&file).unwrap(), canonical(MESSY));
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn broken_files_are_reported_and_left_alone() {
    let dir = project("broken");
    fs::write(dir.join("broken.mlf"), BROKEN).unwrap();

    for args in [&["fmt", "--check"][..], &["fmt"][..]] {
        let output = mlforge(&dir, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.starts_with("./broken.mlf:1:13: syntax error: "),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.ends_with(
                "error: 1 of 4 files could not be formatted and were left as they are\n"
            ),
            "{stderr}"
        );
        assert_eq!(fs::read_to_string(dir.join("broken.mlf")).unwrap(), BROKEN);
    }
    // The other files were formatted all the same.
    assert_eq!(
        fs::read_to_string(dir.join("messy.mlf")).unwrap(),
        canonical(MESSY)
    );
}

#[test]
fn missing_paths_and_empty_folders_are_errors() {
    let dir = scratch("missing");
    let output = mlforge(&dir, &["fmt", "nowhere.mlf"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot read `nowhere.mlf`"));
    let output = mlforge(&dir, &["fmt"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("holds no .mlf files"));
}

#[test]
fn standard_input_to_standard_output() {
    let output = mlforge_stdin(&["fmt", "-"], MESSY);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), canonical(MESSY));

    let output = mlforge_stdin(&["fmt", "--check", "-"], MESSY);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout), "would reformat -\n");

    let output = mlforge_stdin(&["fmt", "--check", "-"], &canonical(MESSY));
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), "");

    let output = mlforge_stdin(&["fmt", "-"], BROKEN);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(text(&output.stdout), "");
    assert!(text(&output.stderr).starts_with("-:1:13: syntax error: "));
}

#[test]
fn the_examples_are_formatted() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let output = mlforge(
        &examples,
        &["fmt", "--check", "quickstart.mlf", "compose.mlf", "wine"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn diff_prints_a_patch_that_git_apply_accepts_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let messy = "pipeline p(){\n}\n";
    std::fs::write(dir.path().join("a.mlf"), messy).unwrap();
    std::fs::write(dir.path().join("b.mlf"), "pipeline q() {}\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(["fmt", "--diff", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let diff = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        diff,
        "--- a/a.mlf\n+++ b/a.mlf\n@@ -1,2 +1 @@\n-pipeline p(){\n-}\n+pipeline p() {}\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.mlf")).unwrap(),
        messy
    );
    // The patch applies and gives the formatted file.
    std::fs::write(dir.path().join("fix.patch"), &diff).unwrap();
    if let Ok(status) = Command::new("git")
        .args(["apply", "fix.patch"])
        .current_dir(dir.path())
        .status()
    {
        assert!(status.success(), "git apply rejects the diff");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.mlf")).unwrap(),
            "pipeline p() {}\n"
        );
    }
    let clean = Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(["fmt", "--diff", "b.mlf"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0));
    assert!(clean.stdout.is_empty());
}
