//! No feature panics, at any offset of any example, or on truncated and edited examples.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::{Db, MemoryLoader, RootDatabase, SourceFile};
use mlforge_ide::*;
use proptest::prelude::*;

fn examples() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut out = Vec::new();
    for name in [
        "quickstart.mlf",
        "compose.mlf",
        "wine/ops.mlf",
        "wine/pipeline.mlf",
    ] {
        out.push((
            name.to_string(),
            std::fs::read_to_string(root.join(name)).unwrap(),
        ));
    }
    let diagnostics = root.join("../docs/diagnostics");
    let mut codes: Vec<_> = std::fs::read_dir(&diagnostics)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    codes.sort();
    for code in codes {
        let path = diagnostics.join(&code).join("bad.mlf");
        out.push((
            format!("errors/{code}/bad.mlf"),
            std::fs::read_to_string(path).unwrap(),
        ));
    }
    out
}

/// A database holding every example, with `name` replaced by `text`.
fn db_with(name: &str, text: &str) -> (RootDatabase, SourceFile, Vec<SourceFile>) {
    let mut loader = MemoryLoader::default();
    for (n, t) in examples() {
        loader.files.insert(PathBuf::from("/examples").join(&n), t);
    }
    loader
        .files
        .insert(PathBuf::from("/examples").join(name), text.to_string());
    let db = RootDatabase::new(Arc::new(loader));
    let files: Vec<SourceFile> = [
        "quickstart.mlf",
        "compose.mlf",
        "wine/ops.mlf",
        "wine/pipeline.mlf",
        name,
    ]
    .iter()
    .map(|n| db.file(&Path::new("/examples").join(n)))
    .collect();
    let file = db.file(&Path::new("/examples").join(name));
    (db, file, files)
}

fn at_offset(db: &dyn Db, file: SourceFile, files: &[SourceFile], offset: usize) {
    let config = CompletionConfig { snippets: true };
    let _ = completions(db, file, offset, &config);
    let _ = completions(db, file, offset, &CompletionConfig { snippets: false });
    let _ = path_completions(
        db,
        file,
        offset,
        &[("a.mlf".into(), false), ("d".into(), true)],
    );
    let _ = path_completion_dir(db, file, offset);
    let _ = hover(db, file, offset);
    let _ = signature_help(db, file, offset);
    let _ = goto_definition(db, file, offset);
    let _ = document_highlights(db, file, offset);
    let _ = prepare_rename(db, file, offset);
    let _ = selection_ranges(db, file, offset);
    let _ = references(db, file, offset, true, files);
    let _ = rename(db, file, offset, "renamed_x", files);
    let range = Span::new(offset.saturating_sub(40), offset + 40);
    let _ = inlay_hints(db, file, range);
    let _ = code_actions(db, file, range, files);
}

fn whole_file(db: &dyn Db, file: SourceFile, files: &[SourceFile]) {
    let text = file.text(db).as_deref().unwrap_or("").to_string();
    let tokens = semantic_tokens(db, file);
    let mut last = 0;
    for t in &tokens {
        assert!(t.span.start >= last, "tokens sorted and apart: {t:?}");
        assert!(t.span.start < t.span.end, "tokens not empty: {t:?}");
        assert!(
            !text[t.span.range()].contains('\n'),
            "tokens on one line: {t:?}"
        );
        last = t.span.end;
    }
    let _ = document_symbols(db, file);
    let _ = workspace_symbols(db, files, "a");
    let _ = folding_ranges(db, file);
    let _ = code_lenses(db, file);
    let _ = code_actions(db, file, Span::new(0, text.len()), files);
    let _ = inlay_hints(db, file, Span::new(0, text.len()));
}

#[test]
fn every_offset_of_every_example() {
    for (name, text) in examples().into_iter().take(4) {
        let (db, file, files) = db_with(&name, &text);
        whole_file(&db, file, &files);
        for offset in 0..=text.len() + 2 {
            at_offset(&db, file, &files[..1], offset);
        }
    }
}

#[test]
fn selection_ranges_nest() {
    for (name, text) in examples().into_iter().take(4) {
        let (db, file, _) = db_with(&name, &text);
        for offset in (0..text.len()).step_by(7) {
            let spans = selection_ranges(&db, file, offset);
            for pair in spans.windows(2) {
                assert!(
                    pair[1].start <= pair[0].start && pair[0].end <= pair[1].end,
                    "{name}@{offset}: {spans:?}"
                );
            }
        }
    }
}

/// Bits of text an editor inserts mid-edit.
fn insertion() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("step x = ".to_string()),
        Just("fit.".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\"".to_string()),
        Just("\"\"\"".to_string()),
        Just("${".to_string()),
        Just("é🚀".to_string()),
        Just("\n".to_string()),
        Just("/*".to_string()),
        Just("for x in ".to_string()),
        Just("if ".to_string()),
        Just(", a: ".to_string()),
        Just("{a: ".to_string()),
        Just("[\"".to_string()),
        "[a-z_.:=(){}<>?\\[\\], \n\"]{1,8}",
    ]
}

proptest! {
    // 96 cases by default; `PROPTEST_CASES=N` for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    })]

    #[test]
    fn edited_examples_never_panic(
        which in 0usize..40,
        cut in 0.0f64..1.0,
        mode in 0u8..3,
        insert in insertion(),
        probe in prop::collection::vec(0.0f64..1.0, 8),
    ) {
        let all = examples();
        let (name, text) = &all[which % all.len()];
        let mut at = ((text.len() as f64) * cut) as usize;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let edited = match mode {
            0 => text[..at].to_string(),
            1 => format!("{}{}{}", &text[..at], insert, &text[at..]),
            _ => {
                let mut end = (at + 1 + insert.len()).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                format!("{}{}", &text[..at], &text[end..])
            }
        };
        let (db, file, files) = db_with(name, &edited);
        whole_file(&db, file, &files);
        for p in probe {
            let offset = ((edited.len() as f64) * p) as usize;
            at_offset(&db, file, &files, offset);
        }
        at_offset(&db, file, &files, at);
        at_offset(&db, file, &files, at + insert.len());
    }
}
