//! A driver for profilers: the 5,000-step program checked once, then `N` edits of one kind,
//! each followed by a check, in `edit_and_check` (never inlined, so that a profiler can
//! count it alone).
//!
//! ```sh
//! cargo build --release -p mlforge-synth --example edit_loop
//! valgrind --tool=callgrind --toggle-collect='edit_loop::edit_and_check' \
//!     target/release/examples/edit_loop body 10
//! perf record -g target/release/examples/edit_loop arg 200
//! ```
//! Kinds: `body` (one character of an op body in ops.mlf), `arg` (one digit of a step's
//! argument in main.mlf), `rename` (a step renamed with its references in main.mlf).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::{check_files, Db, MemoryLoader, RootDatabase, SourceFile};

/// The allocator the `mlforge` binary ships with, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DIR: &str = "/synth";

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

#[inline(never)]
fn edit_and_check(db: &mut RootDatabase, main: SourceFile, file: &Path, text: &str) -> usize {
    db.set_file_text(file, Some(text.to_string()));
    check_files(db, &[main]).iter().map(|(_, d)| d.len()).sum()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = args.first().map_or("body", String::as_str);
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let steps: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5000);
    let files = mlforge_synth::generate(steps);
    let text = |name: &str| files.iter().find(|(f, _)| f == name).unwrap().1.clone();
    let (file, original, edited) = match kind {
        "body" => {
            let t = text("ops.mlf");
            let e = t.replacen("# mix version 1", "# mix version 2", 1);
            ("ops.mlf", t, e)
        }
        "arg" => {
            let t = text("main.mlf");
            let e = t.replacen("rate: 0.", "rate: 1.", 1);
            ("main.mlf", t, e)
        }
        "rename" => {
            let t = text("main.mlf");
            let old = mlforge_synth::step_name(mlforge_synth::layer_count(steps) / 2, 3);
            let e = t
                .replace(&format!("{old} "), &format!("{old}x "))
                .replace(&format!("{old}."), &format!("{old}x."));
            ("main.mlf", t, e)
        }
        other => {
            eprintln!("unknown edit kind `{other}`: use body, arg or rename");
            std::process::exit(2);
        }
    };
    assert_ne!(original, edited);
    let mut loader = MemoryLoader::default();
    for (name, t) in &files {
        loader.files.insert(path(name), t.clone());
    }
    let mut db = RootDatabase::new(Arc::new(loader));
    let main = db.file(&path("main.mlf"));
    assert_eq!(edit_and_check(&mut db, main, &path(file), &original), 0);
    for i in 0..n {
        let next = if i % 2 == 0 { &edited } else { &original };
        assert_eq!(edit_and_check(&mut db, main, &path(file), next), 0);
    }
}
