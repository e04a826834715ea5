use mlforge_store::{ArtifactKind, Element, NewArtifact, NewAttempt, NewRun, RunStatus};

use super::*;

#[test]
fn derived_uuids_are_stable_and_well_formed() {
    let a = derived_uuid(&["u", "fit", "1", "1"]);
    assert_eq!(a, derived_uuid(&["u", "fit", "1", "1"]));
    assert_ne!(a, derived_uuid(&["u", "fit", "2", "1"]));
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "8");
    assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
}

#[test]
fn times_are_rfc3339_with_milliseconds() {
    assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
}

/// A run of two steps in a real (in-memory) lineage database: `prep` wrote artifact `h1`,
/// `fit[1]` read it and failed.
fn recorded() -> (Lineage, RunRecord) {
    let mut db = Lineage::open_in_memory().unwrap();
    let params = json!({});
    let run = db
        .write(|w| {
            w.begin_run(&NewRun {
                uuid: "run-uuid",
                pipeline: "train",
                file: "train.mlf",
                file_hash: "fh",
                program_hash: "ph",
                program_json: "{}",
                params: &params,
                options: &params,
                resumed_from: None,
                started_ms: 1_000,
                user: None,
                host: None,
                pid: None,
                git_commit: None,
            })
        })
        .unwrap();
    fn attempt<'a>(run_id: i64, step: &'a str, element: &'a Element, at: i64) -> NewAttempt<'a> {
        NewAttempt {
            run_id,
            step,
            element,
            attempt: 1,
            op: "op",
            started_ms: at,
            key: None,
            cached_from: None,
            log_path: None,
        }
    }
    let (none, one) = (Element::NONE, Element::new(vec![1]));
    db.write(|w| {
        let prep = w.start_attempt(&attempt(run, "prep", &none, 1_000))?;
        w.add_artifact(&NewArtifact {
            hash: "h1",
            kind: ArtifactKind::File,
            size: 1,
            type_name: "Table",
            name: None,
            produced_by: Some(prep),
        })?;
        w.add_output(prep, "table", &json!({"artifact": "h1"}), Some("h1"))?;
        w.add_output(prep, "rows", &json!(3), None)?;
        w.end_attempt(prep, AttemptStatus::Succeeded, Some(0), None)?;
        let fit = w.start_attempt(&attempt(run, "fit", &one, 2_000))?;
        w.add_consumed(fit, "data", "", "h1", Some((prep, "table")))?;
        w.add_consumed(fit, "again", "", "h1", Some((prep, "table")))?;
        // The same bytes as a param file: another dataset, named by its hash.
        w.add_consumed(fit, "raw", "", "h1", None)?;
        w.end_attempt(fit, AttemptStatus::Failed, Some(1), Some("boom"))?;
        w.end_run(run, RunStatus::Failed, None)
    })
    .unwrap();
    let record = db.run(run).unwrap().unwrap();
    (db, record)
}

#[test]
fn each_attempt_starts_and_ends_with_its_datasets() {
    let (db, run) = recorded();
    let events = run_events(&db, &run).unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["START", "COMPLETE", "START", "FAIL"]);
    assert_eq!(events[0]["job"]["name"], "train.prep");
    assert_eq!(events[0]["eventTime"], "1970-01-01T00:00:01.000Z");
    // Only artifacts are datasets, and only a completed run has outputs.
    assert_eq!(events[0]["outputs"], json!([]));
    let version = |name: &str| {
        json!({"namespace": "mlforge", "name": name, "facets": {"version": {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
            "datasetVersion": "h1",
        }}})
    };
    // A dataset is one step's output in one run, its hash the version.
    assert_eq!(events[1]["outputs"], json!([version("train/1/prep.table")]));
    // The output read twice is one input; the same bytes from a param file are another;
    // a failed run writes nothing.
    assert_eq!(
        events[3]["inputs"],
        json!([version("train/1/prep.table"), version("h1")])
    );
    assert_eq!(events[3]["outputs"], json!([]));
    // Both events of an attempt share its run id; attempts differ.
    assert_eq!(events[2]["run"], events[3]["run"]);
    assert_ne!(events[0]["run"], events[2]["run"]);
    assert_eq!(run_events(&db, &run).unwrap(), events);
}
