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

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The fenced blocks of one language (`sh`, `mlf`) in a markdown text, in order.
fn fenced(markdown: &str, language: &str) -> Vec<String> {
    let opening = format!("```{language}");
    let mut blocks = Vec::new();
    let mut open: Option<String> = None;
    for line in markdown.lines() {
        match &mut open {
            None if line.trim_end() == opening => open = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.push(open.take().unwrap()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    blocks
}

#[test]
fn the_readme_example_is_the_glance_example_and_it_runs() {
    let blocks = fenced(&readme(), "mlf");
    let example = std::fs::read_to_string(root().join("examples/glance/pipeline.mlf")).unwrap();
    assert_eq!(
        blocks.first(),
        Some(&example),
        "README.md's language example must be examples/glance/pipeline.mlf as it is"
    );
    let dir = tempfile::tempdir().unwrap();
    for name in ["pipeline.mlf", "ops.mlf"] {
        std::fs::copy(
            root().join("examples/glance").join(name),
            dir.path().join(name),
        )
        .unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(["run", "pipeline.mlf"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_readme_sets_up_with_exactly_two_commands() {
    let readme = readme();
    let start = readme.find("## Set up").expect("a Set up section");
    let end = readme[start + 1..]
        .find("\n## ")
        .map_or(readme.len(), |i| start + 1 + i);
    let commands = fenced(&readme[start..end], "sh");
    assert_eq!(
        commands,
        [
            "cargo run --release -p mlforge -- run examples/quickstart.mlf\n",
            "./tests/run.sh\n"
        ],
        "the Set up section runs the quickstart and every test, nothing else"
    );
}

/// `mlforge [PATH…] --help`: the subcommands it lists and the long flags it takes.
fn help(path: &[String]) -> (Vec<String>, Vec<String>) {
    let output = Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(path)
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success(), "mlforge {path:?} --help failed");
    let text = String::from_utf8(output.stdout).unwrap();
    let mut commands = Vec::new();
    let mut flags = Vec::new();
    let mut section = "";
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            section = line;
            continue;
        }
        let item = line.trim_start();
        // Entries are indented two spaces; their descriptions more.
        if line.len() - item.len() > 6 {
            continue;
        }
        match section {
            "Commands:" => {
                let name = item.split_whitespace().next().unwrap_or("");
                if !name.is_empty() && name != "help" {
                    commands.push(name.to_string());
                }
            }
            "Options:" => {
                let item = item.split_once(", ").map_or(item, |(_, long)| long);
                if let Some(flag) = item.strip_prefix("--") {
                    let flag = flag.split([' ', '<', '=']).next().unwrap();
                    if flag != "help" && flag != "version" {
                        flags.push(format!("--{flag}"));
                    }
                }
            }
            _ => {}
        }
    }
    (commands, flags)
}

#[test]
fn every_subcommand_and_flag_of_the_help_is_in_the_readme() {
    let readme = readme();
    let mut missing = Vec::new();
    let mut seen = 0;
    let mut stack: Vec<Vec<String>> = vec![vec![]];
    while let Some(path) = stack.pop() {
        let (commands, flags) = help(&path);
        for command in commands {
            let mut sub = path.clone();
            sub.push(command);
            stack.push(sub);
        }
        if path.is_empty() {
            continue;
        }
        seen += 1;
        let name = format!("mlforge {}", path.join(" "));
        // The command is named, and each flag on a line that names the command.
        let lines: Vec<&str> = readme
            .lines()
            .filter(|l| {
                l.match_indices(&name).any(|(i, _)| {
                    !l[i + name.len()..].starts_with(|c: char| c.is_ascii_lowercase())
                })
            })
            .collect();
        if lines.is_empty() {
            missing.push(format!("`{name}`"));
        }
        for flag in flags {
            let documented = lines.iter().any(|l| {
                l.match_indices(&flag).any(|(i, _)| {
                    !l[i + flag.len()..].starts_with(|c: char| c.is_ascii_lowercase() || c == '-')
                })
            });
            if !documented {
                missing.push(format!("`{name} {flag}`"));
            }
        }
    }
    assert!(seen >= 15, "the help lists only {seen} commands");
    assert!(
        missing.is_empty(),
        "README.md does not document (on a line naming the command): {}",
        missing.join(", ")
    );
}
