//! One edit recomputes only what it touches: salsa's event log shows which queries ran.

use std::path::Path;
use std::sync::Arc;

use mlforge_analysis::{check_files, MemoryLoader, RootDatabase};

const OPS: &str = r#"
/// Loads a table.
op load(rows: int = 10) -> (table: Dataset) {
  python """
    open(${table}, "w").write("x\n" * ${rows})
  """
}
"#;

fn main_text(rows: u32) -> String {
    format!(
        r#"import "ops.mlf"

pipeline p(n: int = 3) {{
  step a = ops.load(rows: {rows})
  step b = local(data: a.table, n: n)
}}

/// Counts rows.
op local(data: Dataset, n: int) -> (count: int) {{
  python """
    open(${{count}}, "w").write(str(len(open(${{data}}).readlines()) * ${{n}}))
  """
}}
"#
    )
}

/// Two files, `main.mlf` importing `ops.mlf`, in a database that logs what runs.
fn workspace() -> (
    RootDatabase,
    mlforge_analysis::db::EventLog,
    mlforge_analysis::SourceFile,
) {
    let loader = MemoryLoader {
        files: [
            ("/w/ops.mlf".into(), OPS.to_string()),
            ("/w/main.mlf".into(), main_text(100)),
        ]
        .into_iter()
        .collect(),
    };
    let (mut db, log) = RootDatabase::with_event_log(Arc::new(loader));
    let main = db.reload(Path::new("/w/main.mlf"));
    (db, log, main)
}

fn executed(log: &mlforge_analysis::db::EventLog, query: &str) -> usize {
    log.lock()
        .unwrap()
        .iter()
        .filter(|e| e.starts_with(&format!("{query}(")))
        .count()
}

#[test]
fn editing_a_step_argument_reruns_only_that_file_and_pipeline() {
    let (mut db, log, main) = workspace();
    let first = check_files(&db, &[main]);
    assert!(first.iter().all(|(_, ds)| ds.is_empty()), "{first:?}");
    assert_eq!(
        executed(&log, "parse"),
        2,
        "both files parsed once: {:?}",
        log.lock().unwrap()
    );
    assert_eq!(executed(&log, "check_op"), 2);
    log.lock().unwrap().clear();

    // One character inside one step's arguments; the op after the pipeline moves by one byte.
    db.set_file_text(Path::new("/w/main.mlf"), Some(main_text(1000)));
    let second = check_files(&db, &[main]);
    assert!(second.iter().all(|(_, ds)| ds.is_empty()), "{second:?}");

    let ran = log.lock().unwrap().clone();
    assert_eq!(
        executed(&log, "parse"),
        1,
        "only the edited file is parsed again: {ran:?}"
    );
    assert_eq!(
        executed(&log, "analyze_pipeline"),
        1,
        "the edited pipeline is checked again: {ran:?}"
    );
    assert_eq!(
        executed(&log, "check_op"),
        0,
        "no op is checked again: {ran:?}"
    );
    assert_eq!(
        executed(&log, "op_syntax"),
        0,
        "the moved op is not re-read: {ran:?}"
    );
    assert_eq!(
        executed(&log, "op_signature"),
        0,
        "no signature is recomputed: {ran:?}"
    );
    assert_eq!(
        executed(&log, "file_diagnostics"),
        1,
        "the imported file's diagnostics are reused: {ran:?}"
    );
}

#[test]
fn editing_an_op_body_rechecks_that_op_only() {
    let (mut db, log, main) = workspace();
    check_files(&db, &[main]);
    log.lock().unwrap().clear();

    let edited = main_text(100).replace("readlines()", "readlines( )");
    db.set_file_text(Path::new("/w/main.mlf"), Some(edited));
    let result = check_files(&db, &[main]);
    assert!(result.iter().all(|(_, ds)| ds.is_empty()), "{result:?}");
    let ran = log.lock().unwrap().clone();
    assert_eq!(executed(&log, "check_op"), 1, "{ran:?}");
    assert_eq!(executed(&log, "op_signature"), 1, "{ran:?}");
    // The pipeline stands in the edited file, so it is checked again; its callees are not.
    assert_eq!(executed(&log, "analyze_pipeline"), 1, "{ran:?}");
}

#[test]
fn editing_an_imported_op_body_does_not_recheck_the_importing_pipeline() {
    let (mut db, log, main) = workspace();
    check_files(&db, &[main]);
    log.lock().unwrap().clear();

    db.set_file_text(
        Path::new("/w/ops.mlf"),
        Some(OPS.replace("\"x\\n\"", "\"y\\n\"")),
    );
    let result = check_files(&db, &[main]);
    assert!(result.iter().all(|(_, ds)| ds.is_empty()), "{result:?}");
    let ran = log.lock().unwrap().clone();
    assert_eq!(executed(&log, "parse"), 1, "{ran:?}");
    assert_eq!(executed(&log, "check_op"), 1, "{ran:?}");
    assert_eq!(
        executed(&log, "analyze_pipeline"),
        0,
        "the signature is unchanged: {ran:?}"
    );
}
