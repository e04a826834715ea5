//! A store nothing can corrupt, through the real binary: a step that writes to its input
//! changes only its own copy; an artifact changed on disk is noticed, never used, and
//! produced again; `mlforge store verify [--repair]` and `mlforge store gc [--delete]`.

mod run_support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use run_support::Scratch;

/// `b` does to its input what a careless (or root) step can: make it writable and append.
const TAMPERING: &str = r#"
op make() -> (out: File) {
  shell """
    echo original > ${out}
  """
}
op use(x: File) -> (out: File) {
  shell """
    chmod u+w ${x} || true
    echo tampered >> ${x} || true
    cat ${x} > ${out}
  """
}
pipeline p() {
  step a = make()
  step b = use(x: a.out)
}
"#;

fn scribble(path: &Path, text: &str) {
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn a_step_writing_to_its_input_cannot_change_the_stored_artifact() {
    let s = Scratch::new();
    s.write("p.mlf", TAMPERING);
    s.run(&["run", "p.mlf"]).expect(0);
    let a = s.artifact_path(&s.output(1, "a", "", "out"));
    assert_eq!(fs::read_to_string(&a).unwrap(), "original\n");
    assert_eq!(fs::metadata(&a).unwrap().permissions().mode() & 0o222, 0);
    assert_eq!(
        fs::metadata(&a).unwrap().nlink(),
        1,
        "no link into a work folder"
    );
    // The step saw (and changed) its own copy.
    let b = s.artifact_path(&s.output(1, "b", "", "out"));
    assert_eq!(fs::read_to_string(b).unwrap(), "original\ntampered\n");
    s.assert_store_consistent();
    let verified = s.run(&["store", "verify"]);
    verified.expect(0);
    assert!(verified.stdout.contains("all sound"), "{}", verified.stdout);
}

#[test]
fn a_damaged_artifact_is_reported_never_used_and_produced_again() {
    let s = Scratch::new();
    s.write("p.mlf", TAMPERING);
    s.run(&["run", "p.mlf"]).expect(0);
    let a = s.artifact_path(&s.output(1, "a", "", "out"));
    scribble(&a, "poisoned\n");

    let verified = s.run(&["store", "verify"]);
    verified.expect(1);
    assert!(verified.stdout.contains("damaged: "), "{}", verified.stdout);
    assert!(
        verified.stdout.contains("recorded as 1/a.out"),
        "{}",
        verified.stdout
    );
    assert!(verified.stdout.contains("--repair"), "{}", verified.stdout);
    assert!(a.exists(), "verify without --repair changes nothing");

    // The next run does not take `a` from the cache: it runs it again, and its output
    // replaces the damaged object.
    let ran = s.run(&["run", "p.mlf", "--events", "json"]);
    ran.expect(0);
    let started: Vec<_> = ran
        .events_of("step_started")
        .iter()
        .map(|e| e["step"].as_str().unwrap().to_string())
        .collect();
    assert!(started.contains(&"a".to_string()), "{started:?}");
    assert_eq!(fs::read_to_string(&a).unwrap(), "original\n");
    let b = s.artifact_path(&s.output(2, "b", "", "out"));
    assert_eq!(fs::read_to_string(b).unwrap(), "original\ntampered\n");
    s.run(&["store", "verify"]).expect(0);

    // --repair moves a damaged object aside; the run after it produces it again.
    scribble(&a, "poisoned again\n");
    let repaired = s.run(&["store", "verify", "--repair"]);
    repaired.expect(0);
    assert!(repaired.stdout.contains("moved to "), "{}", repaired.stdout);
    assert!(!a.exists());
    let hash = a.file_name().unwrap();
    assert_eq!(
        fs::read_to_string(s.store_root().join("damaged").join(hash)).unwrap(),
        "poisoned again\n"
    );
    s.run(&["run", "p.mlf"]).expect(0);
    assert_eq!(fs::read_to_string(&a).unwrap(), "original\n");
    s.assert_store_consistent();
}

#[test]
fn a_damaged_param_file_in_the_store_is_replaced_on_import() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op count(x: File) -> (n: int) {
  shell """
    wc -l < ${x} | tr -d ' ' > ${n}
  """
}
pipeline p(raw: File) {
  step c = count(x: raw)
}
"#,
    );
    s.write("data.txt", "1\n2\n3\n");
    s.run(&["run", "p.mlf", "--param", "raw=data.txt"])
        .expect(0);
    let hash = mlforge_store::sha256_hex(b"1\n2\n3\n");
    let object = s
        .store_root()
        .join("artifacts")
        .join(&hash[..2])
        .join(&hash);
    scribble(&object, "1\n");
    s.run(&["run", "p.mlf", "--param", "raw=data.txt", "--no-cache"])
        .expect(0);
    assert_eq!(fs::read_to_string(&object).unwrap(), "1\n2\n3\n");
    assert_eq!(s.output(2, "c", "", "n"), serde_json::json!(3));
}

#[test]
fn gc_reports_by_default_and_keeps_every_recorded_artifact() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op make() -> (out: File) {
  shell """
    echo data > ${out}
  """
}
op fail(x: File) -> (out: File) {
  shell """
    exit 3
  """
}
pipeline p() {
  step a = make()
  step b = fail(x: a.out)
}
"#,
    );
    s.run(&["run", "p.mlf"]).expect(1);
    let kept = s.artifact_path(&s.output(1, "a", "", "out"));
    // An object no run recorded (as a run killed between storing and recording leaves).
    let orphan_hash = mlforge_store::sha256_hex(b"orphan");
    let orphan = s
        .store_root()
        .join("artifacts")
        .join(&orphan_hash[..2])
        .join(&orphan_hash);
    fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    fs::write(&orphan, "orphan").unwrap();
    let work = s.store_root().join("work").join("1");
    assert!(
        work.exists(),
        "the failed attempt's folder is kept for a look"
    );

    let dry = s.run(&["store", "gc"]);
    dry.expect(0);
    assert!(dry.stdout.contains("unrecorded object"), "{}", dry.stdout);
    assert!(dry.stdout.contains("work folder"), "{}", dry.stdout);
    assert!(dry.stdout.contains("nothing was changed"), "{}", dry.stdout);
    assert!(orphan.exists() && work.exists());

    let deleted = s.run(&["store", "gc", "--delete"]);
    deleted.expect(0);
    assert!(
        deleted.stdout.contains("removed 2 entries"),
        "{}",
        deleted.stdout
    );
    assert!(!orphan.exists() && !work.exists());
    assert!(kept.exists(), "a recorded artifact is kept");
    let again = s.run(&["store", "gc"]);
    assert!(
        again.stdout.contains("nothing to collect"),
        "{}",
        again.stdout
    );
    s.assert_store_consistent();
}
