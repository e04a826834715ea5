//! Deep nesting through the real binary: `check`, `ir`, `graph` and `fmt` on programs
//! nested as deep as the parser allows (they work) and far deeper (3,000 parentheses or
//! `if`s, 10,000 lists, 100,000 `+` terms or `not`s: these used to overflow the stack and
//! abort; now they are error E0105), and the same documents in the language server.

mod lsp_support;

use std::path::Path;
use std::process::{Command, Output};

use mlforge_syntax::MAX_NESTING;
use serde_json::json;

const OP: &str = "op f(x: float = 1.0) -> (y: float) {\n  python \"\"\"\n    open(${y}, \"w\").write(str(${x}))\n  \"\"\"\n}\n";

/// A pipeline whose one step passes `expr`, which sits 3 levels deep.
fn argument(expr: &str) -> String {
    format!("{OP}pipeline p(a: float = 1.0, xs: list<float> = [1.0], c: bool = true) {{\n  step s = f(x: {expr})\n}}\n")
}

fn blocks(header: &str, n: usize) -> String {
    format!(
        "{OP}pipeline p(a: float = 1.0, xs: list<float> = [1.0], c: bool = true) {{\n{}step s = f()\n{}}}\n",
        format!("{header} {{\n").repeat(n),
        "}\n".repeat(n)
    )
}

/// Shapes, and the size of each that the limit allows.
type Shape = (&'static str, fn(usize) -> String, usize);

fn shapes() -> Vec<Shape> {
    let m = MAX_NESTING;
    vec![
        (
            "parentheses",
            |n| argument(&format!("{}a{}", "(".repeat(n), ")".repeat(n))),
            m - 3,
        ),
        ("a sum", |n| argument(&vec!["a"; n].join(" + ")), m - 2),
        (
            "`not`s",
            |n| argument(&format!("{}c", "not ".repeat(n))),
            m - 3,
        ),
        (
            "lists",
            |n| argument(&format!("{}a{}", "[".repeat(n), "]".repeat(n))),
            m - 3,
        ),
        ("`if` blocks", |n| blocks("if c", n), m - 3),
        ("`for` blocks", |n| blocks("for x in xs", n), m - 3),
    ]
}

fn mlforge(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlforge"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the mlforge binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const COMMANDS: &[&[&str]] = &[
    &["check"],
    &["ir"],
    &["graph", "--format", "json"],
    &["graph", "--format", "dot"],
    &["fmt", "--check"],
];

#[test]
fn at_the_limit_every_command_works() {
    let dir = tempfile::tempdir().unwrap();
    for (what, make, most) in shapes() {
        std::fs::write(dir.path().join("a.mlf"), make(most)).unwrap();
        for command in COMMANDS {
            let output = mlforge(dir.path(), &[command, &["a.mlf"][..]].concat());
            // `not`s and lists are type errors here (exit 1), and `fmt --check` finds the
            // layout to change (exit 1): what matters is an answer, not a crash.
            assert!(
                matches!(output.status.code(), Some(0 | 1)),
                "{what} at {most}, {command:?}: {:?}\n{}",
                output.status,
                text(&output)
            );
            assert!(
                !text(&output).contains("E0105"),
                "{what}: {}",
                text(&output)
            );
        }
        let output = mlforge(dir.path(), &["fmt", "a.mlf"]);
        assert_eq!(output.status.code(), Some(0), "{what}: {}", text(&output));
        let output = mlforge(dir.path(), &["check", "a.mlf"]);
        assert!(!text(&output).contains("E0105"), "formatted {what}");
    }
}

#[test]
fn far_past_the_limit_every_command_reports_e0105() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = |what: &str| match what {
        "a sum" | "`not`s" => vec![MAX_NESTING + 1, 100_000],
        "lists" => vec![MAX_NESTING + 1, 10_000],
        _ => vec![MAX_NESTING + 1, 3_000, 5_000],
    };
    for (what, make, _) in shapes() {
        for n in sizes(what) {
            std::fs::write(dir.path().join("a.mlf"), make(n)).unwrap();
            for command in COMMANDS {
                let output = mlforge(dir.path(), &[command, &["a.mlf"][..]].concat());
                // `graph` draws a broken step and says so; it fails only on errors outside
                // every step.
                let expected: &[i32] = match command[0] {
                    "fmt" => &[2],
                    "graph" => &[0, 1],
                    _ => &[1],
                };
                let code = output.status.code().unwrap_or(-1);
                assert!(
                    expected.contains(&code),
                    "{what} at {n}, {command:?}: {:?} {}",
                    output.status,
                    text(&output)
                );
                if command[0] != "fmt" && !command.contains(&"dot") {
                    assert!(
                        text(&output).contains("E0105"),
                        "{what} at {n}: {}",
                        text(&output)
                    );
                }
                if command[0] == "fmt" {
                    assert!(text(&output).contains("levels deep"), "{}", text(&output));
                }
            }
        }
    }
}

/// The server's requests run on threads of their own; deep documents must not end it.
#[test]
fn the_language_server_answers_on_deep_documents() {
    let mut server = lsp_support::Server::initialized();
    for (what, make, most) in shapes() {
        for n in [most, most + 1, 3_000] {
            let uri = format!("file:///deep/{}-{n}.mlf", what.replace(['`', ' '], ""));
            let text = make(n);
            server.notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri, "languageId": "mlforge", "version": 1, "text": text}}),
            );
            let diagnostics = server.diagnostics(&uri);
            let deep = diagnostics.iter().any(|d| d["code"] == "E0105");
            assert_eq!(deep, n > most, "{what} at {n}: {diagnostics:?}");
            let document = json!({"uri": uri});
            let last_line = text.lines().count() - 2;
            let position = json!({"line": last_line, "character": 1});
            for (method, params) in [
                (
                    "textDocument/documentSymbol",
                    json!({"textDocument": document}),
                ),
                (
                    "textDocument/semanticTokens/full",
                    json!({"textDocument": document}),
                ),
                (
                    "textDocument/foldingRange",
                    json!({"textDocument": document}),
                ),
                (
                    "textDocument/formatting",
                    json!({"textDocument": document, "options": {"tabSize": 2, "insertSpaces": true}}),
                ),
                (
                    "textDocument/hover",
                    json!({"textDocument": document, "position": {"line": 6, "character": 12}}),
                ),
                (
                    "textDocument/completion",
                    json!({"textDocument": document, "position": position}),
                ),
                ("textDocument/codeLens", json!({"textDocument": document})),
                (
                    "textDocument/inlayHint",
                    json!({"textDocument": document, "range": {"start": {"line": 0, "character": 0}, "end": position}}),
                ),
                ("mlforge/graph", json!({"textDocument": document})),
            ] {
                let answer = server.request(method, params);
                assert!(
                    answer.get("result").is_some() || answer.get("error").is_some(),
                    "{what} at {n}, {method}: {answer}"
                );
            }
        }
    }
    server.shut_down();
}
