//! Where the checker's time goes on the synthetic program: each phase timed on its own
//! (median of several runs), and the queries that re-execute after each kind of edit.
//!
//! `cargo run --release -p mlforge-synth --example phases [-- STEPS [RUNS]]`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mlforge_analysis::items::{imports, parse, ItemKey};
use mlforge_analysis::pipeline::analyze_pipeline;
use mlforge_analysis::{check_files, Db, FileLoader, MemoryLoader, RootDatabase};

/// The allocator the `mlforge` binary ships with, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DIR: &str = "/synth";

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

/// The CPU time this thread has run, from `/proc/thread-self/schedstat` (Linux), so that a
/// figure can be told apart from time spent waiting for a busy machine's CPU.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:8.3} ms", d.as_secs_f64() * 1e3)
}

/// The median time of `f`, run `runs` times, each on a fresh value from `setup`.
fn time<S, T>(runs: usize, mut setup: impl FnMut() -> S, mut f: impl FnMut(S) -> T) -> Duration {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let input = setup();
        let start = Instant::now();
        let out = f(input);
        samples.push(start.elapsed());
        drop(out);
    }
    median(samples)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let steps = args.first().copied().unwrap_or(5000);
    let runs = args.get(1).copied().unwrap_or(21);
    let files = mlforge_synth::generate(steps);
    let text = |name: &str| files.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let main_text = text("main.mlf");
    let ops_text = text("ops.mlf");
    let mut loader = MemoryLoader::default();
    for (name, t) in &files {
        loader.files.insert(path(name), t.clone());
    }
    let loader: Arc<dyn FileLoader> = Arc::new(loader);
    let fresh = || RootDatabase::new(loader.clone());
    println!(
        "{} steps, main.mlf {} bytes; medians of {runs} runs\n",
        mlforge_synth::step_count(steps),
        main_text.len()
    );

    println!("-- syntax, no database");
    let t = time(
        runs,
        || (),
        |()| mlforge_syntax::lexer::lex(&main_text).tokens.len(),
    );
    println!("lex main.mlf                          {}", ms(t));
    let t = time(runs, || (), |()| mlforge_syntax::parse(&main_text));
    println!("lex + parse main.mlf                  {}", ms(t));
    let parsed = mlforge_syntax::parse(&main_text);
    let t = time(runs, || parsed.clone(), drop);
    println!("drop the tree of main.mlf             {}", ms(t));
    let t = time(runs, || (), |()| parsed.clone());
    println!("clone the tree of main.mlf            {}", ms(t));

    println!("\n-- a fresh database, phase by phase (each includes what it needs and was not yet computed)");
    let (mut p, mut i, mut a, mut rest, mut total, mut dropping, mut cpu) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let db = fresh();
        let c0 = cpu_time();
        let t0 = Instant::now();
        let main = db.file(&path("main.mlf"));
        parse(&db, main);
        let t1 = Instant::now();
        imports(&db, main);
        let t2 = Instant::now();
        let key = ItemKey::new(&db, main, mlforge_synth::PIPELINE.to_string());
        analyze_pipeline(&db, key);
        let t3 = Instant::now();
        let results = check_files(&db, &[main]);
        let t4 = Instant::now();
        if let (Some(c0), Some(c4)) = (c0, cpu_time()) {
            cpu.push(c4 - c0);
        }
        assert!(results.iter().all(|(_, d)| d.is_empty()));
        drop(results);
        drop(db);
        let t5 = Instant::now();
        p.push(t1 - t0);
        i.push(t2 - t1);
        a.push(t3 - t2);
        rest.push(t4 - t3);
        total.push(t4 - t0);
        dropping.push(t5 - t4);
    }
    println!("parse(main.mlf)                       {}", ms(median(p)));
    println!("imports(main.mlf) (+ ops files read)  {}", ms(median(i)));
    println!("analyze_pipeline(synthetic)           {}", ms(median(a)));
    println!("the rest of check_files               {}", ms(median(rest)));
    println!(
        "check_files in all                    {}",
        ms(median(total))
    );
    println!(
        "dropping the database                 {}",
        ms(median(dropping))
    );

    println!("\n-- pieces of analyze_pipeline, on its finished graph");
    let db = fresh();
    let main = db.file(&path("main.mlf"));
    let key = ItemKey::new(&db, main, mlforge_synth::PIPELINE.to_string());
    let graph = analyze_pipeline(&db, key).graph.clone();
    println!(
        "graph: {} steps, {} edges, {} blocks",
        graph.steps.len(),
        graph.edges.len(),
        graph.blocks.len()
    );
    let t = time(
        runs,
        || (),
        |()| graph.steps_with_dependents().iter().filter(|&&w| w).count(),
    );
    println!("steps_with_dependents                 {}", ms(t));
    let t = time(runs, || (), |()| graph.dependencies().len());
    println!("dependencies()                        {}", ms(t));
    let t = time(runs, || graph.clone(), drop);
    println!("dropping the graph                    {}", ms(t));
    let t = time(
        runs,
        || (),
        |()| {
            let mut has = vec![false; graph.steps.len()];
            graph.edges.iter().for_each(|e| has[e.from] = true);
            graph
                .blocks
                .iter()
                .flat_map(|b| &b.deps)
                .for_each(|&(s, _)| has[s] = true);
            has.iter().filter(|&&h| h).count()
        },
    );
    println!("  the same, one pass over the edges   {}", ms(t));
    let analysis = analyze_pipeline(&db, key).clone();
    let t = time(runs, || analysis.clone(), |copy| copy == analysis);
    println!("compare two equal analyses (backdate) {}", ms(t));
    let t = time(runs, || (), |()| analysis.clone());
    println!("clone the analysis                    {}", ms(t));

    println!("\n-- edits on a warm database: what re-executes, and how long each stage takes");
    let edits: Vec<(&str, &str, String)> = vec![
        (
            "one character of an op body",
            "ops.mlf",
            ops_text.replacen("# mix version 1", "# mix version 2", 1),
        ),
        (
            "one digit of a step argument",
            "main.mlf",
            main_text.replacen("rate: 0.", "rate: 1.", 1),
        ),
        (
            "a comment in main.mlf",
            "main.mlf",
            main_text.replacen("// layer 0", "// layer O", 1),
        ),
    ];
    for (what, file, edited) in edits {
        let original = text(file);
        let (mut db, log) = RootDatabase::with_event_log(loader.clone());
        let main = db.file(&path("main.mlf"));
        check_files(&db, &[main]);
        let (mut set, mut reparse, mut analyze, mut rest, mut all, mut cpu) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        let mut executed = Vec::new();
        for n in 0..runs {
            let next = if n % 2 == 0 { &edited } else { &original };
            log.lock().unwrap().clear();
            let c0 = cpu_time();
            let t0 = Instant::now();
            let f = db.set_file_text(&path(file), Some(next.clone()));
            let t1 = Instant::now();
            parse(&db, f);
            let t2 = Instant::now();
            let key = ItemKey::new(&db, main, mlforge_synth::PIPELINE.to_string());
            analyze_pipeline(&db, key);
            let t3 = Instant::now();
            let results = check_files(&db, &[main]);
            let t4 = Instant::now();
            if let (Some(c0), Some(c4)) = (c0, cpu_time()) {
                cpu.push(c4 - c0);
            }
            all.push(t4 - t0);
            assert!(results.iter().all(|(_, d)| d.is_empty()), "{what}: clean");
            set.push(t1 - t0);
            reparse.push(t2 - t1);
            analyze.push(t3 - t2);
            rest.push(t4 - t3);
            executed = log.lock().unwrap().clone();
        }
        println!("{what} ({file}):");
        println!("  set_file_text                       {}", ms(median(set)));
        println!("  parse({file})                   {}", ms(median(reparse)));
        println!(
            "  analyze_pipeline (re-validate/run)  {}",
            ms(median(analyze))
        );
        println!("  the rest of check_files             {}", ms(median(rest)));
        println!("  in all                              {}", ms(median(all)));
        if !cpu.is_empty() {
            println!("    of which on the CPU               {}", ms(median(cpu)));
        }
        let mut counts: Vec<(String, usize)> = Vec::new();
        for e in &executed {
            let name = e.split('(').next().unwrap_or(e).to_string();
            match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => counts.push((name, 1)),
            }
        }
        let list: Vec<String> = counts.iter().map(|(n, c)| format!("{n}×{c}")).collect();
        println!("  executed: {}", list.join(", "));
        db.set_file_text(&path(file), Some(original));
    }
}
