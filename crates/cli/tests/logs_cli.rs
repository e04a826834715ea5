//! Step output and logs, through the real binary: a step printing without end fills
//! neither the disk nor memory (its log keeps a head and a tail and says what was cut);
//! `mlforge logs` streams a log and says when it is empty or when an attempt does not
//! exist; `runs`, `show`, `logs`, `lineage` and `plan` read a store nobody may write to; a param
//! naming a device says so.

mod run_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use run_support::Scratch;

#[test]
fn a_step_printing_without_end_keeps_a_bounded_log_that_says_what_was_cut() {
    let s = Scratch::new();
    // 48 MiB of lines, then a last line and a failure: the failure's tail must show it.
    s.write(
        "p.mlf",
        r#"
op loud() -> (out: File) {
  shell """
    yes 'a line of output' | head -c 50331648
    echo 'the last line' >&2
    exit 3
  """
}
pipeline p() {
  step a = loud()
}
"#,
    );
    let ran = s.run(&["run", "p.mlf"]);
    ran.expect(1);
    assert!(ran.stderr.contains("the last line"), "{}", ran.stderr);
    let attempt = &s.attempts_of(1, "a")[0];
    let log = Path::new(attempt.log_path.as_deref().unwrap());
    let size = fs::metadata(log).unwrap().len();
    let bound = mlforge_runner::log::KEEP_HEAD + mlforge_runner::log::KEEP_TAIL as u64 + 1024;
    assert!(size <= bound, "the log holds {size} bytes");
    let text = fs::read_to_string(log).unwrap();
    assert!(text.starts_with("a line of output\n"));
    assert!(
        text.ends_with("the last line\n"),
        "{:?}",
        &text[text.len() - 200..]
    );
    let cut = text
        .lines()
        .find(|l| l.starts_with("[mlforge: the log was cut here"))
        .expect("the cut is said");
    assert!(cut.contains("first 16 MiB and the last 1 MiB"), "{cut}");
    // `mlforge logs` streams the same bytes.
    let shown = s.command(&["logs", "1", "a"]).output().unwrap();
    assert_eq!(shown.stdout.len() as u64, size);
}

#[test]
fn logs_says_when_a_log_is_empty_or_an_attempt_does_not_exist() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op quiet() -> (n: int) {
  shell """
    echo 1 > ${n}
  """
}
pipeline p() {
  step a = quiet()
}
"#,
    );
    s.run(&["run", "p.mlf"]).expect(0);
    let empty = s.run(&["logs", "1", "a"]);
    empty.expect(0);
    assert_eq!(empty.stdout, "");
    assert!(
        empty
            .stderr
            .contains("the log of a is empty: the step printed nothing"),
        "{}",
        empty.stderr
    );
    let missing = s.run(&["logs", "1", "a", "--attempt", "99"]);
    missing.expect(2);
    assert!(
        missing
            .stderr
            .contains("`a` in run 1 has no attempt 99; its attempts are 1"),
        "{}",
        missing.stderr
    );
    // A step that is not there is still named as such.
    let unknown = s.run(&["logs", "1", "zz", "--attempt", "1"]);
    assert!(
        unknown.stderr.contains("no record of `zz`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_param_naming_a_device_says_it_is_not_a_regular_file() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op count(x: File) -> (n: int) {
  shell """
    wc -c < ${x} > ${n}
  """
}
pipeline p(raw: File) {
  step c = count(x: raw)
}
"#,
    );
    let ran = s.run(&["run", "p.mlf", "--param", "raw=/dev/null"]);
    ran.expect(2);
    assert!(
        ran.stderr
            .contains("`/dev/null` is a device, not a regular file"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("folder"), "{}", ran.stderr);
}

/// Every entry under `dir` with its size and modification time.
fn snapshot(dir: &Path) -> Vec<(String, u64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).unwrap().flatten() {
            let meta = fs::symlink_metadata(entry.path()).unwrap();
            out.push((
                entry.path().display().to_string(),
                meta.len(),
                meta.mtime_nsec() + meta.mtime() * 1_000_000_000,
            ));
            if meta.is_dir() {
                todo.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

fn set_mode_tree(path: &Path, dirs: u32, files: u32) {
    let meta = fs::symlink_metadata(path).unwrap();
    if meta.is_dir() {
        fs::set_permissions(path, fs::Permissions::from_mode(dirs)).unwrap();
        for entry in fs::read_dir(path).unwrap().flatten() {
            set_mode_tree(&entry.path(), dirs, files);
        }
    } else if meta.is_file() {
        fs::set_permissions(path, fs::Permissions::from_mode(files)).unwrap();
    }
}

#[test]
fn history_commands_read_a_store_nobody_may_write_to() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op make() -> (out: File) {
  shell """
    echo data > ${out}
    echo made
  """
}
pipeline p() {
  step a = make()
}
"#,
    );
    s.run(&["run", "p.mlf"]).expect(0);
    let store = s.store_root();
    // The run removes its work folders in the background (moved to `trash/` first): wait
    // for that to end, or the snapshot below would catch it half way.
    let trash = store.join("trash");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while fs::read_dir(&trash).is_ok_and(|mut d| d.next().is_some()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the trash was never emptied"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    set_mode_tree(&store, 0o555, 0o444);
    fs::set_permissions(s.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let before = snapshot(&store);
    // Root may write anywhere; the commands run as `nobody` then, like a user reading a
    // store that is not theirs.
    let as_reader = |args: &[&str]| {
        let mut command = s.command(args);
        if nix::unistd::geteuid().is_root() {
            use std::os::unix::process::CommandExt;
            command.uid(65534).gid(65534);
        }
        command.env("HOME", s.path());
        let out = command.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for args in [
        &["runs"][..],
        &["show", "1"],
        &["show", "latest", "--format", "json"],
        &["logs", "1", "a"],
        &["lineage", "1/a.out"],
        &["store", "verify"],
        &["plan", "p.mlf"],
    ] {
        let (code, stdout, stderr) = as_reader(args);
        assert_eq!(code, Some(0), "{args:?}\n{stdout}\n{stderr}");
    }
    let (_, logged, _) = as_reader(&["logs", "1", "a"]);
    assert_eq!(logged, "made\n");
    assert_eq!(snapshot(&store), before, "the store was changed");
    set_mode_tree(&store, 0o755, 0o644);
}
