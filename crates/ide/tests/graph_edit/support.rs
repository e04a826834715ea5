//! Fixture runner: files in memory, one graph edit, and the files after it (or the
//! refusal) as text for a snapshot. Every run also checks what must hold for any edit:
//! the result parses with no new error and keeps every comment of every file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::{Db, MemoryLoader, RootDatabase, SourceFile};
use mlforge_ide::{graph_edit, GraphEdit, TextEdit};

pub struct Files {
    pub db: RootDatabase,
    pub files: Vec<(PathBuf, SourceFile)>,
}

pub fn load(files: &[(&str, &str)]) -> Files {
    let mut loader = MemoryLoader::default();
    for (path, text) in files {
        loader.files.insert(PathBuf::from(path), text.to_string());
    }
    let db = RootDatabase::new(Arc::new(loader));
    let files = files
        .iter()
        .map(|(path, _)| (PathBuf::from(path), db.file(Path::new(path))))
        .collect();
    Files { db, files }
}

pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for edit in edits {
        assert!(
            edit.span.start as usize >= at,
            "edits overlap or are not sorted: {edits:?}"
        );
        out.push_str(&text[at..edit.span.start as usize]);
        out.push_str(&edit.new_text);
        at = edit.span.end as usize;
    }
    out.push_str(&text[at..]);
    out
}

/// The comments of a text, without their surrounding white space.
pub fn comments(text: &str) -> Vec<String> {
    let mut found: Vec<String> = mlforge_syntax::parse(text)
        .comments
        .iter()
        .map(|c| text[c.span.range()].trim().to_string())
        .collect();
    found.sort();
    found
}

/// The outcome of `edit` on the pipeline `pipeline` of the first file, as snapshot text.
pub fn run(files: &[(&str, &str)], pipeline: &str, edit: GraphEdit) -> String {
    let loaded = load(files);
    let (_, document) = loaded.files[0];
    let mut out = format!("edit: {edit:?}\n");
    match graph_edit(&loaded.db, document, pipeline, &edit) {
        Err(refusal) => {
            out.push_str(&format!(
                "refused ({:?}): {}\n",
                refusal.reason, refusal.message
            ));
            if !refusal.dependants.is_empty() {
                out.push_str(&format!("dependants: {:?}\n", refusal.dependants));
            }
        }
        Ok(outcome) => {
            out.push_str(&format!("select: {:?}\n", outcome.select));
            for file_edits in &outcome.edits {
                let (path, file) = loaded
                    .files
                    .iter()
                    .find(|(_, f)| *f == file_edits.file)
                    .expect("an edited file is a fixture file");
                let before = file.text(&loaded.db).as_deref().unwrap().to_string();
                let after = apply(&before, &file_edits.edits);
                let old_errors = mlforge_syntax::parse(&before).errors.len();
                let new_errors = mlforge_syntax::parse(&after).errors;
                assert!(
                    new_errors.len() <= old_errors,
                    "the edit broke the syntax: {new_errors:?}\n{after}"
                );
                assert_eq!(
                    comments(&before),
                    comments(&after),
                    "a comment changed:\n{after}"
                );
                out.push_str(&format!("--- {}\n{after}", path.display()));
            }
        }
    }
    out
}
