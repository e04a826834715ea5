//! The `mlf` examples of the documentation are real programs: each block of
//! `docs/language.md` checks with no diagnostic, or, when its first line is
//! `// error: CODE`, reports exactly that code. A block whose first line is
//! `// file: NAME.mlf` is saved under that name so that later blocks can import it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Block {
    /// 1-based line of the opening fence, for messages.
    line: usize,
    name: Option<String>,
    expected: Option<String>,
    text: String,
}

fn mlf_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        match &mut open {
            None if line.trim_start() == "```mlf" => {
                open = Some(Block {
                    line: i + 1,
                    name: None,
                    expected: None,
                    text: String::new(),
                })
            }
            None => {}
            Some(_) if line.trim_start() == "```" => blocks.push(open.take().unwrap()),
            Some(block) => {
                if block.text.is_empty() {
                    if let Some(name) = line.strip_prefix("// file: ") {
                        block.name = Some(name.trim().to_string());
                    } else if let Some(code) = line.strip_prefix("// error: ") {
                        block.expected = Some(code.trim().to_string());
                    }
                }
                block.text.push_str(line);
                block.text.push('\n');
            }
        }
    }
    assert!(open.is_none(), "an `mlf` block is never closed");
    blocks
}

/// The codes `mlforge check` reports for `file` (in `dir`).
fn codes(dir: &Path, file: &str) -> BTreeSet<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(["check", "--format", "json", file])
        .current_dir(dir)
        .output()
        .expect("the mlforge binary runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON report for {file}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

/// Checks every block of one document; how many there were.
fn check_document(relative: &str) -> usize {
    let text = std::fs::read_to_string(root().join(relative)).unwrap();
    let blocks = mlf_blocks(&text);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let name = block
            .name
            .clone()
            .unwrap_or_else(|| format!("block{}.mlf", i + 1));
        std::fs::write(dir.path().join(&name), &block.text).unwrap();
        files.push(name);
    }
    for (block, file) in blocks.iter().zip(&files) {
        let found = codes(dir.path(), file);
        let wanted: BTreeSet<String> = block.expected.iter().cloned().collect();
        assert_eq!(
            found,
            wanted,
            "{relative}:{}: the `mlf` block reports {found:?}, but {}",
            block.line,
            match &block.expected {
                Some(code) => format!("it is marked `// error: {code}`"),
                None => "it should check clean (or be marked `// error: CODE`)".into(),
            }
        );
    }
    blocks.len()
}

#[test]
fn the_language_reference_examples_check_as_marked() {
    let blocks = check_document("docs/language.md");
    assert!(
        blocks >= 6,
        "docs/language.md has only {blocks} `mlf` examples"
    );
}

#[test]
fn a_block_marked_as_an_error_must_report_it() {
    // The harness itself: a clean program marked as an error, and a broken one unmarked,
    // are both caught (so a test of the docs can fail).
    let markdown = "```mlf\n// error: E0401\npipeline p() {}\n```\n";
    let blocks = mlf_blocks(markdown);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].expected.as_deref(), Some("E0401"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.mlf"), &blocks[0].text).unwrap();
    assert!(codes(dir.path(), "a.mlf").is_empty());
    std::fs::write(
        dir.path().join("b.mlf"),
        "pipeline p() { step s = nope() }\n",
    )
    .unwrap();
    assert_eq!(
        codes(dir.path(), "b.mlf"),
        BTreeSet::from(["E0203".to_string()])
    );
}

#[test]
fn the_readme_links_the_language_reference_inside_the_repository() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("(docs/language.md)"),
        "README.md must link docs/language.md"
    );
    for (i, line) in readme.lines().enumerate() {
        assert!(
            !line.contains("](../"),
            "README.md:{}: a link leaves the repository: {line}",
            i + 1
        );
    }
}

#[test]
fn nothing_in_the_repository_reads_a_sibling_shared_folder() {
    // Spelled in two parts so that this file does not match itself.
    let needles = [
        format!("{}/spec/", "../shared"),
        format!("{}/schemas/", "../shared"),
        format!("{}/notes/", "../shared"),
        format!("/work/{}", "shared"),
    ];
    let mut found = Vec::new();
    let mut stack = vec![root()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    stack.push(path);
                }
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                if needles.iter().any(|n| text.contains(n.as_str())) {
                    found.push(path.strip_prefix(root()).unwrap().display().to_string());
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "these files point outside the repository (copy what they need inside it): {found:?}"
    );
}
