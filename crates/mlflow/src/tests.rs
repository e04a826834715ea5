//! The pure parts: keys, chunking, and the request bodies a small run becomes.

use mlforge_store::{
    ArtifactKind, ArtifactRecord, AttemptStatus, Element, MetricRecord, RunRecord, RunStatus,
};
use serde_json::json;

use super::*;

fn run_record(status: RunStatus) -> RunRecord {
    RunRecord {
        id: 7,
        uuid: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
        pipeline: "quickstart".into(),
        file: "examples/quickstart.mlf".into(),
        file_hash: "ab".repeat(32),
        program_hash: "cd".repeat(32),
        params: json!({
            "rates": [0.001, 0.01],
            "max_mse": 1.0,
            "name": "line-fit",
            "data": {"artifact": "ef".repeat(32), "path": "data.csv"},
        }),
        options: json!({}),
        resumed_from: None,
        started_ms: 1_700_000_000_000,
        ended_ms: Some(1_700_000_004_500),
        status,
        error: None,
        user: Some("ann".into()),
        host: Some("box".into()),
        pid: Some(42),
        git_commit: Some("1234abcd".into()),
    }
}

fn metric(step: &str, element: &str, name: &str, value: f64) -> MetricRecord {
    MetricRecord {
        attempt_id: 1,
        step: step.into(),
        element: Element::from_stored(element),
        output: "report".into(),
        name: name.into(),
        value,
    }
}

fn step(name: &str, element: &str, status: AttemptStatus) -> StepSnapshot {
    StepSnapshot {
        step: name.into(),
        element: Element::from_stored(element),
        attempt: 1,
        status,
        started_ms: 1_700_000_001_000,
        ended_ms: Some(1_700_000_002_000),
        metrics: Vec::new(),
        artifacts: Vec::new(),
        inputs: Vec::new(),
    }
}

fn small_run() -> RunSnapshot {
    let mut check = step("check", "1", AttemptStatus::Succeeded);
    check.metrics = vec![
        metric("check", "1", "mse", 0.25),
        // Characters MLflow does not allow in keys.
        metric("check", "1", "r²[test]", 0.5),
    ];
    // What it read, and whose output that was.
    check.inputs = vec![InputSnapshot {
        input: "model".into(),
        hash: "12".repeat(32),
        from: Some("fitted[1].model".into()),
    }];
    let mut fit = step("fitted", "1", AttemptStatus::Cached);
    fit.artifacts = vec![(
        "model".into(),
        ArtifactRecord {
            hash: "12".repeat(32),
            kind: ArtifactKind::File,
            size: 41,
            type_name: "Model".into(),
            name: None,
            produced_by: Some(3),
            created_ms: 1_700_000_001_500,
        },
    )];
    RunSnapshot {
        run: run_record(RunStatus::Succeeded),
        steps: vec![fit, check, step("release", "", AttemptStatus::Skipped)],
    }
}

#[test]
fn a_small_run_maps_to_these_requests() {
    let mapping = map_run(&small_run()).unwrap();
    let batches = batches(&mapping.params, &mapping.metrics, &mapping.tags);
    assert_eq!(batches.len(), 1);
    insta::assert_json_snapshot!(json!({
        "create": create_body("4", &mapping),
        "log_batch": log_batch_body("r1", &batches[0]),
        "update": update_body("r1", &mapping),
        "artifacts": mapping.artifacts,
        "notes": mapping.notes,
    }));
}

#[test]
fn statuses_map_to_mlflow_terminal_statuses() {
    for (status, expected) in [
        (RunStatus::Succeeded, Some("FINISHED")),
        (RunStatus::Failed, Some("FAILED")),
        (RunStatus::Cancelled, Some("KILLED")),
        (RunStatus::Interrupted, Some("KILLED")),
        (RunStatus::Running, None),
    ] {
        assert_eq!(mlflow_status(status), expected);
    }
    let mut running = small_run();
    running.run.status = RunStatus::Running;
    assert!(map_run(&running).is_none());
}

#[test]
fn an_interrupted_run_ends_when_its_last_step_did() {
    let mut run = small_run();
    run.run.status = RunStatus::Interrupted;
    run.run.ended_ms = None;
    run.steps[1].ended_ms = Some(1_700_000_009_000);
    let mapping = map_run(&run).unwrap();
    assert_eq!(mapping.end_time, 1_700_000_009_000);
    assert_eq!(mapping.status, "KILLED");
}

#[test]
fn a_failed_run_names_its_error_and_failed_steps() {
    let mut run = small_run();
    run.run.status = RunStatus::Failed;
    run.run.error = Some("step `check[1]` failed".into());
    run.steps[1].status = AttemptStatus::Failed;
    let mapping = map_run(&run).unwrap();
    let tag = |key: &str| {
        mapping
            .tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_str())
    };
    assert_eq!(mapping.status, "FAILED");
    assert_eq!(tag("mlforge.error"), Some("step `check[1]` failed"));
    assert_eq!(tag("mlforge.failed_steps"), Some("check/1"));
}

#[test]
fn keys_are_made_valid_for_mlflow() {
    assert_eq!(sanitize_key("check/1.report.mse"), "check/1.report.mse");
    assert_eq!(sanitize_key("fit[1,0]:acc"), "fit_1_0__acc");
    assert_eq!(sanitize_key("précision"), "pr_cision");
    // Not normalised paths: MLflow rejects them.
    assert_eq!(sanitize_key("/a//b/./c/../"), "_/a/_/b/_/c/_/_");
    assert_eq!(sanitize_key(""), "_");
    assert_eq!(sanitize_key("a b-c_d.e"), "a b-c_d.e");
    let long = "x".repeat(300);
    let cut = sanitize_key(&long);
    assert_eq!(cut.len(), MAX_KEY);
    assert_ne!(cut, sanitize_key(&"x".repeat(301)), "long keys stay apart");
    assert_eq!(instance_key("fit", &Element::NONE), "fit");
    assert_eq!(
        instance_key("te.fit", &Element::new(vec![1, 0])),
        "te.fit/1/0"
    );
}

#[test]
fn names_that_sanitise_alike_stay_apart() {
    let mut run = small_run();
    run.steps[1].metrics = vec![
        metric("check", "1", "a:b", 1.0),
        metric("check", "1", "a(b", 2.0),
    ];
    let mapping = map_run(&run).unwrap();
    let keys: Vec<&str> = mapping.metrics.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["check/1.report.a_b", "check/1.report.a_b_2"]);
    assert_eq!(mapping.notes.len(), 2, "{:?}", mapping.notes);
}

#[test]
fn nested_metric_names_keep_their_dots() {
    // A `Metrics` output's nested objects are stored as dotted names (`eval.prc.avg`);
    // MLflow gets the same name after the step and output, as `mlforge metrics` shows it.
    let mut run = small_run();
    run.steps[1].metrics = vec![metric("check", "1", "eval.prc.avg_prec", 0.8)];
    let mapping = map_run(&run).unwrap();
    let keys: Vec<&str> = mapping.metrics.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["check/1.report.eval.prc.avg_prec"]);
    assert!(mapping.notes.is_empty(), "{:?}", mapping.notes);
}

#[test]
fn long_values_are_cut_with_a_note() {
    let mut run = small_run();
    run.run.params = json!({ "text": "é".repeat(MAX_PARAM_VALUE + 1) });
    run.run.error = Some("e".repeat(MAX_TAG_VALUE * 2));
    let mapping = map_run(&run).unwrap();
    let param = &mapping.params[0].value;
    assert_eq!(param.chars().count(), MAX_PARAM_VALUE);
    assert!(param.ends_with("(truncated by mlforge)"));
    let error = mapping
        .tags
        .iter()
        .find(|t| t.key == "mlforge.error")
        .unwrap();
    assert_eq!(error.value.chars().count(), MAX_TAG_VALUE);
    assert!(mapping.notes.iter().any(|n| n.contains("param `text`")));
    assert!(mapping
        .notes
        .iter()
        .any(|n| n.contains("tag `mlforge.error`")));
}

#[test]
fn batches_respect_every_limit_and_keep_order() {
    let kv = |i: usize| KeyValue {
        key: format!("k{i}"),
        value: String::new(),
    };
    let params: Vec<KeyValue> = (0..250).map(kv).collect();
    let tags: Vec<KeyValue> = (0..130).map(kv).collect();
    let metrics: Vec<Metric> = (0..2500)
        .map(|i| Metric {
            key: format!("m{i}"),
            value: i as f64,
            timestamp: 0,
            step: 0,
        })
        .collect();
    let cut = batches(&params, &metrics, &tags);
    for b in &cut {
        assert!(b.params.len() <= MAX_PARAMS_PER_BATCH);
        assert!(b.tags.len() <= MAX_TAGS_PER_BATCH);
        assert!(b.metrics.len() <= MAX_METRICS_PER_BATCH);
        assert!(b.params.len() + b.tags.len() + b.metrics.len() <= MAX_ENTITIES_PER_BATCH);
        assert!(!(b.params.is_empty() && b.tags.is_empty() && b.metrics.is_empty()));
    }
    let sizes: Vec<(usize, usize, usize)> = cut
        .iter()
        .map(|b| (b.params.len(), b.metrics.len(), b.tags.len()))
        .collect();
    assert_eq!(
        sizes,
        [(100, 800, 100), (100, 870, 30), (50, 830, 0)],
        "full calls first"
    );
    let joined: Vec<&Metric> = cut.iter().flat_map(|b| b.metrics).collect();
    assert!(joined.iter().zip(&metrics).all(|(a, b)| a.key == b.key));
    assert_eq!(joined.len(), metrics.len());
    assert!(batches(&[], &[], &[]).is_empty());
}

#[test]
fn metric_values_that_are_not_finite_use_protobuf_names() {
    let m = |value: f64| {
        serde_json::to_value(Metric {
            key: "k".into(),
            value,
            timestamp: 0,
            step: 0,
        })
        .unwrap()["value"]
            .clone()
    };
    assert_eq!(m(0.5), json!(0.5));
    assert_eq!(m(f64::NAN), json!("NaN"));
    assert_eq!(m(f64::INFINITY), json!("Infinity"));
    assert_eq!(m(f64::NEG_INFINITY), json!("-Infinity"));
}

#[test]
fn params_are_strings() {
    assert_eq!(param_value(&json!("line-fit")), "line-fit");
    assert_eq!(param_value(&json!(1.0)), "1.0");
    assert_eq!(param_value(&json!([0.001, 0.01])), "[0.001,0.01]");
    assert_eq!(param_value(&json!(true)), "true");
}

#[test]
fn proxied_artifact_paths() {
    assert_eq!(
        proxied_artifact_path("mlflow-artifacts:/1/abc/artifacts").as_deref(),
        Some("1/abc/artifacts")
    );
    assert_eq!(
        proxied_artifact_path("mlflow-artifacts://127.0.0.1:5000/1/abc/artifacts").as_deref(),
        Some("1/abc/artifacts")
    );
    assert_eq!(
        proxied_artifact_path("file:///tmp/mlruns/1/abc/artifacts"),
        None
    );
    assert_eq!(proxied_artifact_path("s3://bucket/1/abc"), None);
    assert_eq!(proxied_artifact_path("mlflow-artifacts:"), None);
}

#[test]
fn the_search_filter_matches_the_run_id_tag() {
    assert_eq!(
        search_filter("0f8fad5b-d9cb"),
        r#"tags."mlforge.run_id" = '0f8fad5b-d9cb'"#
    );
}

#[test]
fn broken_off_mirrors_skip_what_was_logged() {
    let mut mapping = map_run(&small_run()).unwrap();
    let before = (mapping.params.len(), mapping.metrics.len());
    skip_logged(
        &mut mapping,
        &json!({
            "params": [{"key": "max_mse", "value": "1.0"}],
            "metrics": [{"key": "check/1.report.mse", "value": 0.25}],
        }),
    );
    assert_eq!(mapping.params.len(), before.0 - 1);
    assert_eq!(mapping.metrics.len(), before.1 - 1);
    assert!(mapping.params.iter().all(|p| p.key != "max_mse"));
}
