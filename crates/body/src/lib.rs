//! The `${…}` of an op body, placed: where each one stands in its shell or Python code
//! (LANGUAGE.md §2), the body as a [`Template`] of text pieces and slots, and the quoting
//! functions ([`quote`]) that make a value safe in each place. The local runner fills the
//! slots with values; the exporters hand the template to the task runtime that fills them
//! on a worker the same way. Pure: no values, no I/O.

/// The end of the program that runs a `python def` body, after it has set `_result` (the
/// function's value) and `_RETURN` (the file to write it to): the local runner and the task
/// runtime of the exporters end their wrappers with this same text.
pub const FUNCTION_RESULT_PY: &str = include_str!("function_result.py");

pub mod quote;

use mlforge_ir::{Interpolation, Interpreter};
use serde::Serialize;

/// The body text split at its interpolations, with `$${` already turned into `${`.
#[derive(Debug, PartialEq, Eq)]
enum Tok {
    Char(char),
    Interp(usize),
}

fn tokenize(text: &str, interpolations: &[Interpolation]) -> (Vec<Tok>, Vec<String>) {
    let mut toks = Vec::with_capacity(text.len());
    let mut names = Vec::new();
    let push_text = |toks: &mut Vec<Tok>, piece: &str| {
        let mut chars = piece.chars().peekable();
        while let Some(c) = chars.next() {
            // `$${` is a literal `${`.
            if c == '$' {
                let mut look = chars.clone();
                if look.next() == Some('$') && look.next() == Some('{') {
                    toks.push(Tok::Char('$'));
                    chars.next();
                    continue;
                }
            }
            toks.push(Tok::Char(c));
        }
    };
    let mut at = 0;
    for interp in interpolations {
        let (start, end) = (interp.start as usize, interp.end as usize);
        // Spans come from the compiler; one that does not fit the text is left as text
        // rather than cut the text at a wrong place.
        if start < at
            || end < start
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
            || end > text.len()
        {
            continue;
        }
        push_text(&mut toks, &text[at..start]);
        toks.push(Tok::Interp(names.len()));
        names.push(interp.name.clone());
        at = end;
    }
    push_text(&mut toks, &text[at..]);
    (toks, names)
}

/// Where an interpolation stands in the code, which decides how a value is written there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    /// Python code (or a comment): a literal.
    PyCode,
    /// Inside the `{…}` of a Python f-string quoted with this character.
    PyFExpr {
        quote: char,
    },
    /// Inside a Python string literal.
    PyStr {
        quote: char,
        raw: bool,
        fstring: bool,
        bytes: bool,
        triple: bool,
    },
    /// A shell word.
    ShWord,
    ShComment,
    ShDouble,
    ShSingle,
    /// Inside `$(( … ))`: numbers only.
    ShArith,
    /// No safe encoding: the reason and what to write instead.
    Refused {
        why: &'static str,
    },
}

fn char_at(toks: &[Tok], i: usize) -> Option<char> {
    match toks.get(i) {
        Some(Tok::Char(c)) => Some(*c),
        _ => None,
    }
}

/// The place of each interpolation in a shell body.
fn shell_places(toks: &[Tok], count: usize) -> Vec<Place> {
    #[derive(Clone, Debug)]
    enum St {
        /// Plain commands, or inside `$( … )` (with its open parentheses).
        Normal {
            sub: bool,
            parens: u32,
        },
        Single,
        Double,
        Backtick,
        Arith {
            parens: u32,
        },
        Param {
            braces: u32,
        },
        Comment,
        Heredoc {
            delim: String,
            strip: bool,
        },
    }
    let mut places = vec![Place::ShWord; count];
    let mut stack = vec![St::Normal {
        sub: false,
        parens: 0,
    }];
    let mut pending: Vec<(String, bool)> = Vec::new();
    let mut word_start = true;
    let mut i = 0;
    while i < toks.len() {
        let top = stack.last().cloned().expect("the stack never empties");
        if let St::Heredoc { delim, strip } = &top {
            // Read one line; interpolations in it are refused.
            let mut line = String::new();
            let mut j = i;
            while j < toks.len() {
                match &toks[j] {
                    Tok::Char('\n') => break,
                    Tok::Char(c) => line.push(*c),
                    Tok::Interp(n) => {
                        places[*n] = Place::Refused {
                            why: "inside a here-document, where no quoting is safe; \
                             set a variable first (`v=${x}`) and use \"$v\" in the document",
                        };
                        line.push('\u{0}');
                    }
                }
                j += 1;
            }
            let text = if *strip {
                line.trim_start_matches('\t')
            } else {
                line.as_str()
            };
            if text == delim {
                stack.pop();
                if let Some((delim, strip)) = (!pending.is_empty()).then(|| pending.remove(0)) {
                    stack.push(St::Heredoc { delim, strip });
                }
            }
            i = j + 1;
            word_start = true;
            continue;
        }
        let tok = &toks[i];
        if let Tok::Interp(n) = tok {
            places[*n] = match top {
                St::Normal { .. } => Place::ShWord,
                St::Single => Place::ShSingle,
                St::Double => Place::ShDouble,
                St::Comment => Place::ShComment,
                St::Arith { .. } => Place::ShArith,
                St::Backtick => Place::Refused { why: "inside backticks; write $( … ) instead of ` … `" },
                St::Param { .. } => Place::Refused { why: "inside a shell ${…} expansion; set a variable first (`v=${x}`) and expand that" },
                St::Heredoc { .. } => unreachable!("handled above"),
            };
            word_start = false;
            i += 1;
            continue;
        }
        let Tok::Char(c) = *tok else { unreachable!() };
        let next = char_at(toks, i + 1);
        // An interpolation right after an escaping backslash would lose its first quote.
        let escape_next = |places: &mut Vec<Place>| {
            if let Some(Tok::Interp(n)) = toks.get(i + 1) {
                places[*n] = Place::Refused {
                    why: "right after a backslash; remove the backslash",
                };
            }
        };
        match top {
            St::Normal { sub, parens } => {
                match c {
                    '\'' => stack.push(St::Single),
                    '"' => stack.push(St::Double),
                    '`' => stack.push(St::Backtick),
                    '\\' => {
                        escape_next(&mut places);
                        i += 2;
                        word_start = false;
                        continue;
                    }
                    '$' if next == Some('(') => {
                        if char_at(toks, i + 2) == Some('(') {
                            stack.push(St::Arith { parens: 0 });
                            i += 3;
                        } else {
                            stack.push(St::Normal {
                                sub: true,
                                parens: 0,
                            });
                            i += 2;
                        }
                        word_start = true;
                        continue;
                    }
                    '$' if next == Some('{') => {
                        stack.push(St::Param { braces: 0 });
                        i += 2;
                        continue;
                    }
                    '(' if sub => {
                        stack.pop();
                        stack.push(St::Normal {
                            sub,
                            parens: parens + 1,
                        });
                    }
                    ')' if sub => {
                        stack.pop();
                        if parens > 0 {
                            stack.push(St::Normal {
                                sub,
                                parens: parens - 1,
                            });
                        }
                    }
                    '#' if word_start => stack.push(St::Comment),
                    '<' if next == Some('<') && char_at(toks, i + 2) != Some('<') => {
                        // A here-document: read its delimiter word.
                        let mut j = i + 2;
                        let mut strip = false;
                        if char_at(toks, j) == Some('-') {
                            strip = true;
                            j += 1;
                        }
                        while matches!(char_at(toks, j), Some(' ' | '\t')) {
                            j += 1;
                        }
                        let mut delim = String::new();
                        while let Some(d) = char_at(toks, j) {
                            if d.is_whitespace() || ";|&<>()".contains(d) {
                                break;
                            }
                            if !matches!(d, '\'' | '"' | '\\') {
                                delim.push(d);
                            }
                            j += 1;
                        }
                        if !delim.is_empty() {
                            pending.push((delim, strip));
                        }
                        i = j;
                        word_start = false;
                        continue;
                    }
                    '\n' if !pending.is_empty() => {
                        let (delim, strip) = pending.remove(0);
                        stack.push(St::Heredoc { delim, strip });
                    }
                    _ => {}
                }
                word_start = c.is_whitespace() || ";&|()<>".contains(c);
            }
            St::Single => {
                if c == '\'' {
                    stack.pop();
                }
                word_start = false;
            }
            St::Double => {
                match c {
                    '"' => {
                        stack.pop();
                    }
                    '\\' => {
                        escape_next(&mut places);
                        i += 2;
                        continue;
                    }
                    '`' => stack.push(St::Backtick),
                    '$' if next == Some('(') => {
                        if char_at(toks, i + 2) == Some('(') {
                            stack.push(St::Arith { parens: 0 });
                            i += 3;
                        } else {
                            stack.push(St::Normal {
                                sub: true,
                                parens: 0,
                            });
                            i += 2;
                            word_start = true;
                        }
                        continue;
                    }
                    '$' if next == Some('{') => {
                        stack.push(St::Param { braces: 0 });
                        i += 2;
                        continue;
                    }
                    _ => {}
                }
                word_start = false;
            }
            St::Backtick => match c {
                '`' => {
                    stack.pop();
                }
                '\\' => {
                    escape_next(&mut places);
                    i += 2;
                    continue;
                }
                _ => {}
            },
            St::Arith { parens } => match c {
                '(' => {
                    stack.pop();
                    stack.push(St::Arith { parens: parens + 1 });
                }
                ')' if parens == 0 && next == Some(')') => {
                    stack.pop();
                    i += 2;
                    continue;
                }
                ')' => {
                    stack.pop();
                    stack.push(St::Arith {
                        parens: parens.saturating_sub(1),
                    });
                }
                _ => {}
            },
            St::Param { braces } => match c {
                '{' => {
                    stack.pop();
                    stack.push(St::Param { braces: braces + 1 });
                }
                '}' => {
                    stack.pop();
                    if braces > 0 {
                        stack.push(St::Param { braces: braces - 1 });
                    }
                }
                '\\' => {
                    escape_next(&mut places);
                    i += 2;
                    continue;
                }
                _ => {}
            },
            St::Comment => {
                if c == '\n' {
                    stack.pop();
                    // The newline also ends a line that may start here-documents.
                    if !pending.is_empty() {
                        let (delim, strip) = pending.remove(0);
                        stack.push(St::Heredoc { delim, strip });
                    }
                    word_start = true;
                }
            }
            St::Heredoc { .. } => unreachable!("handled above"),
        }
        i += 1;
    }
    places
}

/// The place of each interpolation in a Python body.
fn python_places(toks: &[Tok], count: usize) -> Vec<Place> {
    #[derive(Clone, Debug)]
    enum St {
        Code,
        Comment,
        Str {
            quote: char,
            triple: bool,
            raw: bool,
            fstring: bool,
            bytes: bool,
        },
        /// Inside `{…}` of an f-string quoted with `quote`, with open brackets.
        FExpr {
            quote: char,
            depth: u32,
        },
    }
    let mut places = vec![Place::PyCode; count];
    let mut stack = vec![St::Code];
    let mut i = 0;
    while i < toks.len() {
        let top = stack.last().cloned().expect("the stack never empties");
        if let Tok::Interp(n) = &toks[i] {
            places[*n] = match top {
                St::Code | St::Comment => Place::PyCode,
                St::FExpr { quote, .. } => Place::PyFExpr { quote },
                St::Str {
                    quote,
                    triple,
                    raw,
                    fstring,
                    bytes,
                } => Place::PyStr {
                    quote,
                    raw,
                    fstring,
                    bytes,
                    triple,
                },
            };
            i += 1;
            continue;
        }
        let Tok::Char(c) = toks[i] else {
            unreachable!()
        };
        let escaped_interp = |places: &mut Vec<Place>| {
            if let Some(Tok::Interp(n)) = toks.get(i + 1) {
                places[*n] = Place::Refused {
                    why: "right after a backslash; remove the backslash",
                };
            }
        };
        match top {
            St::Code | St::FExpr { .. } => match c {
                '#' => stack.push(St::Comment),
                '\\' => {
                    escaped_interp(&mut places);
                    i += 2;
                    continue;
                }
                '\'' | '"' => {
                    // The string's prefix: letters just before the quote.
                    let mut prefix = String::new();
                    let mut j = i;
                    while j > 0 {
                        match char_at(toks, j - 1) {
                            Some(p) if p.is_ascii_alphabetic() => {
                                prefix.insert(0, p.to_ascii_lowercase());
                                j -= 1;
                            }
                            _ => break,
                        }
                    }
                    let standalone = j == 0
                        || !matches!(char_at(toks, j - 1), Some(p) if p.is_alphanumeric() || p == '_');
                    let known = prefix.len() <= 3
                        && prefix
                            .chars()
                            .all(|p| matches!(p, 'r' | 'b' | 'f' | 'u' | 't'));
                    let prefix = if standalone && known {
                        prefix
                    } else {
                        String::new()
                    };
                    let triple = char_at(toks, i + 1) == Some(c) && char_at(toks, i + 2) == Some(c);
                    stack.push(St::Str {
                        quote: c,
                        triple,
                        raw: prefix.contains('r'),
                        fstring: prefix.contains('f') || prefix.contains('t'),
                        bytes: prefix.contains('b'),
                    });
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                '{' | '(' | '[' => {
                    if let St::FExpr { quote, depth } = top {
                        stack.pop();
                        stack.push(St::FExpr {
                            quote,
                            depth: depth + 1,
                        });
                    }
                }
                '}' | ')' | ']' => {
                    if let St::FExpr { quote, depth } = top {
                        stack.pop();
                        if depth > 0 {
                            stack.push(St::FExpr {
                                quote,
                                depth: depth - 1,
                            });
                        }
                    }
                }
                _ => {}
            },
            St::Comment => {
                if c == '\n' {
                    stack.pop();
                }
            }
            St::Str {
                quote,
                triple,
                fstring,
                ..
            } => match c {
                '\\' => {
                    escaped_interp(&mut places);
                    i += 2;
                    continue;
                }
                '\n' if !triple => {
                    stack.pop();
                }
                c if c == quote => {
                    if !triple {
                        stack.pop();
                    } else if char_at(toks, i + 1) == Some(c) && char_at(toks, i + 2) == Some(c) {
                        stack.pop();
                        i += 3;
                        continue;
                    }
                }
                '{' if fstring => {
                    if char_at(toks, i + 1) == Some('{') {
                        i += 2;
                        continue;
                    }
                    stack.push(St::FExpr { quote, depth: 0 });
                }
                _ => {}
            },
        }
        i += 1;
    }
    places
}

/// A piece of a body: text as written (`$${` already a `${`), or a slot for a value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Piece {
    Text(String),
    Slot { name: String, place: Place },
}

/// A body split at its interpolations, each with its place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Template {
    pub pieces: Vec<Piece>,
}

impl Template {
    /// The template of an inline body's text in `interpreter`'s language, cut at the
    /// interpolations the compiler found (`Body::interpolations`).
    pub fn new(interpreter: Interpreter, text: &str, interpolations: &[Interpolation]) -> Template {
        let (toks, names) = tokenize(text, interpolations);
        let places = match interpreter {
            Interpreter::Python => python_places(&toks, names.len()),
            Interpreter::Shell => shell_places(&toks, names.len()),
        };
        let mut pieces = Vec::new();
        let mut text = String::new();
        for tok in toks {
            match tok {
                Tok::Char(c) => text.push(c),
                Tok::Interp(n) => {
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Slot {
                        name: names[n].clone(),
                        place: places[n].clone(),
                    });
                }
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Template { pieces }
    }
}

/// The interpolations of a body's text, as the compiler finds them: for tests and tools
/// that hold text without its IR.
#[cfg(feature = "scan")]
pub fn scan(text: &str) -> Vec<Interpolation> {
    mlforge_syntax::body::interpolations(text)
        .into_iter()
        .filter(|i| !i.unterminated)
        .map(|i| Interpolation {
            name: i.name,
            start: i.range.start as u32,
            end: i.range.end as u32,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(name: &str, start: u32, end: u32) -> Interpolation {
        Interpolation {
            name: name.into(),
            start,
            end,
        }
    }

    #[test]
    fn a_template_is_cut_at_the_compiler_spans_with_each_place() {
        // `x = ${a}; s = "${b}"  $${c}`
        let text = "x = ${a}; s = \"${b}\"  $${c}";
        let t = Template::new(Interpreter::Python, text, &[at("a", 4, 8), at("b", 15, 19)]);
        assert_eq!(
            t.pieces,
            [
                Piece::Text("x = ".into()),
                Piece::Slot {
                    name: "a".into(),
                    place: Place::PyCode
                },
                Piece::Text("; s = \"".into()),
                Piece::Slot {
                    name: "b".into(),
                    place: Place::PyStr {
                        quote: '"',
                        raw: false,
                        fstring: false,
                        bytes: false,
                        triple: false
                    }
                },
                Piece::Text("\"  ${c}".into()),
            ]
        );
    }

    #[test]
    fn spans_that_do_not_fit_the_text_stay_text() {
        let t = Template::new(
            Interpreter::Shell,
            "echo é",
            &[at("a", 6, 99), at("b", 5, 6)],
        );
        assert_eq!(t.pieces, [Piece::Text("echo é".into())]);
    }
}
