//! Formatting the synthetic program of `spec/PRODUCT.md` ("Promises"): 5,000 steps in
//! layers of 10, with loops, conditions and composition, over three files. The figure
//! includes the verification `format` does (a second parse, the tree comparison and a
//! second formatting). Target: under 50 ms for the three files.
//!
//! Run: `cargo bench -p mlforge-fmt --bench fmt`.

use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

/// Sizes measured. The promise is about 5,000; 1,000 shows how time grows with size.
const SIZES: &[usize] = &[1000, 5000];

/// Every file of the program, formatted (and verified).
#[divan::bench(args = SIZES)]
fn format_program(bencher: Bencher, steps: usize) {
    let files = mlforge_synth::generate(steps);
    for (name, text) in &files {
        mlforge_fmt::format(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    bencher.bench(|| {
        for (_, text) in &files {
            black_box(mlforge_fmt::format(black_box(text)).ok());
        }
    });
}

/// The main file alone, with its indentation and the spaces after commas removed (so that
/// the formatter has work to do).
#[divan::bench(args = SIZES)]
fn format_messy_main(bencher: Bencher, steps: usize) {
    let main = mlforge_synth::generate(steps)
        .into_iter()
        .find(|(name, _)| name == "main.mlf")
        .expect("a main file")
        .1;
    let messy: String = main
        .lines()
        .map(|l| format!("{}\n", l.trim_start()))
        .collect::<String>()
        .replace(", ", ",");
    mlforge_fmt::format(&messy).expect("the messy main file formats");
    bencher.bench(|| black_box(mlforge_fmt::format(black_box(&messy)).ok()));
}

/// Every file of the program once formatted, formatted again: what `mlforge fmt --check`
/// does on a formatted project (the output equals the input, so the checks have nothing to
/// compare).
#[divan::bench(args = SIZES)]
fn format_canonical_program(bencher: Bencher, steps: usize) {
    let files: Vec<String> = mlforge_synth::generate(steps)
        .into_iter()
        .map(|(name, text)| mlforge_fmt::format(&text).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect();
    bencher.bench(|| {
        for text in &files {
            black_box(mlforge_fmt::format(black_box(text)).ok());
        }
    });
}

/// The second-edition program (records, dicts, indexing and `zip`, one file of 5,000 steps),
/// formatted from its generated layout and, once canonical, again (`fmt --check`).
#[divan::bench(args = [5000])]
fn format_structured_program(bencher: Bencher, steps: usize) {
    let (_, text) = mlforge_synth::generate_structured(steps).remove(0);
    mlforge_fmt::format(&text).expect("the structured program formats");
    bencher.bench(|| black_box(mlforge_fmt::format(black_box(&text)).ok()));
}

#[divan::bench(args = [5000])]
fn format_canonical_structured_program(bencher: Bencher, steps: usize) {
    let (_, text) = mlforge_synth::generate_structured(steps).remove(0);
    let canonical = mlforge_fmt::format(&text).expect("the structured program formats");
    bencher.bench(|| black_box(mlforge_fmt::format(black_box(&canonical)).ok()));
}
