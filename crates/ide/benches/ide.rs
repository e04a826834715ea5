//! Editor features on the synthetic 5,000-step program (`mlforge_synth::generate(5000)`),
//! with a warm database (the salsa queries are memoized, as in the language server between
//! keystrokes).
//!
//! Run: `cargo bench -p mlforge-ide --bench ide`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use divan::{black_box, Bencher};
use mlforge_analysis::{Db, MemoryLoader, RootDatabase, SourceFile};
use mlforge_ide::{CompletionConfig, Span};

fn main() {
    divan::main();
}

const STEPS: usize = 5000;

struct Setup {
    db: RootDatabase,
    main: SourceFile,
    text: String,
}

fn setup() -> Setup {
    let mut loader = MemoryLoader::default();
    let mut text = String::new();
    for (name, body) in mlforge_synth::generate(STEPS) {
        if name == "main.mlf" {
            text = body.clone();
        }
        loader
            .files
            .insert(PathBuf::from("/synth").join(name), body);
    }
    let db = RootDatabase::new(Arc::new(loader));
    let main = db.file(Path::new("/synth/main.mlf"));
    // Warm the queries the features read.
    let _ = mlforge_analysis::file_diagnostics(&db, main);
    Setup { db, main, text }
}

fn offset_after(text: &str, needle: &str) -> usize {
    text.find(needle).expect("the needle") + needle.len()
}

/// Times completion at `offset` of the program.
fn bench_completions(bencher: Bencher, s: &Setup, offset: usize, config: &CompletionConfig) {
    bencher.bench_local(|| {
        black_box(mlforge_ide::completions(
            &s.db,
            s.main,
            black_box(offset),
            config,
        ))
    });
}

#[divan::bench]
fn completion_after_step_dot(bencher: Bencher) {
    let s = setup();
    let offset = offset_after(&s.text, "s10_3.");
    let config = CompletionConfig { snippets: true };
    let items = mlforge_ide::completions(&s.db, s.main, offset, &config);
    assert!(items.iter().any(|i| i.label == "table"), "{items:?}");
    bench_completions(bencher, &s, offset, &config);
}

#[divan::bench]
fn hover_on_step_name(bencher: Bencher) {
    let s = setup();
    let offset = offset_after(&s.text, "step s250_5") - 2;
    assert!(mlforge_ide::hover(&s.db, s.main, offset).is_some());
    bencher.bench_local(|| black_box(mlforge_ide::hover(&s.db, s.main, black_box(offset))));
}

#[divan::bench]
fn completion_of_all_steps(bencher: Bencher) {
    let s = setup();
    // An argument's value near the end: every step, param and loop variable.
    let offset = s.text.rfind("(data: ").expect("a data argument") + "(data: ".len();
    let config = CompletionConfig { snippets: true };
    let items = mlforge_ide::completions(&s.db, s.main, offset, &config);
    assert!(items.len() > 4000, "{} items", items.len());
    bench_completions(bencher, &s, offset, &config);
}

#[divan::bench]
fn completion_of_ops_after_step_equals(bencher: Bencher) {
    let s = setup();
    let offset = offset_after(&s.text, "step s400_1 = ");
    let config = CompletionConfig { snippets: true };
    assert!(!mlforge_ide::completions(&s.db, s.main, offset, &config).is_empty());
    bench_completions(bencher, &s, offset, &config);
}

#[divan::bench]
fn semantic_tokens_of_main(bencher: Bencher) {
    let s = setup();
    bencher.bench_local(|| black_box(mlforge_ide::semantic_tokens(&s.db, s.main)));
}

#[divan::bench]
fn signature_help_in_call(bencher: Bencher) {
    let s = setup();
    let offset = offset_after(&s.text, "step s300_2 = ops.train(data: ");
    assert!(mlforge_ide::signature_help(&s.db, s.main, offset).is_some());
    bencher.bench_local(|| {
        black_box(mlforge_ide::signature_help(
            &s.db,
            s.main,
            black_box(offset),
        ))
    });
}

#[divan::bench]
fn goto_definition_of_reference(bencher: Bencher) {
    let s = setup();
    let offset = offset_after(&s.text, "s10_3.") - 3;
    assert!(!mlforge_ide::goto_definition(&s.db, s.main, offset).is_empty());
    bencher.bench_local(|| {
        black_box(mlforge_ide::goto_definition(
            &s.db,
            s.main,
            black_box(offset),
        ))
    });
}

#[divan::bench]
fn references_of_step(bencher: Bencher) {
    let s = setup();
    let offset = offset_after(&s.text, "step s250_5") - 2;
    let files = [s.main];
    bencher.bench_local(|| {
        black_box(mlforge_ide::references(
            &s.db,
            s.main,
            black_box(offset),
            true,
            &files,
        ))
    });
}

#[divan::bench]
fn inlay_hints_of_a_screen(bencher: Bencher) {
    let s = setup();
    let start = offset_after(&s.text, "step s250_0");
    let range = Span::new(start, start + 3000);
    bencher.bench_local(|| black_box(mlforge_ide::inlay_hints(&s.db, s.main, black_box(range))));
}

#[divan::bench]
fn document_symbols_of_main(bencher: Bencher) {
    let s = setup();
    bencher.bench_local(|| black_box(mlforge_ide::document_symbols(&s.db, s.main)));
}

#[divan::bench]
fn folding_ranges_of_main(bencher: Bencher) {
    let s = setup();
    bencher.bench_local(|| black_box(mlforge_ide::folding_ranges(&s.db, s.main)));
}

#[divan::bench(sample_count = 20)]
fn code_actions_on_main(bencher: Bencher) {
    let s = setup();
    let range = Span::new(0, s.text.len());
    bencher.bench_local(|| {
        black_box(mlforge_ide::code_actions(
            &s.db,
            s.main,
            black_box(range),
            &[],
        ))
    });
}

/// An edit (a keystroke in a comment near the top) then the request: the parse, tokens and
/// pipeline analysis are recomputed, as for the first request after a keystroke.
fn after_edit(bencher: Bencher, request: impl Fn(&RootDatabase, SourceFile, usize)) {
    let mut s = setup();
    let path = PathBuf::from("/synth/main.mlf");
    let edited = s.text.replacen("// layer 0", "// layer 0 ", 1);
    let texts = [edited, s.text.clone()];
    let offset = offset_after(&s.text, "s10_3.") + 1;
    let mut flip = 0usize;
    bencher.bench_local(|| {
        flip ^= 1;
        s.db.set_file_text(&path, Some(texts[flip].clone()));
        request(&s.db, s.main, offset - flip);
    });
}

#[divan::bench(sample_count = 30)]
fn edit_then_completion_after_step_dot(bencher: Bencher) {
    let config = CompletionConfig { snippets: true };
    after_edit(bencher, |db, file, offset| {
        black_box(mlforge_ide::completions(db, file, offset, &config));
    });
}

#[divan::bench(sample_count = 30)]
fn edit_then_diagnostics_baseline(bencher: Bencher) {
    after_edit(bencher, |db, file, _| {
        black_box(mlforge_analysis::file_diagnostics(db, file));
    });
}
