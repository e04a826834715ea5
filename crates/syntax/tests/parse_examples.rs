//! Every example program parses without errors, keeps all its comments, and attaches docs.

use std::path::{Path, PathBuf};

fn example_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "mlf") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 4,
        "the spec's examples are missing from examples/"
    );
    files
}

#[test]
fn examples_parse_without_errors() {
    for path in example_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let parse = mlforge_syntax::parse(&text);
        assert!(
            parse.errors.is_empty(),
            "{}: {:#?}",
            path.display(),
            parse.errors
        );
        assert!(!parse.file.items.is_empty());
    }
}

#[test]
fn every_comment_is_kept() {
    for path in example_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let parse = mlforge_syntax::parse(&text);
        let expected = text
            .lines()
            .filter(|l| l.trim_start().starts_with("//"))
            .count()
            + text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//") && l.contains(" // "))
                .count();
        assert_eq!(parse.comments.len(), expected, "{}", path.display());
        for c in &parse.comments {
            assert!(
                text[c.span.range()].starts_with("//") || text[c.span.range()].starts_with("/*")
            );
        }
    }
}
