//! The quickstart's Argo export run end to end on this machine (`argo_sim`: Argo's DAG,
//! fan-out, conditions, artifacts and memoization played locally, every pod a real
//! `python3` running the exported scripts with the shared task runtime): it computes what
//! the pipeline means, branches both ways, and a second run is served from the memo cache.

mod argo_check;
mod argo_sim;
mod support;

use std::path::Path;

use argo_check::checked;
use argo_sim::Sim;
use serde_json::Value;

fn read_json(repo: &Path, key: &str) -> Value {
    let text = std::fs::read_to_string(repo.join(key)).unwrap_or_else(|e| panic!("{key}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The DAG task of a step, wherever it stands.
fn task<'d>(doc: &'d Value, step: &str) -> &'d Value {
    doc["spec"]["templates"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| {
            t.pointer("/dag/tasks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .find(|t| t["name"] == step)
        .unwrap_or_else(|| panic!("no task {step}"))
}

/// The one folder under `mlforge/memo/` keyed by the step's static key.
fn memo_dir(repo: &Path, doc: &Value, step: &str) -> std::path::PathBuf {
    let args = task(doc, step)["arguments"]["parameters"]
        .as_array()
        .unwrap();
    let memo = args.iter().find(|p| p["name"] == "memo").unwrap()["value"]
        .as_str()
        .unwrap();
    let static_key = memo.split('.').nth(1).unwrap();
    let memo = repo.join("mlforge/memo");
    let found: Vec<_> = std::fs::read_dir(&memo)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(static_key)
        })
        .collect();
    assert_eq!(found.len(), 1, "{step}: {found:?}");
    found[0].clone()
}

#[test]
fn the_quickstart_runs_branches_and_reuses_memoized_steps() {
    if !support::python3_is_there("the export cannot be run") {
        return;
    }
    let (_, doc) = checked(&support::example("quickstart.mlf"));
    let dir = tempfile::tempdir().unwrap();
    let mut sim = Sim::new(dir.path());
    sim.run(&doc, "quickstart-a", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let ran: Vec<&str> = sim.log.iter().map(String::as_str).collect();
    for expected in [
        "mlforge--setup",
        "data",
        "parts",
        "b0--items",
        "b0--for(0)/fitted",
        "b0--for(2)/check",
        "best",
        "b1--when",
        "b1--if/release",
    ] {
        assert!(ran.contains(&expected), "{expected} did not run: {ran:?}");
    }

    // `best` picked the lowest of the three errors, which the gather handed it as a list.
    let checks = memo_dir(&sim.repo, &doc, "check");
    let errors: Vec<f64> = (0..3)
        .map(|i| read_json(&checks, &format!("{i}/mse")).as_f64().unwrap())
        .collect();
    let best = memo_dir(&sim.repo, &doc, "best");
    let best_mse = read_json(&best, "mse").as_f64().unwrap();
    assert_eq!(
        best_mse,
        errors.iter().cloned().fold(f64::INFINITY, f64::min),
        "{errors:?}"
    );
    assert!(
        best_mse <= 1.0,
        "the release branch is taken only below max_mse"
    );
    let bundle = memo_dir(&sim.repo, &doc, "release").join("bundle");
    let manifest = read_json(&bundle, "manifest.json");
    assert_eq!(manifest, serde_json::json!({"name": "line-fit"}));
    assert_eq!(
        std::fs::read(bundle.join("model.json")).unwrap(),
        std::fs::read(best.join("model")).unwrap()
    );

    // Same params, a new workflow: every memoized step is reused; only the setup and the
    // block evaluations (not memoized) run again.
    sim.log.clear();
    sim.run(&doc, "quickstart-b", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    for step in [
        "data",
        "parts",
        "b0--for(1)/fitted",
        "best",
        "b1--if/release",
    ] {
        assert!(
            sim.log.contains(&format!("{step} cached")),
            "{step} was not reused: {:?}",
            sim.log
        );
    }

    // A bound nobody meets: the branch is not taken, and other params make a new run key.
    sim.log.clear();
    sim.run(
        &doc,
        "quickstart-c",
        &[("max_mse", "-1.0"), ("rates", "[0.01]")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        sim.log.contains(&"b1--if skipped".to_string()),
        "{:?}",
        sim.log
    );
    assert!(
        sim.log.contains(&"b0--for(0)/fitted".to_string()),
        "{:?}",
        sim.log
    );
    assert!(
        !sim.log.iter().any(|l| l.contains("(1)")),
        "one rate, one element: {:?}",
        sim.log
    );
}

/// Nested loops, a `zip`, an `if`/`else` inside a loop, a list computed by a step, gathers
/// of gathers and `present`: the export's results equal the local runner's.
const NESTED: &str = r#"
op make(n: int) -> (xs: list<int>) {
  python """
    import json
    open(${xs}, "w").write(json.dumps(list(range(${n}))))
  """
}

op add(a: int, b: int) -> (sum: int) {
  python """
    open(${sum}, "w").write(str(${a} + ${b}))
  """
}

op flat(xss: list<list<int>>) -> (sum: int) {
  python """
    open(${sum}, "w").write(str(sum(sum(xs) for xs in ${xss})))
  """
}

op total(xs: list<int>) -> (sum: int) {
  python """
    open(${sum}, "w").write(str(sum(${xs})))
  """
}

pipeline nest(n: int = 3, ys: list<int> = [10, 20]) -> (grid: int, big: int, zipped: int, smalls: list<int?>) {
  step m = make(n: n)
  for x in m.xs {
    for y in ys {
      step s = add(a: x, b: y)
    }
    if x > 0 {
      step big = add(a: x, b: 100)
    } else {
      step small = add(a: x, b: -100)
    }
  }
  for a, b in zip(ys, [1, 2]) {
    step z = add(a: a, b: b)
  }
  step t1 = flat(xss: s.sum)
  step t2 = total(xs: present(big.sum))
  step t3 = total(xs: z.sum)
  output grid = t1.sum
  output big = t2.sum
  output zipped = t3.sum
  output smalls = small.sum
}
"#;

/// The pipeline's outputs as the local runner computes them.
fn run_locally(program: &mlforge_ir::Program, dir: &Path) -> Value {
    let mut store = mlforge_store::Store::open(&dir.join(".mlforge")).unwrap();
    let options = mlforge_runner::RunOptions {
        file: dir.join("p.mlf"),
        program_json: mlforge_ir::to_json(program),
        jobs: 2,
        ..mlforge_runner::RunOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime
        .block_on(mlforge_runner::run(
            program,
            &options,
            &mut store,
            &mut mlforge_runner::events::NoEvents,
        ))
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    report.outputs
}

#[test]
fn nested_loops_zip_and_branches_compute_what_the_local_runner_computes() {
    if !support::python3_is_there("the export cannot be run") {
        return;
    }
    let program = support::compile(NESTED);
    let (exported, doc) = checked(&program);
    let dir = tempfile::tempdir().unwrap();
    let expected = run_locally(&program, dir.path());

    let mut sim = Sim::new(&dir.path().join("argo"));
    sim.run(&doc, "nest-a", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let value = |step: &str| read_json(&memo_dir(&sim.repo, &doc, step), "sum");
    assert_eq!(value("t1"), expected["grid"], "{:?}", sim.log);
    assert_eq!(value("t2"), expected["big"]);
    assert_eq!(value("t3"), expected["zipped"]);
    // `smalls` gathers from inside an `if` in a loop: computed outputs are reported.
    assert!(exported
        .warnings
        .iter()
        .any(|w| w.code == "ARGO002" && w.message.contains("`smalls`")));
    let smalls = memo_dir(&sim.repo, &doc, "small");
    assert!(
        smalls.join("0/sum").exists() && !smalls.join("1").exists(),
        "x = 0 only took the else branch"
    );
    assert_eq!(expected["smalls"], serde_json::json!([-100, null, null]));
    assert!(
        sim.log.iter().any(|l| l == "b0--for(2)/b1--for(1)/s"),
        "{:?}",
        sim.log
    );
}
