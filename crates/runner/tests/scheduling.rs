//! The scheduler run in process: real programs (compiled from `.mlf` text) and a real
//! store, with an executor that runs no process. Each attempt's outputs are computed from
//! its inputs (every `int` output is the sum of the int inputs, lists summed, plus one), and
//! the executor records which attempts it was asked to run, so scheduling, retries, skips,
//! conditions, fan-out and caching are checked in milliseconds. The end-to-end tests of the
//! `mlforge` binary run the same programs' kind with real processes.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, MemoryLoader, RootDatabase};
use mlforge_ir::Program;
use mlforge_runner::events::NoEvents;
use mlforge_runner::exec::{AttemptResult, AttemptSpec, ExecStatus, Executor, Produced};
use mlforge_runner::value::RValue;
use mlforge_runner::{run_with, RunOptions, RunReport};
use mlforge_store::{AttemptStatus, Element, RunStatus, Store};

fn compile(source: &str) -> Program {
    let path = PathBuf::from("/fixture/p.mlf");
    let loader = MemoryLoader {
        files: HashMap::from([(path.clone(), source.to_string())]),
    };
    let db = RootDatabase::new(Arc::new(loader));
    let file = db.file(&path);
    let key = select_pipeline(&db, file, None).unwrap();
    mlforge_ir::compile(&db, key).unwrap_or_else(|e| panic!("{e:?}"))
}

/// An attempt the fake was asked to run: step, element, attempt, int inputs.
type Call = (String, Vec<u32>, u32, BTreeMap<String, i64>);

/// Runs nothing; fails the attempts `fails` says so.
struct Fake {
    calls: Mutex<Vec<Call>>,
    fails: Box<dyn Fn(&AttemptSpec) -> bool + Send + Sync>,
}

impl Fake {
    fn new(fails: impl Fn(&AttemptSpec) -> bool + Send + Sync + 'static) -> Arc<Fake> {
        Arc::new(Fake {
            calls: Mutex::new(Vec::new()),
            fails: Box::new(fails),
        })
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn names(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|(step, element, ..)| Element::new(element.clone()).instance_name(step))
            .collect()
    }
}

fn int_sum(value: &RValue) -> i64 {
    match value {
        RValue::Int(n) => *n,
        RValue::List(items) => items.iter().map(int_sum).sum(),
        _ => 0,
    }
}

impl Executor for Fake {
    fn run(
        &self,
        spec: AttemptSpec,
        _cancel: tokio::sync::watch::Receiver<bool>,
    ) -> Pin<Box<dyn Future<Output = AttemptResult> + Send>> {
        let ints: BTreeMap<String, i64> = spec
            .inputs
            .iter()
            .map(|(name, value)| (name.clone(), int_sum(value)))
            .collect();
        self.calls.lock().unwrap().push((
            spec.step.clone(),
            spec.element.indices().to_vec(),
            spec.attempt,
            ints.clone(),
        ));
        let result = if (self.fails)(&spec) {
            AttemptResult {
                status: ExecStatus::Failed,
                exit_code: Some(1),
                error: Some("the body exited with 1".into()),
                outputs: Vec::new(),
                duration_ms: 0,
            }
        } else {
            let total: i64 = ints.values().sum::<i64>() + 1;
            AttemptResult {
                status: ExecStatus::Succeeded,
                exit_code: Some(0),
                error: None,
                outputs: spec
                    .op
                    .outputs
                    .iter()
                    .map(|o| Produced {
                        name: o.name.clone(),
                        value: RValue::Int(total),
                        stored: Vec::new(),
                        type_name: "int".into(),
                        metrics: Vec::new(),
                    })
                    .collect(),
                duration_ms: 0,
            }
        };
        Box::pin(async move { result })
    }
}

struct Bench {
    _dir: tempfile::TempDir,
    store: Store,
}

impl Bench {
    fn new() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join(".mlforge")).unwrap();
        Bench { _dir: dir, store }
    }

    fn run(&mut self, program: &Program, fake: &Arc<Fake>, options: RunOptions) -> RunReport {
        let options = RunOptions {
            retry_base: Duration::from_millis(1),
            ..options
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let executor: Arc<dyn Executor> = fake.clone();
        runtime
            .block_on(run_with(
                program,
                &options,
                &mut self.store,
                &mut NoEvents,
                executor,
            ))
            .unwrap()
    }

    fn statuses(&self, run: i64) -> Vec<(String, AttemptStatus)> {
        self.store
            .lineage
            .attempts(run)
            .unwrap()
            .iter()
            .map(|a| (a.element.instance_name(&a.step), a.status))
            .collect()
    }
}

const OPS: &str = r#"
op inc(x: int = 0) -> (y: int) {
  python """
    print(${x})
  """
}

op add(xs: list<int>) -> (y: int) {
  python """
    print(${xs})
  """
}

op flaky(x: int = 0) -> (y: int) {
  retries = 2
  python """
    print(${x})
  """
}
"#;

fn program(pipeline: &str) -> Program {
    compile(&format!("{OPS}\n{pipeline}"))
}

fn options() -> RunOptions {
    RunOptions {
        jobs: 1,
        ..RunOptions::default()
    }
}

#[test]
fn steps_run_after_what_they_read_and_see_its_outputs() {
    let program = program(
        "pipeline p() {\n  step c = inc(x: b.y)\n  step a = inc(x: 1)\n  step b = inc(x: a.y)\n}\n",
    );
    let fake = Fake::new(|_| false);
    let report = Bench::new().run(&program, &fake, options());
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!(fake.names(), ["a", "b", "c"]);
    // a = 1 + 1, b = a + 1, c = b + 1.
    let inputs: Vec<i64> = fake.calls().iter().map(|c| c.3["x"]).collect();
    assert_eq!(inputs, [1, 2, 3]);
    assert_eq!(report.counts.succeeded, 3);
}

#[test]
fn fan_out_runs_one_instance_per_element_and_fans_in_as_a_list() {
    let program = program(
        "pipeline p(xs: list<int> = [10, 20, 30]) {\n  for v in xs {\n    step s = inc(x: v)\n  }\n  step total = add(xs: s.y)\n}\n",
    );
    let fake = Fake::new(|_| false);
    let mut bench = Bench::new();
    let report = bench.run(&program, &fake, options());
    assert_eq!(report.status, RunStatus::Succeeded);
    let mut names = fake.names();
    names.sort();
    assert_eq!(names, ["s[0]", "s[1]", "s[2]", "total"]);
    // The fan-in reads the three outputs: 11 + 21 + 31.
    let total = fake.calls().into_iter().find(|c| c.0 == "total").unwrap();
    assert_eq!(total.3["xs"], 63);
}

#[test]
fn an_empty_fan_out_still_lets_the_fan_in_run() {
    let program = program(
        "pipeline p(xs: list<int> = []) {\n  for v in xs {\n    step s = inc(x: v)\n  }\n  step total = add(xs: s.y)\n}\n",
    );
    let fake = Fake::new(|_| false);
    let report = Bench::new().run(&program, &fake, options());
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!(fake.names(), ["total"]);
    assert_eq!(fake.calls()[0].3["xs"], 0);
}

#[test]
fn a_condition_runs_one_branch_and_records_the_other_as_skipped() {
    let program = program(
        "pipeline p(limit: int = 5) {\n  step a = inc(x: 1)\n  if a.y > limit {\n    step big = inc(x: a.y)\n  } else {\n    step small = inc(x: a.y)\n  }\n}\n",
    );
    let fake = Fake::new(|_| false);
    let mut bench = Bench::new();
    let report = bench.run(&program, &fake, options());
    assert_eq!(report.status, RunStatus::Succeeded);
    assert_eq!(fake.names(), ["a", "small"]);
    assert_eq!(report.counts.skipped, 1);
    let statuses = bench.statuses(report.run_id);
    assert!(
        statuses.contains(&("big".into(), AttemptStatus::Skipped)),
        "{statuses:?}"
    );
}

#[test]
fn a_failed_attempt_is_retried_until_it_succeeds() {
    let program = program("pipeline p() {\n  step f = flaky(x: 1)\n  step next = inc(x: f.y)\n}\n");
    // The first two attempts fail; the op allows two retries.
    let fake = Fake::new(|spec| spec.step == "f" && spec.attempt < 3);
    let mut bench = Bench::new();
    let report = bench.run(&program, &fake, options());
    assert_eq!(report.status, RunStatus::Succeeded, "{:?}", report.error);
    assert_eq!(fake.names(), ["f", "f", "f", "next"]);
    let attempts: Vec<u32> = fake.calls().iter().map(|c| c.2).collect();
    assert_eq!(attempts, [1, 2, 3, 1]);
    use AttemptStatus::*;
    assert_eq!(
        bench.statuses(report.run_id),
        [
            ("f".into(), Failed),
            ("f".into(), Failed),
            ("f".into(), Succeeded),
            ("next".into(), Succeeded)
        ]
    );
}

#[test]
fn a_step_that_fails_for_good_stops_what_reads_it() {
    let program = program("pipeline p() {\n  step a = inc(x: 1)\n  step b = inc(x: a.y)\n}\n");
    let fake = Fake::new(|spec| spec.step == "a");
    let report = Bench::new().run(&program, &fake, options());
    assert_eq!(report.status, RunStatus::Failed);
    // `inc` has no retries: one attempt, and `b` never starts.
    assert_eq!(fake.names(), ["a"]);
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].step, "a");
}

#[test]
fn a_second_run_is_served_from_the_cache_until_an_input_changes() {
    let program_of = |x: i64| {
        program(&format!(
            "pipeline p() {{\n  step a = inc(x: {x})\n  step b = inc(x: a.y)\n}}\n"
        ))
    };
    let mut bench = Bench::new();
    let first = Fake::new(|_| false);
    bench.run(&program_of(1), &first, options());
    assert_eq!(first.names(), ["a", "b"]);

    let second = Fake::new(|_| false);
    let report = bench.run(&program_of(1), &second, options());
    assert!(second.names().is_empty(), "{:?}", second.names());
    assert_eq!(report.counts.cached, 2);

    // The cache is keyed by what a step does, not by its name: `a` with x = 2 is what `b`
    // did in the first run (inc of 2), so it is a hit; `b` now reads 3 and runs.
    let third = Fake::new(|_| false);
    let report = bench.run(&program_of(2), &third, options());
    assert_eq!(third.names(), ["b"]);
    assert_eq!(report.counts.cached, 1);

    // Without the cache everything runs.
    let fourth = Fake::new(|_| false);
    let no_cache = RunOptions {
        no_cache: true,
        ..options()
    };
    bench.run(&program_of(2), &fourth, no_cache);
    assert_eq!(fourth.names(), ["a", "b"]);
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// A std module as a release of mlforge ships it, with one op whose body is `body`.
fn std_module(op: &str, body: &str) -> String {
    format!("// A module.\n\n/// Adds.\nop {op}(x: int = 0) -> (y: int) {{\n  python \"\"\"\n    {body}\n  \"\"\"\n}}\n")
}

#[test]
fn upgrading_std_reruns_exactly_the_steps_whose_std_ops_changed() {
    let main = PathBuf::from("/fixture/p.mlf");
    let source = format!(
        "import \"std/io\"\nimport \"std/eval\"\n{OPS}\npipeline p() {{\n  step a = io.grow(x: 10)\n  step b = eval.score(x: 1)\n  step c = eval.score(x: 5)\n  step d = inc(x: b.y)\n  step e = inc(x: a.y)\n}}\n"
    );
    let loader = MemoryLoader {
        files: HashMap::from([(main.clone(), source)]),
    };
    let mut db = RootDatabase::new(Arc::new(loader));
    db.set_std_text("io", &std_module("grow", "print(${x})"));
    db.set_std_text("eval", &std_module("score", "print(${x})"));
    let compile = |db: &RootDatabase| {
        let key = select_pipeline(db, db.file(&main), None).unwrap();
        mlforge_ir::compile(db, key).unwrap_or_else(|e| panic!("{e:?}"))
    };
    let old = compile(&db);
    // A std op is compiled like any op, from its virtual path; its body is inline.
    let score = &old.ops[&old.steps[1].op];
    assert_eq!(&*score.source.file, "std/eval.mlf");
    assert_eq!(score.body.path, None);

    let mut bench = Bench::new();
    let first = Fake::new(|_| false);
    bench.run(&old, &first, options());
    assert_eq!(sorted(first.names()), ["a", "b", "c", "d", "e"]);

    // The next release changes `std/eval`'s op only.
    db.set_std_text("eval", &std_module("score", "print(${x} + 0)"));
    let new = compile(&db);
    let hash = |p: &Program, step: usize| p.ops[&p.steps[step].op].hash.clone();
    assert_eq!(hash(&old, 0), hash(&new, 0), "std/io's op is unchanged");
    assert_ne!(hash(&old, 1), hash(&new, 1), "std/eval's op changed");
    let second = Fake::new(|_| false);
    let report = bench.run(&new, &second, options());
    // `b` and `c` run again; `d` reads what `b` made, which is the same, so it is cached,
    // as are `a` and `e`.
    assert_eq!(sorted(second.names()), ["b", "c"]);
    assert_eq!(report.counts.cached, 3);

    // Back to the old release: everything is in the cache.
    db.set_std_text("eval", &std_module("score", "print(${x})"));
    let third = Fake::new(|_| false);
    bench.run(&compile(&db), &third, options());
    assert!(third.names().is_empty(), "{:?}", third.names());
}
