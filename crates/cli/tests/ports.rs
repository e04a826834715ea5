//! The four ports of issue 18 (examples/ports/): Kedro's spaceflights, DVC's get-started,
//! a Kubeflow sample with loops and conditions, and Airflow's TaskFlow examples, each
//! written in the first edition of the language and again in the second. Every program
//! checks clean, is formatted, runs with the results its generated data implies, and both
//! editions of a port give the same results. The Kedro and DVC ports need pandas and
//! scikit-learn (see `python_with_pandas`); the other two run with plain python3.

mod run_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mlforge_store::{AttemptStatus, RunStatus};
use run_support::{python_with_pandas, status_of, Scratch};

const PORTS: [&str; 4] = [
    "spaceflights",
    "get_started",
    "loops_conditions",
    "taskflow",
];

fn port_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/ports")
        .join(name)
}

/// A scratch folder holding a copy of every file of the port.
fn copy_port(name: &str) -> Scratch {
    let s = Scratch::new();
    for entry in std::fs::read_dir(port_dir(name)).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        s.write(&file, &std::fs::read_to_string(&path).unwrap());
    }
    s
}

/// Runs `mlforge ARGS` and returns the id of the run it recorded.
fn run_ok(s: &Scratch, args: &[&str]) -> i64 {
    s.run(args).expect(0);
    let run = s.latest_run();
    assert_eq!(run.status, RunStatus::Succeeded);
    run.id
}

/// Every value output (not artifacts) of a run, as `step[element].output` → value, from
/// the attempts that have results (ran or reused).
fn values(s: &Scratch, run: i64) -> BTreeMap<String, serde_json::Value> {
    let lineage = s.lineage();
    let mut out = BTreeMap::new();
    for attempt in lineage.attempts(run).unwrap() {
        if !attempt.status.has_outputs() {
            continue;
        }
        for output in lineage.outputs(attempt.id).unwrap() {
            if output.value.get("artifact").is_none() {
                let name = attempt.element.instance_name(&attempt.step);
                out.insert(format!("{name}.{}", output.name), output.value);
            }
        }
    }
    out
}

/// The instances of a step in a run, by status.
fn count(s: &Scratch, run: i64, step: &str, status: AttemptStatus) -> usize {
    status_of(&s.attempts(run), step)
        .into_iter()
        .filter(|st| *st == status)
        .count()
}

/// The instances of a step in a run that have results (ran, or reused from the cache).
fn with_results(s: &Scratch, run: i64, step: &str) -> usize {
    status_of(&s.attempts(run), step)
        .into_iter()
        .filter(|st| st.has_outputs())
        .count()
}

/// The metrics of a run, as `STEP.OUTPUT.NAME` → value.
fn metrics(s: &Scratch, run: i64) -> BTreeMap<String, f64> {
    s.lineage()
        .run_metrics(run)
        .unwrap()
        .into_iter()
        .map(|m| (format!("{}.{}.{}", m.step, m.output, m.name), m.value))
        .collect()
}

#[test]
fn every_port_checks_clean_and_is_formatted_in_both_editions() {
    for port in PORTS {
        let dir = port_dir(port);
        for file in ["first.mlf", "second.mlf"] {
            let ran = run_support::mlforge()
                .args(["check", "--format", "json", file])
                .current_dir(&dir)
                .output()
                .unwrap();
            let report: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
            assert_eq!(ran.status.code(), Some(0), "{port}/{file}: {report}");
            assert_eq!(
                report["diagnostics"],
                serde_json::json!([]),
                "{port}/{file} must check with no diagnostic at all"
            );
            let fmt = run_support::mlforge()
                .args(["fmt", "--check", file])
                .current_dir(&dir)
                .output()
                .unwrap();
            assert_eq!(
                fmt.status.code(),
                Some(0),
                "{port}/{file} is not formatted: {}",
                String::from_utf8_lossy(&fmt.stdout)
            );
        }
    }
}

#[test]
fn every_pipeline_of_the_ports_compiles_and_draws() {
    let pipelines = [
        (
            "spaceflights",
            &["spaceflights", "data_processing", "data_science"][..],
        ),
        ("get_started", &["get_started"]),
        ("loops_conditions", &["loops_and_conditions"]),
        (
            "taskflow",
            &["tutorial_taskflow_api", "example_dynamic_task_mapping"],
        ),
    ];
    for (port, names) in pipelines {
        for file in ["first.mlf", "second.mlf"] {
            for name in names {
                for command in [&["ir"][..], &["graph", "--format", "json"]] {
                    let args = [command, &[file, "--pipeline", name]].concat();
                    let ran = run_support::mlforge()
                        .args(&args)
                        .current_dir(port_dir(port))
                        .output()
                        .unwrap();
                    assert_eq!(
                        ran.status.code(),
                        Some(0),
                        "{port}: mlforge {}: {}",
                        args.join(" "),
                        String::from_utf8_lossy(&ran.stderr)
                    );
                    let _: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
                }
            }
        }
    }
}

/// The R² a least-squares fit can reach on the generated shuttles: the price is
/// `800·engines + 150·seats + 300·crew + 400·d_check + 250·moon + 600·iata + 2000·rating
/// + 20·review` plus noise of sd 600, each feature drawn uniformly (see `generate`).
fn spaceflights_expected_r2() -> f64 {
    // Variance of a uniform integer on a..=b: ((b - a + 1)² - 1) / 12.
    let uniform = |a: f64, b: f64| ((b - a + 1.0).powi(2) - 1.0) / 12.0;
    let signal = 800f64.powi(2) * uniform(1.0, 4.0)
        + 150f64.powi(2) * uniform(2.0, 8.0)
        + 300f64.powi(2) * uniform(1.0, 6.0)
        + (400f64.powi(2) + 250f64.powi(2) + 600f64.powi(2)) * 0.25
        + 2000f64.powi(2) * uniform(50.0, 100.0) / 100f64.powi(2)
        + 20f64.powi(2) * uniform(60.0, 100.0);
    signal / (signal + 600f64.powi(2))
}

#[test]
fn spaceflights_fits_the_price_the_data_implies_in_both_editions() {
    let Some(python) = python_with_pandas() else {
        return;
    };
    let s = copy_port("spaceflights");
    let py = ["--pipeline", "spaceflights", "--python", &python];
    let first = run_ok(&s, &[&["run", "first.mlf"][..], &py].concat());
    let second = run_ok(
        &s,
        &[
            &["run", "second.mlf", "--params", "params.yaml"][..],
            &py,
            &["--publish", "published"],
        ]
        .concat(),
    );

    let r2 = s
        .output(second, "ds.evaluate", "", "r2_score")
        .as_f64()
        .unwrap();
    let expected = spaceflights_expected_r2();
    assert!(
        (r2 - expected).abs() < 0.05,
        "R² {r2}, the data implies {expected}"
    );
    let m = metrics(&s, second);
    assert_eq!(m["ds.evaluate.metrics.r2_score"], r2);
    // The mean absolute error of Gaussian noise of sd 600 is 600·√(2/π).
    let mae = m["ds.evaluate.metrics.mae"];
    let noise_mae = 600.0 * (2.0 / std::f64::consts::PI).sqrt();
    assert!((mae / noise_mae - 1.0).abs() < 0.1, "MAE {mae}");
    // About 90% of the 1,000 shuttles have a review; the others leave the table.
    let rows = s.output(second, "dp.table", "", "rows").as_i64().unwrap();
    assert!((850..=950).contains(&rows), "{rows} rows");

    // Both editions compute the same numbers from the same data.
    assert_eq!(metrics(&s, first), m);
    assert_eq!(s.output(first, "dp.table", "", "rows"), rows);

    // --publish wrote the outputs; `get` copies the same regressor out of the store.
    let published = s.path().join("published");
    assert_eq!(
        std::fs::read_to_string(published.join("r2_score"))
            .unwrap()
            .trim()
            .parse::<f64>()
            .unwrap(),
        r2
    );
    s.run(&["get", "latest/ds.train.regressor", "-o", "regressor.pickle"])
        .expect(0);
    let model = std::fs::read(s.path().join("regressor.pickle")).unwrap();
    assert_eq!(model, std::fs::read(published.join("regressor")).unwrap());
    assert_eq!(model[0], 0x80, "a pickle");

    // `uses`: editing helpers.py re-runs the two ops that import it, and nothing else
    // (their outputs are the same, so the table is reused).
    let helpers = s.path().join("helpers.py");
    let text = std::fs::read_to_string(&helpers).unwrap();
    std::fs::write(&helpers, format!("{text}\n# edited\n")).unwrap();
    let third = run_ok(
        &s,
        &[&["run", "second.mlf", "--params", "params.yaml"][..], &py].concat(),
    );
    for step in ["dp.companies_done", "dp.shuttles_done"] {
        assert_eq!(
            count(&s, third, step, AttemptStatus::Succeeded),
            1,
            "{step}"
        );
    }
    for step in ["raw", "dp.table", "ds.split", "ds.train", "ds.evaluate"] {
        assert_eq!(count(&s, third, step, AttemptStatus::Cached), 1, "{step}");
    }
    s.assert_store_consistent();
}

#[test]
fn get_started_reruns_only_what_a_changed_param_reads_and_diffs_nested_metrics() {
    let Some(python) = python_with_pandas() else {
        return;
    };
    let s = copy_port("get_started");
    let py = ["--python", python.as_str()];
    let first = run_ok(&s, &[&["run", "first.mlf"][..], &py].concat());
    let second_args = [&["run", "second.mlf", "--params", "params.yaml"][..], &py].concat();
    let second = run_ok(&s, &second_args);

    // The nested metrics of the second edition are the flat ones of the first.
    let flat = metrics(&s, first);
    let nested = metrics(&s, second);
    assert_eq!(nested.len(), 4);
    for (name, value) in &nested {
        let flat_name = name
            .replace("avg_prec.", "avg_prec_")
            .replace("roc_auc.", "roc_auc_");
        assert_eq!(flat[&flat_name], *value, "{name}");
    }
    // The posts lean towards their tag: the forest separates them well but not perfectly
    // on the held-out part, and fits its own training part at least as well.
    let test_auc = nested["evaluated.metrics.roc_auc.test"];
    assert!((0.8..1.0).contains(&test_auc), "test ROC AUC {test_auc}");
    assert!(nested["evaluated.metrics.roc_auc.train"] >= test_auc);
    assert!((0.6..1.0).contains(&nested["evaluated.metrics.avg_prec.test"]));

    // A changed `train.n_est` re-runs the training and the evaluation only.
    let params = s.path().join("params.yaml");
    let text = std::fs::read_to_string(&params).unwrap();
    assert!(text.contains("n_est: 50"));
    std::fs::write(&params, text.replace("n_est: 50", "n_est: 100")).unwrap();
    let plan = s.run(&[&["plan", "second.mlf", "--params", "params.yaml"][..], &py].concat());
    plan.expect(0);
    assert!(
        plan.stdout.contains("3 cached, 1 will run"),
        "{}",
        plan.stdout
    );
    // The record param is described by the field that changed.
    assert!(
        plan.stdout
            .contains("param changed (params.n_est: 50 → 100)"),
        "{}",
        plan.stdout
    );
    let third = run_ok(&s, &second_args);
    for step in ["data", "prepared", "featurized"] {
        assert_eq!(count(&s, third, step, AttemptStatus::Cached), 1, "{step}");
    }
    for step in ["trained", "evaluated"] {
        assert_eq!(
            count(&s, third, step, AttemptStatus::Succeeded),
            1,
            "{step}"
        );
    }

    // `metrics` and `runs diff` show the nested names moving, like `dvc metrics diff`.
    let shown = s.run(&[
        "metrics",
        &second.to_string(),
        &third.to_string(),
        "--format",
        "json",
    ]);
    shown.expect(0);
    let shown: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let after = metrics(&s, third);
    let row = |name: &str| {
        shown["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .unwrap_or_else(|| panic!("no {name} in {shown}"))["values"]
            .clone()
    };
    let name = "evaluated.metrics.avg_prec.test";
    assert_eq!(row(name), serde_json::json!([nested[name], after[name]]));
    let diff = s.run(&[
        "runs",
        "diff",
        &second.to_string(),
        &third.to_string(),
        "--format",
        "json",
    ]);
    diff.expect(0);
    let diff: serde_json::Value = serde_json::from_str(&diff.stdout).unwrap();
    assert_eq!(
        diff["counts"],
        serde_json::json!({"different": 2, "same": 3})
    );
    let moved = diff["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap();
    assert_eq!(moved["delta"].as_f64().unwrap(), after[name] - nested[name]);
    s.assert_store_consistent();
}

/// The lines both editions of the Kubeflow port give: every step of the original, not
/// the first edition's helper steps.
fn kubeflow_lines(s: &Scratch, run: i64) -> BTreeMap<String, serde_json::Value> {
    values(s, run)
        .into_iter()
        .filter(|(name, _)| name.ends_with(".line") || name.ends_with(".text"))
        .collect()
}

#[test]
fn kubeflow_loops_and_conditions_run_and_collect_the_branches_that_ran() {
    let s = copy_port("loops_conditions");
    for (seed, side, line) in [
        ("1", "heads", "msg: heads, msg2: A"),
        ("0", "tails", "msg: tails, msg2: X"),
    ] {
        // The second seed reuses what does not depend on the coin.
        let seed = format!("seed={seed}");
        let first = run_ok(&s, &["run", "first.mlf", "--param", &seed]);
        let second = run_ok(&s, &["run", "second.mlf", "--param", &seed]);
        for run in [first, second] {
            assert_eq!(s.output(run, "flip", "", "result"), side);
            // Two generated dicts, each with two `B_b` entries and two static dicts.
            assert_eq!(with_results(&s, run, "hello"), 2);
            assert_eq!(with_results(&s, run, "pair"), 4);
            assert_eq!(with_results(&s, run, "struct"), 4);
            // `item.A_a == "1"` holds for the first generated dict only.
            assert_eq!(with_results(&s, run, "last"), 1);
            assert_eq!(count(&s, run, "last", AttemptStatus::Skipped), 1);
            assert_eq!(s.output(run, "last", "0", "line"), "msg: 1, msg2: 20");
            assert_eq!(s.output(run, "pair", "1.1", "line"), "msg: 10, msg2: 222");
            assert_eq!(s.output(run, "struct", "0.1", "line"), "{'a': '-2'}");
            // One `loop_parameter` dict matches the coin; the collection holds its line.
            assert_eq!(with_results(&s, run, "chosen"), 1);
            assert_eq!(count(&s, run, "chosen", AttemptStatus::Skipped), 1);
            let element = if side == "heads" { "0" } else { "1" };
            assert_eq!(s.output(run, "chosen", element, "line"), line);
            assert_eq!(s.output(run, "collected", "", "text"), line);
        }
        assert_eq!(kubeflow_lines(&s, first), kubeflow_lines(&s, second));
    }
    s.assert_store_consistent();
}

#[test]
fn airflow_taskflow_returns_dicts_branches_and_maps_in_both_editions() {
    let s = copy_port("taskflow");
    let tutorial = ["--pipeline", "tutorial_taskflow_api"];
    for file in ["first.mlf", "second.mlf"] {
        let run = run_ok(&s, &[&["run", file][..], &tutorial].concat());
        // The dict results: a JSON file in the first edition, a dict in the second.
        let summary = s.output(run, "order_summary", "", "order_summary");
        let summary = match summary.get("artifact") {
            Some(_) => {
                serde_json::from_str(&std::fs::read_to_string(s.artifact_path(&summary)).unwrap())
                    .unwrap()
            }
            None => summary,
        };
        assert_eq!(summary, serde_json::json!({"total_order_value": 1236.7}));
        let log = s.run(&["logs", &run.to_string(), "loaded"]);
        assert!(
            log.stdout.contains("Total order value is: 1236.70"),
            "{}",
            log.stdout
        );
        assert_eq!(s.output(run, "branching", "", "branch"), "big_order");
        assert_eq!(
            status_of(&s.attempts(run), "small_order"),
            [AttemptStatus::Skipped]
        );
        assert_eq!(s.output(run, "joined", "", "followed"), "a big order");

        // A higher threshold takes the other branch; the extract and transform are
        // reused, and `load`, which has no outputs, runs again as Airflow's would.
        let again = run_ok(
            &s,
            &[&["run", file, "--param", "threshold=2000"][..], &tutorial].concat(),
        );
        let attempts = s.attempts(again);
        for step in ["order_data", "order_summary"] {
            assert_eq!(
                status_of(&attempts, step),
                [AttemptStatus::Cached],
                "{step}"
            );
        }
        assert_eq!(status_of(&attempts, "loaded"), [AttemptStatus::Succeeded]);
        assert_eq!(status_of(&attempts, "big_order"), [AttemptStatus::Skipped]);
        assert_eq!(s.output(again, "joined", "", "followed"), "a small order");
    }

    // Only the second edition can give the scheduler what the DAG says.
    let ir = s.run(&["ir", "second.mlf", "--pipeline", "tutorial_taskflow_api"]);
    ir.expect(0);
    let ir: serde_json::Value = serde_json::from_str(&ir.stdout).unwrap();
    assert_eq!(
        ir["scheduling"],
        serde_json::json!({"start_date": "2021-01-01", "catchup": false, "tags": ["example"]})
    );

    let mapping = ["--pipeline", "example_dynamic_task_mapping"];
    let mut results = Vec::new();
    for file in ["first.mlf", "second.mlf"] {
        let run = run_ok(&s, &[&["run", file][..], &mapping].concat());
        assert_eq!(count(&s, run, "added", AttemptStatus::Succeeded), 3);
        assert_eq!(s.output(run, "summed", "", "total"), 9);
        assert_eq!(s.output(run, "zipped", "", "text"), "a: 2\nb: 3\nc: 4");
        results.push(
            values(&s, run)
                .into_iter()
                .filter(|(name, _)| !name.starts_with("paired"))
                .collect::<BTreeMap<_, _>>(),
        );
    }
    assert_eq!(results[0], results[1]);
    // Two numbers cannot be zipped with three labels: the run stops at the loop.
    let short = s.run(&[&["run", "second.mlf", "--param", "count=2"][..], &mapping].concat());
    short.expect(1);
    let source = std::fs::read_to_string(s.path().join("second.mlf")).unwrap();
    let line = 1 + source
        .lines()
        .position(|l| l.trim_start().starts_with("for x, label in zip("))
        .unwrap();
    let expected = format!(
        "cannot evaluate the `for` at second.mlf:{line}:3: `zip` walks two lists together, but they have 2 and 3 elements"
    );
    assert!(short.stderr.contains(&expected), "{}", short.stderr);
    s.assert_store_consistent();
}
