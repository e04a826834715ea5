//! Keeps `grammar/mlforge.ebnf` honest.
//!
//! Every example block in the grammar, a line that is exactly `(*> example`, then a
//! complete `.mlf` program, then a line that is exactly `*)`, must parse with no syntax
//! error; and every production (a line starting `name =` outside example blocks) must be
//! followed by at least one example before the next production, unless it is one of the
//! few character-class helpers listed in `LEXICAL_HELPERS`.

use std::path::PathBuf;

/// Productions that only name sets of characters or raw text; they need no example.
const LEXICAL_HELPERS: &[&str] = &[
    "letter",
    "digit",
    "hex_digit",
    "newline",
    "any_char",
    "line_char",
    "ident_start",
    "ident_char",
    "string_char",
    "body_text",
];

const EXAMPLE_OPEN: &str = "(*> example";
const EXAMPLE_CLOSE: &str = "*)";

struct Example {
    /// 1-based line of the opening `(*> example`.
    line: usize,
    text: String,
}

struct Production {
    name: String,
    line: usize,
    examples: usize,
}

struct Grammar {
    examples: Vec<Example>,
    productions: Vec<Production>,
}

fn grammar_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../grammar/mlforge.ebnf")
}

fn load() -> Grammar {
    let path = grammar_path();
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the grammar at {}: {e}", path.display()));
    scan(&source)
}

/// The name defined on this line, if the line starts a production: it begins (in the
/// first column) with an identifier followed by optional spaces and a lone `=`.
fn production_name(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_') {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let rest = line[end..].trim_start();
    let after_eq = rest.strip_prefix('=')?;
    if after_eq.starts_with('=') {
        return None;
    }
    Some(&line[..end])
}

fn scan(source: &str) -> Grammar {
    let mut examples = Vec::new();
    let mut productions: Vec<Production> = Vec::new();
    let mut open: Option<(usize, Vec<&str>)> = None;

    for (index, raw) in source.lines().enumerate() {
        let line_no = index + 1;
        // Tolerate CRLF checkouts and trailing blanks on the marker lines.
        let line = raw.trim_end_matches('\r');
        match open.as_mut() {
            Some((start, body)) => {
                if line.trim_end() == EXAMPLE_CLOSE {
                    examples.push(Example {
                        line: *start,
                        text: body.join("\n"),
                    });
                    if let Some(last) = productions.last_mut() {
                        last.examples += 1;
                    }
                    open = None;
                } else {
                    body.push(line);
                }
            }
            None => {
                if line.trim_end() == EXAMPLE_OPEN {
                    open = Some((line_no, Vec::new()));
                } else if let Some(name) = production_name(line) {
                    productions.push(Production {
                        name: name.to_owned(),
                        line: line_no,
                        examples: 0,
                    });
                }
            }
        }
    }
    if let Some((start, _)) = open {
        panic!("the example block opened at grammar line {start} is never closed with a line `*)`");
    }
    Grammar {
        examples,
        productions,
    }
}

#[test]
fn every_example_in_the_grammar_parses_without_errors() {
    let grammar = load();
    assert!(
        grammar.examples.len() >= 20,
        "expected the grammar to hold many example blocks, found {}",
        grammar.examples.len()
    );

    let mut failures = Vec::new();
    for example in &grammar.examples {
        let parse = mlforge_syntax::parse(&example.text);
        if !parse.errors.is_empty() {
            failures.push(format!(
                "example at grammar line {}:\n----\n{}\n----\nerrors: {:#?}",
                example.line, example.text, parse.errors
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} grammar examples do not parse cleanly:\n\n{}",
        failures.len(),
        grammar.examples.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_production_has_an_example() {
    let grammar = load();
    assert!(
        !grammar.productions.is_empty(),
        "no productions found in {}",
        grammar_path().display()
    );

    let mut seen = std::collections::HashMap::new();
    for production in &grammar.productions {
        if let Some(first) = seen.insert(production.name.as_str(), production.line) {
            panic!(
                "production `{}` is defined twice, at grammar lines {first} and {}",
                production.name, production.line
            );
        }
    }

    let missing: Vec<String> = grammar
        .productions
        .iter()
        .filter(|p| p.examples == 0 && !LEXICAL_HELPERS.contains(&p.name.as_str()))
        .map(|p| format!("`{}` (grammar line {})", p.name, p.line))
        .collect();
    assert!(
        missing.is_empty(),
        "these productions have no example block before the next production: {}",
        missing.join(", ")
    );

    // The allow-list must not outlive the grammar: every helper named exists.
    for helper in LEXICAL_HELPERS {
        assert!(
            seen.contains_key(helper),
            "LEXICAL_HELPERS names `{helper}`, which the grammar no longer defines"
        );
    }

    // The syntax the parser implements must be in the grammar.
    for required in [
        "file",
        "import",
        "artifact",
        "op",
        "pipeline",
        "params",
        "param",
        "outputs",
        "output_decl",
        "type",
        "body",
        "attribute",
        "statement",
        "step",
        "callee",
        "args",
        "arg",
        "for_stmt",
        "if_stmt",
        "output_stmt",
        "expr",
        "ident",
        "integer",
        "float",
        "duration",
        "string",
        "triple_string",
        "doc_comment",
    ] {
        assert!(
            seen.contains_key(required),
            "the grammar defines no production `{required}`"
        );
    }
}

#[test]
fn example_scanner_recognises_its_own_format() {
    let grammar = scan(
        "a = \"x\" ;\n(*> example\npipeline p() { output x = 1 }\n*)\nb = a ;\n  c = not a production ;\nd == e\n(*> example\n*)\n",
    );
    let names: Vec<_> = grammar
        .productions
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(grammar.productions[0].examples, 1);
    assert_eq!(grammar.productions[1].examples, 1);
    assert_eq!(grammar.examples.len(), 2);
    assert_eq!(grammar.examples[0].text, "pipeline p() { output x = 1 }");
    assert_eq!(grammar.examples[0].line, 2);
    assert_eq!(grammar.examples[1].text, "");
}
