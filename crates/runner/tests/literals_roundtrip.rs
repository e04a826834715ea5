//! The encoders against the real interpreters: for thousands of generated strings, Python
//! reads each literal back as exactly the string (and `repr` writes the same literal), and
//! `sh` reads each word back as exactly the string.

use std::io::Write;
use std::process::{Command, Stdio};

use mlforge_runner::body::shell_words;
use mlforge_runner::quote::python_str;
use mlforge_runner::value::RValue;

/// Characters that break naive quoting, plus ordinary and exotic ones.
const PALETTE: &[char] = &[
    'a', 'Z', '0', ' ', '\'', '"', '\\', '$', '`', '(', ')', '{', '}', '#', ';', '&', '|', '*',
    '?', '~', '!', '%', '\n', '\r', '\t', '\u{0}', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}', '\u{a0}',
    'é', 'ß', '✓', '中', '😀', '\u{2028}', '\u{2029}', '\u{200b}', '\u{feff}', '\u{e000}',
    '\u{ad}',
];

fn strings() -> Vec<String> {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut out = vec![
        String::new(),
        "\"\"\"".into(),
        "'''".into(),
        "it's".into(),
        "$(touch x)".into(),
    ];
    for _ in 0..3000 {
        let len = (next() % 12) as usize;
        out.push(
            (0..len)
                .map(|_| PALETTE[(next() % PALETTE.len() as u64) as usize])
                .collect(),
        );
    }
    out
}

fn python() -> Option<String> {
    let python = std::env::var("MLFORGE_PYTHON").unwrap_or_else(|_| "python3".into());
    Command::new(&python)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| python)
}

#[test]
fn python_reads_every_literal_back_exactly_and_repr_agrees() {
    let Some(python) = python() else {
        // tests/run.sh runs CI with a Python; only a developer's machine may lack one.
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(!ci, "CI needs python3 for this test, and there is none");
        eprintln!("skipped: no python3");
        return;
    };
    let values = strings();
    let literals: Vec<String> = values.iter().map(|v| python_str(v)).collect();
    let script = r#"
import json, sys, ast
data = json.load(sys.stdin)
bad = []
for value, literal in zip(data["values"], data["literals"]):
    if ast.literal_eval(literal) != value:
        bad.append(["eval", value, literal])
    elif repr(value) != literal:
        bad.append(["repr", value, literal, repr(value)])
json.dump(bad, sys.stdout)
"#;
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = serde_json::json!({"values": values, "literals": literals}).to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let bad: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        bad.is_empty(),
        "{} mismatches, first: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}

#[test]
fn sh_reads_every_word_back_exactly() {
    // NUL cannot be in a shell script (or any argument).
    let values: Vec<String> = strings()
        .into_iter()
        .filter(|v| !v.contains('\0'))
        .collect();
    let mut script = String::new();
    for value in &values {
        script.push_str("printf '%s\\0' ");
        script.push_str(&shell_words(&RValue::Str(value.clone())));
        script.push('\n');
    }
    let output = Command::new("sh")
        .args(["-e", "-c", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let read: Vec<&str> = text.split('\0').collect();
    assert_eq!(read.len(), values.len() + 1);
    for (value, back) in values.iter().zip(read) {
        assert_eq!(value, back);
    }
}
