//! `mlforge lineage`, `mlforge runs diff` and `mlforge lineage export --openlineage`,
//! driving the real binary on the quickstart.

mod run_support;

use std::collections::{BTreeMap, BTreeSet};

use run_support::Scratch;

/// A scratch folder in which the quickstart ran once (run 1).
fn quickstart_ran() -> Scratch {
    let scratch = Scratch::new();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/quickstart.mlf"
    ))
    .unwrap();
    scratch.write("quickstart.mlf", &text);
    scratch.run(&["run", "quickstart.mlf"]).expect(0);
    scratch
}

fn json(s: &Scratch, args: &[&str]) -> serde_json::Value {
    let ran = s.run(args);
    ran.expect(0);
    serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", ran.stdout))
}

fn artifact_of(s: &Scratch, run: i64, step: &str, element: &str, output: &str) -> String {
    s.output(run, step, element, output)["artifact"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The step names (`fitted[1]`) of the attempt nodes of a lineage graph.
fn steps_of(graph: &serde_json::Value) -> BTreeSet<String> {
    graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "attempt")
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect()
}

fn artifacts_of(graph: &serde_json::Value) -> BTreeSet<String> {
    graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "artifact")
        .map(|n| n["hash"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn upstream_of_the_best_model_reaches_make_datas_table_and_the_fitted_models() {
    let s = quickstart_ran();
    let run = s.latest_run().id;
    let graph = json(&s, &["lineage", "latest/best.model", "--format", "json"]);
    assert_eq!(graph["direction"], "upstream");
    let best_model = artifact_of(&s, run, "best", "", "model");
    assert_eq!(graph["root"], format!("artifact:{best_model}"));
    let steps = steps_of(&graph);
    for step in [
        "best",
        "fitted[0]",
        "fitted[1]",
        "fitted[2]",
        "parts",
        "data",
    ] {
        assert!(steps.contains(step), "{step} missing from {steps:?}");
    }
    // Only what produced the model: no scores, no release.
    assert!(!steps
        .iter()
        .any(|s| s.starts_with("check") || s == "release"));
    let artifacts = artifacts_of(&graph);
    assert!(artifacts.contains(&artifact_of(&s, run, "data", "", "table")));
    for element in ["0", "1", "2"] {
        assert!(artifacts.contains(&artifact_of(&s, run, "fitted", element, "model")));
    }
    // Every edge joins nodes of the graph.
    let ids: BTreeSet<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    for edge in graph["edges"].as_array().unwrap() {
        assert!(ids.contains(edge["from"].as_str().unwrap()), "{edge}");
        assert!(ids.contains(edge["to"].as_str().unwrap()), "{edge}");
    }

    // The text tree names the same chain; a step inside a `for` is addressed by element.
    let text = s.run(&["lineage", &format!("{run}/best.model")]);
    text.expect(0);
    assert!(text.stdout.starts_with("Model "), "{}", text.stdout);
    for needle in [
        "step best",
        "step fitted[1]",
        "step parts",
        "step data",
        "op make_data",
    ] {
        assert!(text.stdout.contains(needle), "{needle}:\n{}", text.stdout);
    }
    let fitted = json(
        &s,
        &["lineage", "latest/fitted[1].model", "--format", "json"],
    );
    let steps = steps_of(&fitted);
    assert!(steps.contains("fitted[1]") && steps.contains("data"));
    assert!(!steps.contains("fitted[0]"), "{steps:?}");
}

/// In the quickstart `best` copies the best of the fitted models, so its output has the
/// same bytes as one `fitted[i].model`. Provenance follows steps: `release` read `best`'s
/// output, and that is the chain shown, in this run and in a run where all is cached.
#[test]
fn lineage_follows_the_step_that_wrote_an_input_not_only_its_bytes() {
    let s = quickstart_ran();
    s.run(&["run", "quickstart.mlf"]).expect(0);
    for run in [1, 2] {
        let best_model = artifact_of(&s, run, "best", "", "model");
        let same = ["0", "1", "2"]
            .into_iter()
            .find(|e| artifact_of(&s, run, "fitted", e, "model") == best_model)
            .expect("best copies one fitted model");
        let graph = json(
            &s,
            &[
                "lineage",
                &format!("{run}/release.bundle"),
                "--format",
                "json",
            ],
        );
        let name_of = |id: &str| -> String {
            let node = graph["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["id"] == id)
                .unwrap();
            node["name"].as_str().unwrap_or("").to_string()
        };
        // Every writer of the model's bytes in this graph, by the edges into its nodes.
        let writers: BTreeSet<String> = graph["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["to"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("artifact:{best_model}"))
            })
            .map(|e| name_of(e["from"].as_str().unwrap()))
            .collect();
        let expected: BTreeSet<String> = ["best".to_string(), format!("fitted[{same}]")].into();
        assert_eq!(writers, expected, "run {run}");
        // release's input is best's output, and best read fitted[i]'s: two generations.
        let release_input = graph["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["label"] == "model" && e["to"].as_str().unwrap().starts_with("attempt:"))
            .unwrap();
        let into_release = release_input["from"].as_str().unwrap();
        let writer_of_input = graph["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["to"] == into_release)
            .unwrap();
        assert_eq!(name_of(writer_of_input["from"].as_str().unwrap()), "best");
        let text = s.run(&["lineage", &format!("{run}/release.bundle")]);
        assert!(
            text.stdout.contains("written as model by step best"),
            "{}",
            text.stdout
        );
        assert!(
            text.stdout
                .contains(&format!("written as model by step fitted[{same}]")),
            "{}",
            text.stdout
        );
    }
}

#[test]
fn downstream_of_the_data_table_reaches_release_and_dot_is_a_digraph() {
    let s = quickstart_ran();
    let run = s.latest_run().id;
    let table = artifact_of(&s, run, "data", "", "table");
    // A prefix of the hash names it.
    let graph = json(
        &s,
        &["lineage", &table[..10], "--downstream", "--format", "json"],
    );
    assert_eq!(graph["direction"], "downstream");
    assert_eq!(graph["root"], format!("artifact:{table}"));
    let steps = steps_of(&graph);
    for step in ["parts", "fitted[0]", "check[2]", "best", "release"] {
        assert!(steps.contains(step), "{step} missing from {steps:?}");
    }
    assert!(
        !steps.contains("data"),
        "the producer is upstream: {steps:?}"
    );
    let bundle = artifact_of(&s, run, "release", "", "bundle");
    assert!(artifacts_of(&graph).contains(&bundle));

    for direction in [&[][..], &["--downstream"][..]] {
        let mut args = vec!["lineage", table.as_str(), "--format", "dot"];
        args.extend_from_slice(direction);
        let dot = s.run(&args);
        dot.expect(0);
        let text = dot.stdout.trim();
        assert!(text.starts_with("digraph"), "{text}");
        assert!(text.ends_with('}'), "{text}");
        // Every edge joins declared nodes.
        let declared: BTreeSet<&str> = text
            .lines()
            .filter(|l| l.contains("[label=") && !l.contains("->"))
            .map(|l| l.trim().split('"').nth(1).unwrap())
            .collect();
        for line in text.lines().filter(|l| l.contains("->")) {
            let quoted: Vec<&str> = line.split('"').collect();
            assert!(
                declared.contains(quoted[1]) && declared.contains(quoted[3]),
                "{line}"
            );
        }
        if direction.is_empty() {
            assert_eq!(declared.len(), 2, "the table and make_data: {text}");
        } else {
            assert!(text.contains("release"), "{text}");
        }
    }
    let downstream_text = s.run(&["lineage", &table, "--downstream"]);
    downstream_text.expect(0);
    assert!(downstream_text.stdout.contains("step release"));
}

#[test]
fn runs_diff_names_the_changed_param_for_dependants_and_same_for_the_rest() {
    let s = quickstart_ran();
    let first = s.latest_run().id;
    s.run(&[
        "run",
        "quickstart.mlf",
        "--param",
        "rates=[0.001, 0.01, 0.1]",
    ])
    .expect(0);
    let second = s.latest_run().id;
    let (a, b) = (first.to_string(), second.to_string());
    let diff = json(&s, &["runs", "diff", &a, &b, "--format", "json"]);
    let by_name: BTreeMap<String, &serde_json::Value> = diff["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| (step["name"].as_str().unwrap().to_string(), step))
        .collect();
    let parts = |name: &str| -> Vec<String> {
        by_name[name]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["part"].as_str().unwrap().to_string())
            .collect()
    };
    for same in [
        "data",
        "parts",
        "fitted[0]",
        "fitted[1]",
        "check[0]",
        "check[1]",
    ] {
        assert_eq!(by_name[same]["status"], "same", "{same}: {}", by_name[same]);
    }
    assert_eq!(by_name["fitted[2]"]["status"], "different");
    assert_eq!(parts("fitted[2]"), ["param"]);
    let detail = by_name["fitted[2]"]["changes"][0]["detail"]
        .as_str()
        .unwrap();
    assert!(detail.contains("lr") && detail.contains("0.1"), "{detail}");
    // Its dependants read a new model.
    assert_eq!(by_name["check[2]"]["status"], "different");
    assert_eq!(parts("check[2]"), ["input"]);
    assert_eq!(by_name["best"]["status"], "different");
    assert!(parts("best").contains(&"input".to_string()));
    assert_eq!(by_name["fitted[2]"]["element"], serde_json::json!([2]));

    let text = s.run(&["runs", "diff", &a, &b]);
    text.expect(0);
    let line = |name: &str| -> String {
        text.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{}", text.stdout))
            .to_string()
    };
    assert!(
        line("fitted[2]").contains("different: param (lr: 0.05 → 0.1)"),
        "{}",
        text.stdout
    );
    assert!(line("data").trim_end().ends_with("same"), "{}", text.stdout);

    // A run against itself is all the same; a longer list adds a step only in B.
    let itself = json(&s, &["runs", "diff", &b, &b, "--format", "json"]);
    assert_eq!(itself["counts"], serde_json::json!({"same": 10}));
    s.run(&[
        "run",
        "quickstart.mlf",
        "--param",
        "rates=[0.001, 0.01, 0.1, 0.02]",
    ])
    .expect(0);
    let third = s.latest_run().id.to_string();
    let more = json(&s, &["runs", "diff", &b, &third, "--format", "json"]);
    let only_b: Vec<&str> = more["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|step| step["status"] == "only_in_b")
        .map(|step| step["name"].as_str().unwrap())
        .collect();
    assert!(
        only_b.contains(&"fitted[3]") && only_b.contains(&"check[3]"),
        "{only_b:?}"
    );
}

/// Validators for the OpenLineage document as written (its root: `oneOf` RunEvent,
/// DatasetEvent, JobEvent) and for `#/$defs/RunEvent` alone.
fn run_event_validators() -> (jsonschema::Validator, jsonschema::Validator) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/openlineage-runevent.schema.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the OpenLineage schema at {path}: {e}"));
    let mut schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    // All its references are local (`#/$defs/...`, no external ones). Both validate with
    // the draft the document declares (2020-12), formats included (uuid, date-time, uri).
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let build = |schema: &serde_json::Value| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(schema)
            .expect("the OpenLineage schema compiles")
    };
    let whole = build(&schema);
    let root = schema.as_object_mut().unwrap();
    root.remove("oneOf");
    root.insert("$ref".into(), "#/$defs/RunEvent".into());
    (whole, build(&schema))
}

#[test]
fn openlineage_events_of_the_quickstart_validate_against_the_runevent_schema() {
    let s = quickstart_ran();
    let run = s.latest_run();
    let ran = s.run(&[
        "lineage",
        "export",
        "--openlineage",
        "latest",
        "-o",
        "events.jsonl",
    ]);
    ran.expect(0);
    assert!(ran.stdout.is_empty());
    let text = std::fs::read_to_string(s.path().join("events.jsonl")).unwrap();
    let (whole, validator) = run_event_validators();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let attempts = s.attempts(run.id);
    assert_eq!(events.len(), 2 * attempts.len(), "{text}");
    // A broken event is caught: the validator is not vacuous.
    let mut broken = events[0].clone();
    broken["run"]["runId"] = "not-a-uuid".into();
    assert!(!validator.is_valid(&broken));
    assert!(!whole.is_valid(&broken));
    let mut by_run: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for event in &events {
        let errors: Vec<String> = validator
            .iter_errors(event)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{event}: {errors:#?}");
        assert!(whole.is_valid(event), "{event} fails the whole document");
        assert_eq!(
            event["schemaURL"],
            "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
        );
        assert_eq!(event["job"]["namespace"], "mlforge");
        assert!(event["job"]["name"]
            .as_str()
            .unwrap()
            .starts_with("quickstart."));
        by_run
            .entry(event["run"]["runId"].as_str().unwrap().to_string())
            .or_default()
            .push(event["eventType"].as_str().unwrap().to_string());
    }
    // One START and one COMPLETE per step attempt, each attempt its own runId.
    assert_eq!(by_run.len(), attempts.len());
    assert!(by_run.values().all(|kinds| kinds == &["START", "COMPLETE"]));
    // best read the three models and wrote its model; a dataset is one step's output in
    // one run, its hash the version. release read best's model, not fitted[2]'s (the same
    // bytes): the chain is the steps', as `mlforge lineage` shows it.
    let complete = |job: &str| {
        events
            .iter()
            .find(|e| e["job"]["name"] == job && e["eventType"] == "COMPLETE")
            .unwrap()
    };
    let best = complete("quickstart.best");
    assert_eq!(best["inputs"].as_array().unwrap().len(), 3);
    let best_model = artifact_of(&s, run.id, "best", "", "model");
    let generation = format!("quickstart/{}/best.model", run.id);
    assert_eq!(best["outputs"][0]["name"], generation.as_str());
    assert_eq!(
        best["outputs"][0]["facets"]["version"]["datasetVersion"],
        best_model.as_str()
    );
    let release = complete("quickstart.release");
    assert_eq!(release["inputs"][0]["name"], generation.as_str());
    // Deterministic: a second export is the same bytes (also on standard output).
    let again = s.run(&["lineage", "export", "--openlineage", &run.id.to_string()]);
    again.expect(0);
    assert_eq!(again.stdout, text);
}

#[test]
fn unknown_artifacts_runs_steps_and_outputs_exit_2() {
    let s = quickstart_ran();
    let cases: &[(&[&str], &str)] = &[
        (&["lineage", "abcdef0123456789"], "no artifact"),
        (&["lineage", "abc"], "8 or more"),
        (&["lineage", "not-a-hash"], "RUN/STEP.OUTPUT"),
        (&["lineage", "99/best.model"], "no run 99"),
        (&["lineage", "x/best.model"], "not a run number"),
        (&["lineage", "latest/nope.model"], "no step `nope`"),
        (
            &["lineage", "latest/fitted[7].model"],
            "no step `fitted[7]`",
        ),
        (&["lineage", "latest/best.nope"], "no output `nope`"),
        (&["lineage", "latest/best.mse"], "not an artifact"),
        (&["lineage", "latest/best"], "RUN/STEP.OUTPUT"),
        (&["runs", "diff", "1", "42"], "no run 42"),
        (&["lineage", "export", "--openlineage", "42"], "no run 42"),
    ];
    for (args, message) in cases {
        let ran = s.run(args);
        assert_eq!(ran.code, 2, "{args:?}: {}{}", ran.stdout, ran.stderr);
        assert!(ran.stderr.contains(message), "{args:?}: {}", ran.stderr);
    }
    // Without a store at all.
    let empty = Scratch::new();
    let ran = empty.run(&["lineage", "latest/best.model"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("no runs recorded yet"),
        "{}",
        ran.stderr
    );
}
