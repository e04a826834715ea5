//! The quickstart runs end to end with python3 alone; a second run does no work; a
//! changed param re-runs exactly its dependants; `plan`, `runs`, `show` and `logs` read
//! what was recorded.

mod run_support;

use mlforge_store::{AttemptStatus, RunStatus};
use run_support::Scratch;

fn quickstart() -> Scratch {
    let scratch = Scratch::new();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/quickstart.mlf"
    ))
    .unwrap();
    scratch.write("quickstart.mlf", &text);
    scratch
}

fn counts(ran: &run_support::Ran) -> serde_json::Value {
    ran.events_of("run_finished")[0]["counts"].clone()
}

#[test]
fn quickstart_runs_and_releases_the_best_model() {
    let s = quickstart();
    let ran = s.run(&["run", "quickstart.mlf", "--events", "json"]);
    ran.expect(0);
    let run = s.latest_run();
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.pipeline, "quickstart");
    assert_eq!(run.file_hash.len(), 64);
    assert!(
        run.git_commit.is_none(),
        "a temporary folder is no git repository"
    );

    // The example's own `if`: the best model's error is within the bar.
    let max_mse = run.params["max_mse"].as_f64().unwrap();
    let mse = s.output(run.id, "best", "", "mse").as_f64().unwrap();
    assert!(mse <= max_mse, "best mse {mse} > {max_mse}");
    assert!(
        mse < 0.5,
        "gradient descent should fit y = 3x + 1 + noise well: {mse}"
    );

    // The release folder exists in the store with the model and its manifest.
    let bundle = s.output(run.id, "release", "", "bundle");
    assert_eq!(bundle["kind"], "dir");
    let folder = s.artifact_path(&bundle);
    assert!(folder.is_dir());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["name"], "line-fit");
    let model = std::fs::read_to_string(folder.join("model.json")).unwrap();
    let best_model = s.output(run.id, "best", "", "model");
    assert_eq!(
        model,
        std::fs::read_to_string(s.artifact_path(&best_model)).unwrap()
    );

    // Fan-out: three fits and three scores; metrics logged from the Metrics output.
    let attempts = s.attempts(run.id);
    let fits: Vec<_> = attempts.iter().filter(|a| a.step == "fitted").collect();
    assert_eq!(fits.len(), 3);
    assert_eq!(
        fits.iter()
            .map(|a| a.element.to_string())
            .collect::<std::collections::BTreeSet<_>>(),
        ["0", "1", "2"].into_iter().map(String::from).collect()
    );
    let metrics = s.lineage().run_metrics(run.id).unwrap();
    let mses: Vec<_> = metrics.iter().filter(|m| m.name == "mse").collect();
    assert_eq!(mses.len(), 3);
    assert!(mses.iter().any(|m| (m.value - mse).abs() < 1e-12));

    // Lineage edges: `best` read the three models and wrote the model `release` read.
    let lineage = s.lineage();
    let best = attempts.iter().find(|a| a.step == "best").unwrap();
    let consumed = lineage.consumed(best.id).unwrap();
    assert_eq!(consumed.iter().filter(|c| c.input == "models").count(), 3);
    let release = attempts.iter().find(|a| a.step == "release").unwrap();
    let read = lineage.consumed(release.id).unwrap();
    assert_eq!(read[0].artifact, best_model["artifact"].as_str().unwrap());
    let record = lineage
        .artifact(best_model["artifact"].as_str().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(record.type_name, "Model");
    s.assert_store_consistent();
    // No attempt folder is left after success.
    let work = s.store_root().join("work");
    let left: Vec<_> = std::fs::read_dir(&work)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "attempt folders left: {left:?}");
}

#[test]
fn a_second_run_is_all_cache_hits_and_a_changed_param_reruns_only_dependants() {
    let s = quickstart();
    s.run(&["run", "quickstart.mlf"]).expect(0);
    let first = s.latest_run();

    let again = s.run(&["run", "quickstart.mlf", "--events", "json"]);
    again.expect(0);
    let c = counts(&again);
    assert_eq!(c["succeeded"], 0, "nothing runs again: {c}");
    assert_eq!(c["cached"], 10);
    assert!(again.events_of("step_started").is_empty());
    let second = s.latest_run();
    assert!(s
        .attempts(second.id)
        .iter()
        .all(|a| a.status == AttemptStatus::Cached && a.cached_from.is_some()));

    // A third rate: only its fit and score, then best (reads all) and release re-run.
    let changed = s.run(&[
        "run",
        "quickstart.mlf",
        "--param",
        "rates=[0.001, 0.01, 0.05, 0.02]",
        "--events",
        "json",
    ]);
    changed.expect(0);
    let mut ran: Vec<String> = changed
        .events_of("step_succeeded")
        .iter()
        .map(|e| {
            let element = e["element"]
                .as_array()
                .map(|a| {
                    format!(
                        "{:?}",
                        a.iter().map(|i| i.as_u64().unwrap()).collect::<Vec<_>>()
                    )
                })
                .unwrap_or_default();
            format!("{}{element}", e["step"].as_str().unwrap())
        })
        .collect();
    ran.sort();
    // best's inputs changed (a fourth model); release runs only if best's model changed.
    let release_reran = ran.iter().any(|r| r == "release");
    let best_model_same =
        s.output(first.id, "best", "", "model") == s.output(s.latest_run().id, "best", "", "model");
    assert_eq!(release_reran, !best_model_same);
    ran.retain(|r| r != "release");
    assert_eq!(ran, ["best", "check[3]", "fitted[3]"]);
    assert_eq!(
        counts(&changed)["cached"],
        if release_reran { 8 } else { 9 }
    );

    // --no-cache runs everything.
    let forced = s.run(&["run", "quickstart.mlf", "--no-cache", "--events", "json"]);
    forced.expect(0);
    assert_eq!(counts(&forced)["cached"], 0);
    assert_eq!(counts(&forced)["succeeded"], 10);
}

#[test]
fn plan_says_what_will_run_and_why() {
    let s = quickstart();
    // Before any run: everything will run because it never ran; no store is created.
    let before = s.run(&["plan", "quickstart.mlf", "--format", "json"]);
    before.expect(0);
    let plan: serde_json::Value = serde_json::from_str(&before.stdout).unwrap();
    let entries = plan["entries"].as_array().unwrap();
    assert_eq!(entries[0]["step"], "data");
    assert_eq!(entries[0]["status"], "will_run");
    assert!(entries[0]["note"].as_str().unwrap().contains("never run"));
    assert_eq!(entries[1]["status"], "unknown");
    assert!(!s.store_root().exists(), "plan must not create a store");

    s.run(&["run", "quickstart.mlf"]).expect(0);
    let cached = s.run(&["plan", "quickstart.mlf"]);
    cached.expect(0);
    assert!(
        cached.stdout.contains("10 cached, 0 will run"),
        "{}",
        cached.stdout
    );

    // A param change: the affected element will run, with the reason.
    let changed = s.run(&[
        "plan",
        "quickstart.mlf",
        "--param",
        "rates=[0.001, 0.02, 0.05]",
        "--format",
        "json",
    ]);
    changed.expect(0);
    let plan: serde_json::Value = serde_json::from_str(&changed.stdout).unwrap();
    let by = |step: &str, element: Option<u64>| -> serde_json::Value {
        plan["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["step"] == step
                    && e["element"].as_array().map(|a| a[0].as_u64().unwrap()) == element
            })
            .cloned()
            .unwrap_or_else(|| panic!("no entry for {step}"))
    };
    assert_eq!(by("fitted", Some(0))["status"], "cached");
    let fit = by("fitted", Some(1));
    assert_eq!(fit["status"], "will_run");
    assert_eq!(fit["changes"][0]["part"], "param");
    assert!(fit["changes"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("lr: 0.01 → 0.02"));
    assert_eq!(by("check", Some(1))["status"], "unknown");
    assert_eq!(by("best", None)["status"], "unknown");

    // Another interpreter: an environment change.
    let python = String::from_utf8(
        std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let env = s.run(&["plan", "quickstart.mlf", "--python", python.trim()]);
    env.expect(0);
    assert!(
        env.stdout
            .contains("will run       data       environment changed (interpreter: \"python3\" → "),
        "{}",
        env.stdout
    );

    // A code change: reported as such.
    let text = std::fs::read_to_string(s.path().join("quickstart.mlf")).unwrap();
    s.write(
        "quickstart.mlf",
        &text.replace("cut = int(len(rows)", "cut = int(1 * len(rows)"),
    );
    let code = s.run(&["plan", "quickstart.mlf"]);
    code.expect(0);
    assert!(
        code.stdout
            .contains("will run       parts      code changed"),
        "{}",
        code.stdout
    );
}

#[test]
fn runs_show_and_logs_read_the_record() {
    let s = quickstart();
    s.run(&["run", "quickstart.mlf"]).expect(0);
    s.run(&["run", "quickstart.mlf", "--param", "max_mse=0.0001"])
        .expect(0);

    let runs = s.run(&["runs", "--format", "json"]);
    runs.expect(0);
    let list: serde_json::Value = serde_json::from_str(&runs.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["id"], 2, "latest first");
    assert_eq!(list[1]["status"], "succeeded");
    let text = s.run(&["runs", "--limit", "1"]);
    text.expect(0);
    assert_eq!(text.stdout.lines().count(), 2, "{}", text.stdout);
    let filtered = s.run(&["runs", "--pipeline", "other", "--format", "json"]);
    assert_eq!(filtered.stdout.trim(), "[]");
    s.run(&["runs", "--status", "bogus"]).expect(2);

    // Run 2's bar is too strict: release is skipped.
    let show = s.run(&["show", "2"]);
    show.expect(0);
    assert!(show.stdout.contains("max_mse = 0.0001"), "{}", show.stdout);
    assert!(
        show.stdout.contains("release    skipped"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("metrics"), "{}", show.stdout);
    let json = s.run(&["show", "latest", "--format", "json"]);
    json.expect(0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["run"]["id"], 2);
    assert!(doc["steps"].as_array().unwrap().len() >= 10);

    // Logs: a step's output as it printed it; a `for` element by index.
    let text = std::fs::read_to_string(s.path().join("quickstart.mlf")).unwrap();
    s.write(
        "quickstart.mlf",
        &text.replace(
            "import json\n    pts",
            "import json\n    print('fitting with', ${lr})\n    pts",
        ),
    );
    s.run(&["run", "quickstart.mlf"]).expect(0);
    let logs = s.run(&["logs", "3", "fitted[1]"]);
    logs.expect(0);
    assert_eq!(logs.stdout, "fitting with 0.01\n");
    let all = s.run(&["logs", "3", "fitted"]);
    assert!(all.stdout.contains("==> fitted[2]"), "{}", all.stdout);
    s.run(&["logs", "3", "nope"]).expect(2);
    s.run(&["show", "99"]).expect(2);
}
