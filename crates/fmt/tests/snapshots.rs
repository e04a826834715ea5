//! Snapshots of the formatted examples and of messy inputs (`tests/fixtures/`), and the
//! check that the spec examples are canonical (or why not).
//!
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test -p
//! mlforge-fmt` then `git diff`).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The spec examples (`examples/` mirrors `spec/examples/`), without the error examples:
/// paths relative to `examples/`, sorted.
fn example_paths() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "errors") {
                    walk(&path, base, out);
                }
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

/// Spec examples that are not canonical, and why: each difference is defensible and small.
const NOT_CANONICAL: &[(&str, &str)] = &[
    (
        "compose.mlf",
        "The signature of `train_eval` is 103 columns wide; past 100 the params go one a line \
         with a trailing comma, and `) -> (model: Model, accuracy: float) {` stays on one line.",
    ),
    (
        "quickstart.mlf",
        "In the `for lr in rates` block, `step fitted` and `step check` are consecutive steps: \
         their `=` line up, as the example does everywhere else (`step data  =`).",
    ),
];

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

/// Each spec example is already canonical, or its difference is explained (in
/// `NOT_CANONICAL` and in its snapshot, which holds the explanation and the diff).
#[test]
fn spec_examples_are_canonical() {
    for name in example_paths() {
        let text = read(&root().join("examples").join(&name));
        let formatted = mlforge_fmt::format(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let why = NOT_CANONICAL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, w)| *w);
        match why {
            None => assert_eq!(
                formatted,
                text,
                "{name} is not canonical:\n{}",
                line_diff(&text, &formatted)
            ),
            Some(why) => {
                assert_ne!(
                    formatted, text,
                    "{name} is canonical now: drop it from NOT_CANONICAL"
                );
                insta::assert_snapshot!(
                    format!("canonical_{}", snapshot_name(&name)),
                    format!("{why}\n\n{}", line_diff(&text, &formatted))
                );
            }
        }
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

/// A line diff (longest common subsequence), `-` for the example's lines, `+` for the
/// formatter's.
fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("{:>4} - {}\n", i + 1, a[i]));
            i += 1;
        } else {
            out.push_str(&format!("{:>4} + {}\n", j + 1, b[j]));
            j += 1;
        }
    }
    out
}
