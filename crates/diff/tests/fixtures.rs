//! Fixture pairs (`tests/fixtures/CASE/{old,new}/`): each version compiled as `mlforge`
//! compiles it, compared, and the report checked three ways: the summary line and the
//! facts each case is about (here), the whole JSON and Markdown (insta snapshots), and the
//! Mermaid flowchart written to `tests/fixtures/CASE/mermaid.mmd`, which
//! `tests/diff-mermaid` renders with mermaid itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::items::select_pipeline;
use mlforge_analysis::{Db, MemoryLoader, RootDatabase};
use mlforge_diff::{compare, Report, Review, Status};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// One version of a case, compiled with its files under the stable path `/p`.
fn program(case: &str, side: &str) -> mlforge_ir::Program {
    let dir = fixtures().join(case).join(side);
    let mut files = HashMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        files.insert(Path::new("/p").join(path.file_name().unwrap()), text);
    }
    let db = RootDatabase::new(Arc::new(MemoryLoader { files }));
    let file = db.file(Path::new("/p/main.mlf"));
    let key = select_pipeline(&db, file, None).unwrap();
    mlforge_ir::compile(&db, key)
        .unwrap_or_else(|e| panic!("{case}/{side} does not compile: {e:?}"))
}

fn review(case: &str) -> Review {
    let old = program(case, "old");
    let new = program(case, "new");
    Review::new(vec![compare(Some(&old), Some(&new))])
}

/// Checks the snapshots and the Mermaid file, and returns the report for the case's own
/// assertions.
fn check(case: &str, summary: &str) -> Report {
    let review = review(case);
    assert_eq!(review.report.summary, summary, "{case}");
    insta::assert_snapshot!(format!("{case}_json"), review.to_json());
    insta::assert_snapshot!(format!("{case}_md"), review.to_markdown());
    let mermaid = review.to_mermaid().join("\n");
    let path = fixtures().join(case).join("mermaid.mmd");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::var_os("INSTA_UPDATE").is_some_and(|v| v == "always") {
        std::fs::write(&path, &mermaid).unwrap();
    } else {
        assert_eq!(
            current,
            mermaid,
            "{} is stale: run `INSTA_UPDATE=always cargo test -p mlforge-diff` and commit it",
            path.display()
        );
    }
    // The JSON reads back into the same report.
    let back: Report = serde_json::from_str(&review.to_json()).unwrap();
    assert_eq!(back, review.report);
    review.report
}

fn step<'r>(report: &'r Report, id: &str) -> &'r mlforge_diff::StepDiff {
    report.pipelines[0]
        .steps
        .get(id)
        .unwrap_or_else(|| panic!("no step `{id}` in {:#?}", report.pipelines[0].steps))
}

#[test]
fn no_change() {
    let r = check("no_change", "no semantic change");
    assert!(!r.changed);
    assert!(r.pipelines[0].steps.is_empty());
    assert!(review("no_change").to_mermaid().is_empty());
}

#[test]
fn reformat_only() {
    let r = check("reformat_only", "no semantic change");
    assert!(!r.changed);
}

#[test]
fn comment_only() {
    let r = check("comment_only", "no semantic change");
    assert!(!r.changed);
}

#[test]
fn add_step() {
    let r = check(
        "add_step",
        "+1 step, −0, ~0 changed, 0 renamed; 0 steps will re-run",
    );
    assert_eq!(step(&r, "audit").status, Status::Added);
    assert_eq!(r.pipelines[0].edges.added.len(), 2);
}

#[test]
fn remove_step() {
    let r = check(
        "remove_step",
        "+0 steps, −1, ~0 changed, 0 renamed; 0 steps will re-run; 2 other changes",
    );
    assert_eq!(step(&r, "release").status, Status::Removed);
    let lost = &r.pipelines[0].impact.lost_outputs;
    assert_eq!(lost.len(), 1);
    assert_eq!(
        (lost[0].step.as_deref(), lost[0].output.as_str()),
        (Some("release"), "bundle")
    );
}

#[test]
fn rename_step() {
    let r = check(
        "rename_step",
        "+0 steps, −0, ~0 changed, 1 renamed; 0 steps will re-run",
    );
    let s = step(&r, "dataset");
    assert_eq!(s.status, Status::Renamed);
    assert_eq!(s.renamed_from.as_deref(), Some("data"));
    assert!(!s.rerun, "a renamed step keeps its cache key");
    assert!(r.pipelines[0].impact.rerun.is_empty());
}

#[test]
fn rename_and_change() {
    let r = check(
        "rename_and_change",
        "+0 steps, −0, ~1 changed, 1 renamed; 5 steps will re-run",
    );
    let s = step(&r, "dataset");
    assert_eq!(s.status, Status::Changed);
    assert_eq!(s.renamed_from.as_deref(), Some("data"));
    assert!(s.rerun);
}

#[test]
fn change_op_body() {
    let r = check(
        "change_op_body",
        "+0 steps, −0, ~0 changed, 0 renamed; 4 steps will re-run; 1 other change",
    );
    let op = &r.pipelines[0].ops[0];
    assert_eq!(op.name, "train");
    let mlforge_diff::OpChange::Body { diff } = &op.changes[0] else {
        panic!("the body changed: {op:?}");
    };
    assert!(
        diff.contains("+    print(\"trained\")") || diff.contains("+print(\"trained\")"),
        "{diff}"
    );
    assert_eq!(
        r.pipelines[0].impact.rerun,
        ["fit", "check", "best", "release"]
    );
    // The step is not changed; it re-runs because its op did.
    let fit = step(&r, "fit");
    assert_eq!(fit.status, Status::Unchanged);
    assert_eq!(
        fit.reasons,
        [mlforge_diff::Reason::Op {
            name: "train".into()
        }]
    );
}

#[test]
fn change_default_param() {
    let r = check(
        "change_default_param",
        "+0 steps, −0, ~0 changed, 0 renamed; 0 steps will re-run; 1 other change",
    );
    let p = &r.pipelines[0].params[0];
    assert_eq!(
        (p.old_default.as_deref(), p.new_default.as_deref()),
        (Some("1.0"), Some("0.5"))
    );
    // `max_mse` decides the `if`, which no cache key holds.
    assert_eq!(r.pipelines[0].impact.conditional, ["release"]);
}

#[test]
fn add_for_element() {
    let r = check(
        "add_for_element",
        "+0 steps, −0, ~0 changed, 0 renamed; 4 steps will re-run; 1 other change",
    );
    let b = &r.pipelines[0].blocks[0];
    assert_eq!(b.new.as_deref(), Some("for lr in [0.1, 0.2, 0.3]"));
    assert_eq!(
        r.pipelines[0].impact.rerun,
        ["fit", "check", "best", "release"]
    );
}

#[test]
fn change_if_condition() {
    let r = check(
        "change_if_condition",
        "+0 steps, −0, ~0 changed, 0 renamed; 0 steps will re-run; 1 other change",
    );
    assert_eq!(
        r.pipelines[0].blocks[0].old.as_deref(),
        Some("if best.mse <= max_mse")
    );
    assert_eq!(
        r.pipelines[0].blocks[0].new.as_deref(),
        Some("if best.mse < max_mse")
    );
    assert!(step(&r, "release").condition_changed);
}

#[test]
fn move_between_files() {
    let r = check("move_between_files", "no semantic change");
    assert!(!r.changed);
}

#[test]
fn deep_upstream() {
    let r = check(
        "deep_upstream",
        "+0 steps, −0, ~1 changed, 0 renamed; 5 steps will re-run",
    );
    assert_eq!(
        r.pipelines[0].impact.rerun,
        ["data", "fit", "check", "best", "release"]
    );
    assert_eq!(
        step(&r, "best").reasons,
        [
            mlforge_diff::Reason::Upstream { step: "fit".into() },
            mlforge_diff::Reason::Upstream {
                step: "check".into()
            }
        ]
    );
}

#[test]
fn hostile_text_stays_text() {
    let r = check(
        "hostile_text",
        "+0 steps, −0, ~1 changed, 0 renamed; 1 step will re-run; 1 other change",
    );
    assert!(r.changed);
    let md = review("hostile_text").to_markdown();
    for bad in ["<script", "<b>", "</code><", "`tick`", "[x](y)", "@here"] {
        assert!(!md.contains(bad), "{bad:?} reached the Markdown:\n{md}");
    }
    let mermaid = review("hostile_text").to_mermaid().join("\n");
    for bad in ["<script", "<b>", "`", "%%", "\\\"", ":::x"] {
        assert!(
            !mermaid.contains(bad),
            "{bad:?} reached the Mermaid:\n{mermaid}"
        );
    }
}

#[test]
fn the_report_validates_against_the_checked_in_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/diff.schema.json");
    let current = mlforge_diff::json_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &current).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        checked_in, current,
        "schemas/diff.schema.json is stale: run `UPDATE_SCHEMA=1 cargo test -p mlforge-diff` and commit it"
    );
    let schema: serde_json::Value = serde_json::from_str(&checked_in).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for case in [
        "rename_and_change",
        "change_op_body",
        "remove_step",
        "hostile_text",
    ] {
        let json: serde_json::Value = serde_json::from_str(&review(case).to_json()).unwrap();
        assert!(
            validator.is_valid(&json),
            "{case}'s report does not match the schema"
        );
    }
}

#[test]
fn a_diff_read_backwards_swaps_added_and_removed() {
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let case = entry.unwrap().file_name().into_string().unwrap();
        let (old, new) = (program(&case, "old"), program(&case, "new"));
        let forward = compare(Some(&old), Some(&new)).diff.counts;
        let backward = compare(Some(&new), Some(&old)).diff.counts;
        assert_eq!(
            (forward.added, forward.removed, forward.renamed),
            (backward.removed, backward.added, backward.renamed),
            "{case}"
        );
        assert_eq!(forward.any(), backward.any(), "{case}");
        // Each version against itself: nothing.
        for p in [&old, &new] {
            let same = Review::new(vec![compare(Some(p), Some(p))]);
            assert_eq!(same.report.summary, "no semantic change", "{case}");
        }
    }
}
