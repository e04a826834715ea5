//! Snapshots of the formatted examples and of messy inputs (`tests/fixtures/`), and the
//! check that the spec examples are canonical (or why not).
//!
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test -p
//! mlforge-fmt` then `git diff`).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The examples (`examples/`): paths relative to `examples/`, sorted.
fn example_paths() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "mlf") {
                let relative = path.strip_prefix(base).expect("inside examples/");
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let base = root().join("examples");
    let mut found = Vec::new();
    walk(&base, &base, &mut found);
    found.sort();
    assert!(found.len() >= 4, "the examples are found: {found:?}");
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn snapshot_name(path: &str) -> String {
    path.trim_end_matches(".mlf").replace('/', "_")
}

#[test]
fn examples() {
    for name in example_paths() {
        let text = read(&root().join("examples").join(&name));
        let formatted = mlforge_fmt::format(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_snapshot!(format!("example_{}", snapshot_name(&name)), formatted);
    }
}

#[test]
fn fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the fixtures folder")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".mlf"))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "the fixtures are found: {names:?}");
    for name in names {
        let text = read(&dir.join(&name));
        let formatted = mlforge_fmt::format(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_ne!(
            formatted, text,
            "{name}: a fixture is messy, formatting changes it"
        );
        insta::assert_snapshot!(format!("fixture_{}", snapshot_name(&name)), formatted);
    }
}

/// Every example is in the canonical layout (`mlforge fmt --check examples` passes).
#[test]
fn examples_are_canonical() {
    for name in example_paths() {
        let text = read(&root().join("examples").join(&name));
        let formatted = mlforge_fmt::format(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            formatted,
            text,
            "{name} is not canonical:\n{}",
            mlforge_fmt::unified_diff(&name, &text, &formatted)
        );
    }
}

/// The block of `spec/LANGUAGE.md` §1 differs only in the columns of its trailing comments
/// (the formatter puts two spaces before each; the spec lines them up by hand).
#[test]
fn language_guide_example() {
    let text =
        read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/language_guide.mlf"));
    let formatted = mlforge_fmt::format(&text).expect("the guide's example formats");
    let squeeze = |s: &str| -> String {
        s.lines()
            .map(|l| match l.find("//") {
                Some(i) => format!("{}  {}", l[..i].trim_end(), &l[i..]),
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(squeeze(&text), squeeze(&formatted));
}
