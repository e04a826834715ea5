//! `check_diagnostics`: the one helper of these tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mlforge_analysis::{check_files, Db, MemoryLoader, RootDatabase};

/// One expected or reported diagnostic: file, start and end (bytes), code.
type Mark = (PathBuf, usize, usize, String);

/// The files of a fixture: `//- /path` lines start files; without one, `/main.mlf`.
fn files(fixture: &str) -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for line in fixture.split_inclusive('\n') {
        if let Some(path) = line.trim().strip_prefix("//- ") {
            files.push((PathBuf::from(path.trim()), String::new()));
            continue;
        }
        if files.is_empty() {
            files.push((PathBuf::from("/main.mlf"), String::new()));
        }
        files.last_mut().unwrap().1.push_str(line);
    }
    files
}

/// `//   ^^^ E0401` → (column of the first `^`, count, code).
fn mark(line: &str) -> Option<(usize, usize, String)> {
    let rest = line.trim_start().strip_prefix("//")?;
    let at = line.len() - rest.len();
    let carets = rest.trim_start();
    let column = at + (rest.len() - carets.len());
    let count = carets.chars().take_while(|&c| c == '^').count();
    if count == 0 {
        return None;
    }
    let code = carets[count..].trim();
    let valid = code.len() == 5 && code[1..].chars().all(|c| c.is_ascii_digit());
    valid.then(|| (column, count, code.to_string()))
}

fn expected(path: &Path, text: &str) -> Vec<Mark> {
    let mut marks = Vec::new();
    let mut offset = 0;
    let mut target: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        match (mark(line), target) {
            (Some((column, count, code)), Some(start)) => {
                marks.push((
                    path.to_path_buf(),
                    start + column,
                    start + column + count,
                    code,
                ));
            }
            (Some(_), None) => panic!("a mark with no line above it: {line}"),
            (None, _) => target = Some(offset),
        }
        offset += line.len();
    }
    marks
}

/// Checks that the diagnostics of the fixture are exactly those its marks name.
#[track_caller]
pub fn check_diagnostics(fixture: &str) {
    let files = files(fixture);
    let loader = MemoryLoader {
        files: files.iter().cloned().collect(),
    };
    let db = RootDatabase::new(Arc::new(loader));
    let roots: Vec<_> = files.iter().map(|(path, _)| db.file(path)).collect();
    let texts: HashMap<PathBuf, &str> =
        files.iter().map(|(p, t)| (p.clone(), t.as_str())).collect();
    let mut actual: Vec<Mark> = Vec::new();
    let mut messages = Vec::new();
    for (_, diagnostics) in check_files(&db, &roots) {
        for d in &diagnostics {
            let path = d.file.path(&db).to_path_buf();
            let text = texts[&path];
            let (start, end) = (d.span.start as usize, d.span.end as usize);
            let line_end = text[start..].find('\n').map_or(text.len(), |n| start + n);
            let end = end.min(line_end).max(start + 1);
            actual.push((path, start, end, d.code.as_str().to_string()));
            messages.push(format!("{} {}", d.code.as_str(), d.message));
        }
    }
    let mut expected: Vec<Mark> = files.iter().flat_map(|(p, t)| expected(p, t)).collect();
    actual.sort();
    actual.dedup();
    expected.sort();
    if actual != expected {
        panic!(
            "the diagnostics differ from the marks.\nreported, marked as they would be:\n{}\nmessages:\n  {}",
            render(&files, &actual),
            messages.join("\n  ")
        );
    }
}

/// The fixture with `marks` written under their lines, for the failure message.
fn render(files: &[(PathBuf, String)], marks: &[Mark]) -> String {
    let mut out = String::new();
    for (path, text) in files {
        out.push_str(&format!("//- {}\n", path.display()));
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if mark(line).is_some() {
                offset += line.len();
                continue;
            }
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push('\n');
            }
            for (p, start, end, code) in marks {
                if p == path && *start >= offset && *start < offset + line.len().max(1) {
                    let column = start - offset;
                    let width = (end - start).max(1);
                    out.push_str(&format!(
                        "{}//{} {code}\n",
                        " ".repeat(column.saturating_sub(2)),
                        "^".repeat(width)
                    ));
                }
            }
            offset += line.len();
        }
    }
    out
}

#[test]
fn marks_read_their_columns_and_codes() {
    assert_eq!(mark("//   ^^^ E0401"), Some((5, 3, "E0401".into())));
    assert_eq!(mark("  //^ W0101\n"), Some((4, 1, "W0101".into())));
    assert_eq!(mark("// a comment"), None);
    assert_eq!(mark("// ^^ not a code"), None);
}

/// Ops most fixtures call, with bodies that use every input and write every output.
pub const OPS: &str = r#"op train(data: Dataset, c: float = 1.0) -> (model: Model) {
  python """
    print(${data}, ${c}, ${model})
  """
}

op evaluate(model: Model, data: Dataset) -> (accuracy: float) {
  python """
    print(${model}, ${data}, ${accuracy})
  """
}

op load(rows: int = 10) -> (table: Dataset) {
  python """
    print(${rows}, ${table})
  """
}
"#;

/// [`check_diagnostics`] of `fixture` after [`OPS`].
#[track_caller]
pub fn check_with_ops(fixture: &str) {
    check_diagnostics(&format!("{OPS}\n{fixture}"));
}

#[test]
#[should_panic(expected = "the diagnostics differ from the marks")]
fn a_diagnostic_without_its_mark_fails() {
    check_with_ops("pipeline p(data: Dataset) {\n  step fit = trian(data: data)\n}\n");
}

#[test]
#[should_panic(expected = "the diagnostics differ from the marks")]
fn a_mark_without_its_diagnostic_fails() {
    check_with_ops(
        "pipeline p(data: Dataset) {\n  step fit = train(data: data)\n  //   ^^^ W0102\n}\n",
    );
}

/// Every diagnostic of a one-file fixture as `CODE message (help: …)`, for tests of wording.
pub fn messages(fixture: &str) -> Vec<String> {
    let files = files(fixture);
    let loader = MemoryLoader {
        files: files.iter().cloned().collect(),
    };
    let db = RootDatabase::new(Arc::new(loader));
    let roots: Vec<_> = files.iter().map(|(path, _)| db.file(path)).collect();
    check_files(&db, &roots)
        .into_iter()
        .flat_map(|(_, ds)| ds)
        .map(|d| match &d.help {
            Some(help) => format!("{} {} (help: {help})", d.code, d.message),
            None => format!("{} {}", d.code, d.message),
        })
        .collect()
}
