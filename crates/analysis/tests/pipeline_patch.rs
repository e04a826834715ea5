//! A patched analysis (`pipeline_patch`) must equal a whole check of the edited text, and
//! typing inside a step's arguments must be patched rather than checked again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::{find_pipeline, ItemKey};
use mlforge_analysis::pipeline::{analyze_pipeline, check_pipeline, PipelineAnalysis};
use mlforge_analysis::pipeline_patch::patch;
use mlforge_analysis::{MemoryLoader, RootDatabase};
use proptest::prelude::*;

const DIR: &str = "/synth";

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

/// The generated 200-step program (every kind of block, steps reading steps of their own
/// block), with `main.mlf` to edit.
fn program() -> (RootDatabase, String) {
    let files = mlforge_synth::generate(200);
    let mut loader = MemoryLoader::default();
    for (name, text) in &files {
        loader.files.insert(path(name), text.clone());
    }
    let main = files
        .iter()
        .find(|(n, _)| n == "main.mlf")
        .unwrap()
        .1
        .clone();
    (RootDatabase::new(Arc::new(loader)), main)
}

/// Sets `main.mlf` to `text` and checks that the analysis the database gives (patched or
/// not) is what a whole check gives.
fn assert_analysis_is_whole(db: &mut RootDatabase, text: &str) {
    let file = db.set_file_text(&path("main.mlf"), Some(text.to_string()));
    let Some(pipeline) = find_pipeline(db, file, mlforge_synth::PIPELINE) else {
        return;
    };
    let whole = check_pipeline(db, file, pipeline);
    let key = ItemKey::new(db, file, mlforge_synth::PIPELINE.to_string());
    let given = analyze_pipeline(db, key);
    assert_eq!(**given, whole, "after editing into\n{text}");
}

/// Mostly what typing a value inserts (digits), then names that exist and names that do
/// not, and characters that break the step.
const SNIPPETS: &[&str] = &[
    "",
    "1",
    "9",
    "42",
    "7",
    "3",
    "",
    "5",
    " ",
    "x",
    "seed",
    "s0_1.table",
    "\"s\"",
    ", z: 1",
    "-",
    " + 1",
    ")",
    "(",
    "[1, 2]",
    "nope.table",
    "s1_0.table",
    "s0_3",
    ".tab",
    "s3_1.score",
    "seed",
    "after s0_1",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(250))]

    #[test]
    fn patched_analyses_equal_whole_checks(
        edits in proptest::collection::vec(
            (0.0f64..1.0, 0usize..3, prop_oneof![0usize..3, 8usize..24], 0usize..SNIPPETS.len(), 0usize..5),
            1..8,
        ),
    ) {
        let (mut db, mut text) = program();
        assert_analysis_is_whole(&mut db, &text);
        for (at, offset, delete, snippet, place) in edits {
            // Aim at argument values (literals and references to steps and params) and
            // inside comments, where the patch applies.
            let places: Vec<usize> = match place {
                0 => text.match_indices("// ").map(|(i, _)| i + 4).collect(),
                1 | 2 => text
                    .match_indices(": ")
                    .map(|(i, _)| i + 2)
                    .filter(|&i| text[i..].starts_with(|c: char| c.is_ascii_digit() || c == '"'))
                    .collect(),
                _ => text
                    .match_indices(": ")
                    .map(|(i, _)| i + 2)
                    .filter(|&i| text[i..].starts_with('s'))
                    .collect(),
            };
            let at = places[(at * places.len() as f64) as usize % places.len()] + offset;
            text = mlforge_synth::edited(&text, at, delete, SNIPPETS[snippet]);
            assert_analysis_is_whole(&mut db, &text);
        }
    }
}

/// Edits `main` (its first `from` into `to`) and returns the patch of the whole check of
/// `main` (if the edit fits) and the whole check of the result.
fn patch_edit(
    db: &mut RootDatabase,
    main: &str,
    from: &str,
    to: &str,
) -> (Option<PipelineAnalysis>, PipelineAnalysis) {
    assert!(main.contains(from), "{from:?} is in the program");
    let new = main.replacen(from, to, 1);
    let file = db.set_file_text(&path("main.mlf"), Some(main.to_string()));
    let pipeline = find_pipeline(db, file, mlforge_synth::PIPELINE).unwrap();
    let old = check_pipeline(db, file, pipeline);
    let file = db.set_file_text(&path("main.mlf"), Some(new.clone()));
    let pipeline = find_pipeline(db, file, mlforge_synth::PIPELINE).unwrap();
    let patched = patch(db, file, pipeline, main, &new, &old);
    (patched, check_pipeline(db, file, pipeline))
}

/// Everyday typing inside arguments is patched, and the patch equals a whole check.
#[test]
fn typing_inside_arguments_is_patched() {
    let (mut db, main) = program();
    let edits = [
        ("a digit added", "rows: 500)", "rows: 5001)"),
        ("a digit removed", "rows: 500)", "rows: 50)"),
        ("a string changed", "how: \"left\")", "how: \"right\")"),
        ("a float in a `for` body", "rate: 0.3)", "rate: 0.35)"),
        ("arithmetic", "seed: seed + 3,", "seed: seed * 3 + 3,"),
        (
            "typing in a comment",
            "// layer 0",
            "// layer zero, the loads",
        ),
        (
            "typing in a comment between steps",
            "// layers 1..=1: Plain",
            "// layers 1..=1: Plain!",
        ),
        ("another input read", "left: s0_0.table", "left: s0_2.table"),
        (
            "a reference half typed",
            "left: s0_0.table",
            "left: s0_0.tab",
        ),
        (
            "a step that does not exist",
            "left: s0_0.table",
            "left: nope.table",
        ),
        (
            "a param read instead of a literal",
            "rows: 500)",
            "rows: seed)",
        ),
        ("an argument renamed", "how: \"left\")", "hows: \"left\")"),
        ("a type mismatch", "rows: 500)", "rows: \"500\")"),
    ];
    for (what, from, to) in edits {
        let (patched, whole) = patch_edit(&mut db, &main, from, to);
        assert_eq!(
            patched,
            Some(whole),
            "{what}: patched, and equal to a whole check"
        );
    }
}

/// Removing a wrong argument drops its diagnostic, whose span lay in the text removed.
#[test]
fn removing_a_wrong_argument_is_patched() {
    let (mut db, main) = program();
    let wrong = main.replacen("rows: 500)", "rows: 500, shuffle: true)", 1);
    let (patched, whole) = patch_edit(&mut db, &wrong, ", shuffle: true)", ")");
    assert!(
        whole.diagnostics.is_empty(),
        "the fixed program checks clean: {:?}",
        whole.diagnostics
    );
    assert_eq!(patched, Some(whole));
}

/// Edits that change what other steps see are checked whole.
#[test]
fn edits_that_reach_other_steps_are_not_patched() {
    let (mut db, main) = program();
    let edits = [
        ("a step renamed", "step s1_3 =", "step s1_3x ="),
        (
            "another callee",
            "= ops.load(seed: seed + 4, rows: 500)",
            "= ops.train(seed: seed + 4, rows: 500)",
        ),
        (
            "a new step",
            "  step s0_4 =",
            "  step n = ops.load(rows: 2)\n  step s0_4 =",
        ),
    ];
    for (what, from, to) in edits {
        let (patched, _) = patch_edit(&mut db, &main, from, to);
        assert!(patched.is_none(), "{what}: checked whole");
        assert_analysis_is_whole(&mut db, &main.replacen(from, to, 1));
    }
}
