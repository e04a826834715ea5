//! The checker on the synthetic program of `spec/PRODUCT.md` ("Promises"): 5,000 steps in
//! layers of 10, with loops, conditions and composition, over three files.
//!
//! - `full_check`: a fresh database, every file loaded and checked (what `mlforge check`
//!   does, minus process start, disk and printing);
//! - `recheck_after_*`: one database kept warm; each iteration sets a file's new text, as
//!   an editor does on a keystroke, and checks again. Two texts alternate, so every
//!   iteration really is an edit.
//!
//! Run: `cargo bench -p mlforge-synth --bench check` (release profile). Add
//! `-- full_check` (or any name filter) to run one; `--sample-count N` to change samples.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use divan::{black_box, Bencher};
use mlforge_analysis::{check_files, Db, FileLoader, MemoryLoader, RootDatabase, SourceFile};

/// The allocator the `mlforge` binary ships with, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// Sizes measured. The promise is about 5,000; 1,000 shows how time grows with size.
const SIZES: &[usize] = &[1000, 5000];

const DIR: &str = "/synth";

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

fn loader(steps: usize) -> Arc<dyn FileLoader> {
    let mut loader = MemoryLoader::default();
    for (name, text) in mlforge_synth::generate(steps) {
        loader.files.insert(path(&name), text);
    }
    Arc::new(loader)
}

fn text(steps: usize, name: &str) -> String {
    mlforge_synth::generate(steps)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t)
        .expect("a generated file")
}

fn check(
    db: &RootDatabase,
    main: SourceFile,
) -> Vec<(SourceFile, Vec<mlforge_analysis::Diagnostic>)> {
    check_files(db, &[main])
}

fn assert_clean(db: &RootDatabase, main: SourceFile, what: &str) {
    let results = check(db, main);
    assert_eq!(results.len(), 3, "{what}: main.mlf reaches its two imports");
    for (file, diagnostics) in results {
        assert!(
            diagnostics.is_empty(),
            "{what}: {} has diagnostics: {:?}",
            file.path(db).display(),
            diagnostics.first()
        );
    }
}

#[divan::bench(args = SIZES)]
fn full_check(bencher: Bencher, steps: usize) {
    let loader = loader(steps);
    bencher
        .with_inputs(|| RootDatabase::new(loader.clone()))
        .bench_values(|db| {
            let main = db.file(&path("main.mlf"));
            let results = check(&db, main);
            // Returned, so that dropping the database is not timed.
            (db, results)
        });
}

/// Checks `file` with two alternating texts, the first being the generated one.
fn recheck(bencher: Bencher, steps: usize, file: &str, edited: String) {
    let original = text(steps, file);
    assert_ne!(original, edited, "the edit changes the text");
    let mut db = RootDatabase::new(loader(steps));
    let main = db.file(&path("main.mlf"));
    let file = path(file);
    // Both versions check clean, and the database is warm.
    db.set_file_text(&file, Some(edited.clone()));
    assert_clean(&db, main, "edited");
    db.set_file_text(&file, Some(original.clone()));
    assert_clean(&db, main, "original");

    let db = RefCell::new(db);
    let flip = Cell::new(false);
    bencher.bench_local(|| {
        flip.set(!flip.get());
        let next = if flip.get() { &edited } else { &original };
        let mut db = db.borrow_mut();
        db.set_file_text(&file, Some(next.clone()));
        black_box(check(&db, main));
    });
}

/// One character of one op's python body in `ops.mlf`.
#[divan::bench(args = SIZES)]
fn recheck_after_body_edit(bencher: Bencher, steps: usize) {
    let edited = text(steps, "ops.mlf").replacen("# mix version 1", "# mix version 2", 1);
    recheck(bencher, steps, "ops.mlf", edited);
}

/// A step in the middle of `main.mlf` renamed, with every reference to it.
#[divan::bench(args = SIZES)]
fn recheck_after_step_rename(bencher: Bencher, steps: usize) {
    let middle = mlforge_synth::layer_count(steps) / 2;
    let old = mlforge_synth::step_name(middle, 3);
    let edited = rename(&text(steps, "main.mlf"), &old, &format!("{old}x"));
    recheck(bencher, steps, "main.mlf", edited);
}

/// One digit of a number literal in the arguments of a step in the middle of `main.mlf`.
#[divan::bench(args = SIZES)]
fn recheck_after_argument_edit(bencher: Bencher, steps: usize) {
    let main = text(steps, "main.mlf");
    let middle = mlforge_synth::layer_count(steps) / 2;
    let from = main
        .find(&format!("step {} ", mlforge_synth::step_name(middle, 0)))
        .expect("the middle layer");
    let at = from + main[from..].find("rate: 0.").expect("a literal rate") + "rate: 0.".len();
    let digit = if &main[at..at + 1] == "5" { "6" } else { "5" };
    let mut edited = main.clone();
    edited.replace_range(at..at + 1, digit);
    recheck(bencher, steps, "main.mlf", edited);
}

/// `text` with the identifier `old` (whole words only) replaced by `new`.
fn rename(text: &str, old: &str, new: &str) -> String {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    let mut count = 0;
    while let Some(i) = rest.find(old) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + old.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(is_ident) || after.is_some_and(is_ident) {
            out.push_str(old);
        } else {
            out.push_str(new);
            count += 1;
        }
        rest = &rest[i + old.len()..];
    }
    out.push_str(rest);
    assert!(count >= 2, "`{old}` is defined and referenced");
    out
}

/// The second-edition program (records, dicts, indexing and `zip`; one file of 5,000
/// steps): a fresh database checked whole, and a warm one re-checked after an edit of one
/// step's record literal.
#[divan::bench(args = [5000])]
fn full_check_structured(bencher: Bencher, steps: usize) {
    let loader = structured_loader(steps);
    bencher
        .with_inputs(|| RootDatabase::new(loader.clone()))
        .bench_values(|db| {
            let file = db.file(&path("structured.mlf"));
            black_box(check(&db, file));
            db
        });
}

#[divan::bench(args = [5000])]
fn recheck_structured_after_literal_edit(bencher: Bencher, steps: usize) {
    let original = mlforge_synth::generate_structured(steps).remove(0).1;
    // `depth: seed` of one step inside a zip loop becomes `depth: seed + 1`.
    let at = original.find("depth: seed,").expect("a zip step") + "depth: seed".len();
    let edited = mlforge_synth::edited(&original, at, 0, " + 1");
    let name = path("structured.mlf");
    let mut db = RootDatabase::new(structured_loader(steps));
    let file = db.file(&name);
    for text in [&edited, &original] {
        db.set_file_text(&name, Some(text.clone()));
        let results = check(&db, file);
        assert!(
            results.iter().all(|(_, d)| d.is_empty()),
            "both versions check clean"
        );
    }
    let db = RefCell::new(db);
    let flip = Cell::new(false);
    bencher.bench_local(|| {
        flip.set(!flip.get());
        let next = if flip.get() { &edited } else { &original };
        let mut db = db.borrow_mut();
        db.set_file_text(&name, Some(next.clone()));
        black_box(check(&db, file));
    });
}

fn structured_loader(steps: usize) -> Arc<dyn FileLoader> {
    let mut loader = MemoryLoader::default();
    for (name, text) in mlforge_synth::generate_structured(steps) {
        loader.files.insert(path(&name), text);
    }
    Arc::new(loader)
}
