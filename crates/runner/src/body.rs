//! `${…}` substitution into code bodies (LANGUAGE.md §2), typed and language-aware.
//!
//! `${x}` written as a word of the code becomes a literal: a Python literal in `python`
//! bodies, one single-quoted word in `shell` bodies (lists: one word per element). The
//! body is lexed so that a `${x}` written *inside* quotes is encoded for that place too:
//! in a Python string it becomes the escaped text of the value, in a double-quoted shell
//! string the text with `\ " $ `` ` escaped, in a single-quoted one the text with each `'`
//! closed and reopened. Places where no encoding is safe (shell here-documents, backticks,
//! `${…}` expansions, Python raw strings holding a quote or a backslash) are refused with
//! a message saying what to write instead. In every case the body receives exactly the
//! value and no value can run as code. `$${` writes a literal `${`.

use std::collections::BTreeMap;

use mlforge_ir::Interpreter;

use crate::quote::{
    float_text, python_float, python_str, python_str_content, shell_double_quoted_content,
    shell_single_quoted_content, shell_word,
};
use crate::value::RValue;

/// The body text split at its interpolations, with `$${` already turned into `${`.
#[derive(Debug, PartialEq, Eq)]
enum Tok {
    Char(char),
    Interp(usize),
}

fn tokenize(text: &str) -> (Vec<Tok>, Vec<String>) {
    let found = mlforge_syntax::body::interpolations(text);
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
    for interp in found.iter().filter(|i| !i.unterminated) {
        push_text(&mut toks, &text[at..interp.range.start]);
        toks.push(Tok::Interp(names.len()));
        names.push(interp.name.clone());
        at = interp.range.end;
    }
    push_text(&mut toks, &text[at..]);
    (toks, names)
}

/// Where an interpolation stands in the code.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    /// Python code (or a comment): a literal.
    PyCode,
    /// Inside the `{…}` of a Python f-string quoted with this character.
    PyFExpr(char),
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
    Refused(&'static str),
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
                        places[*n] = Place::Refused(
                            "inside a here-document, where no quoting is safe; \
                             set a variable first (`v=${x}`) and use \"$v\" in the document",
                        );
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
                St::Backtick => Place::Refused(
                    "inside backticks; write $( … ) instead of ` … `",
                ),
                St::Param { .. } => Place::Refused(
                    "inside a shell ${…} expansion; set a variable first (`v=${x}`) and expand that",
                ),
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
                places[*n] = Place::Refused("right after a backslash; remove the backslash");
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
                St::FExpr { quote, .. } => Place::PyFExpr(quote),
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
                places[*n] = Place::Refused("right after a backslash; remove the backslash");
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

/// A value's plain text, for places inside a quoted string.
fn plain_text(value: &RValue, python: bool) -> String {
    match value {
        RValue::Bool(b) => match (python, b) {
            (true, true) => "True".into(),
            (true, false) => "False".into(),
            (false, b) => b.to_string(),
        },
        RValue::Int(n) => n.to_string(),
        RValue::Float(f) => float_text(*f),
        RValue::Str(s) => s.clone(),
        RValue::List(_) | RValue::Map(_) if python => python_literal(value),
        RValue::Map(_) => value.to_json().to_string(),
        RValue::List(items) => items
            .iter()
            .map(|i| plain_text(i, python))
            .collect::<Vec<_>>()
            .join(" "),
        RValue::Absent if python => "None".into(),
        RValue::Absent => String::new(),
        RValue::Artifact(a) => a.hash.clone(),
        RValue::Unknown => "?".into(),
    }
}

/// A Python literal for a value (artifacts must already be paths).
pub fn python_literal(value: &RValue) -> String {
    match value {
        RValue::Bool(true) => "True".into(),
        RValue::Bool(false) => "False".into(),
        RValue::Int(n) if *n < 0 => format!("({n})"),
        RValue::Int(n) => n.to_string(),
        RValue::Float(f) if f.is_sign_negative() && f.is_finite() => {
            format!("({})", python_float(*f))
        }
        RValue::Float(f) => python_float(*f),
        RValue::Str(s) => python_str(s),
        RValue::List(items) => {
            let inner: Vec<String> = items.iter().map(python_literal).collect();
            format!("[{}]", inner.join(", "))
        }
        RValue::Map(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", python_str(k), python_literal(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        RValue::Absent => "None".into(),
        RValue::Artifact(a) => python_str(&a.hash),
        RValue::Unknown => "None".into(),
    }
}

/// Shell words for a value: one quoted word, or one per list element.
pub fn shell_words(value: &RValue) -> String {
    match value {
        RValue::Bool(b) => b.to_string(),
        RValue::Int(n) => n.to_string(),
        RValue::Float(f) => float_text(*f),
        RValue::Str(s) => shell_word(s),
        // One word holding the JSON, which `jq` or `json.loads` reads back.
        RValue::Map(_) => shell_word(&value.to_json().to_string()),
        RValue::List(items) => items
            .iter()
            .map(shell_words)
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        RValue::Absent => "''".into(),
        RValue::Artifact(a) => shell_word(&a.hash),
        RValue::Unknown => "''".into(),
    }
}

/// A Python expression for a value inside an f-string's `{…}`. Before Python 3.12 such a
/// field may hold no backslash and no quote of the f-string's kind, so a string that needs
/// either is built from its code points: `str().join(map(chr, (105, 116)))`.
fn python_literal_in_fexpr(value: &RValue, outer: char) -> String {
    match value {
        RValue::Str(s) => {
            let quote = if outer == '"' { '\'' } else { '"' };
            let plain = s.chars().all(|c| c.is_ascii_graphic() || c == ' ')
                && !s.contains(['\'', '"', '\\', '{', '}', '#']);
            if plain {
                format!("{quote}{s}{quote}")
            } else {
                let points: Vec<String> = s.chars().map(|c| (c as u32).to_string()).collect();
                format!("str().join(map(chr, ({},)))", points.join(", "))
            }
        }
        RValue::List(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|i| python_literal_in_fexpr(i, outer))
                .collect();
            format!("[{}]", inner.join(", "))
        }
        RValue::Map(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        python_literal_in_fexpr(&RValue::Str(k.clone()), outer),
                        python_literal_in_fexpr(v, outer)
                    )
                })
                .collect();
            // In parentheses: `{{` would be an escaped brace in the f-string.
            format!("({{{}}})", inner.join(", "))
        }
        other => python_literal(other),
    }
}

fn encode(name: &str, value: &RValue, place: &Place) -> Result<String, String> {
    if let RValue::Str(s) = value {
        if s.contains('\0') {
            return Err(format!(
                "`${{{name}}}` holds a NUL character, which code cannot carry"
            ));
        }
    }
    let strings = |v: &RValue| -> Vec<String> {
        match v {
            RValue::List(items) => items.iter().map(|i| plain_text(i, false)).collect(),
            other => vec![plain_text(other, false)],
        }
    };
    Ok(match place {
        Place::PyCode => python_literal(value),
        Place::PyFExpr(outer) => python_literal_in_fexpr(value, *outer),
        Place::PyStr {
            quote,
            raw,
            fstring,
            bytes,
            triple,
        } => {
            let text = plain_text(value, true);
            let mut out = if *raw {
                let bad = text.contains(*quote)
                    || text.contains('\\')
                    || (!triple && (text.contains('\n') || text.contains('\r')));
                if bad {
                    return Err(format!(
                        "`${{{name}}}` is inside a raw string and its value holds a quote, a \
                         backslash or a line break; write `${{{name}}}` outside the quotes \
                         (it becomes a string literal)"
                    ));
                }
                text
            } else if *bytes {
                let mut out = String::new();
                for b in text.bytes() {
                    match b {
                        b'\\' => out.push_str("\\\\"),
                        b'\n' => out.push_str("\\n"),
                        b'\r' => out.push_str("\\r"),
                        b'\t' => out.push_str("\\t"),
                        b if b == *quote as u8 => {
                            out.push('\\');
                            out.push(b as char);
                        }
                        0x20..=0x7e => out.push(b as char),
                        b => out.push_str(&format!("\\x{b:02x}")),
                    }
                }
                out
            } else {
                python_str_content(&text, *quote, false)
            };
            if *fstring {
                out = out.replace('{', "{{").replace('}', "}}");
            }
            out
        }
        Place::ShWord => shell_words(value),
        Place::ShComment => shell_words(value).replace(['\n', '\r'], " "),
        Place::ShDouble => shell_double_quoted_content(&strings(value).join(" ")),
        Place::ShSingle => shell_single_quoted_content(&strings(value).join(" ")),
        Place::ShArith => match value {
            RValue::Int(n) => n.to_string(),
            RValue::Float(f) => float_text(*f),
            _ => {
                return Err(format!(
                    "`${{{name}}}` is inside $(( … )), where only numbers are safe; \
                     set a variable first (`v=${{{name}}}`) and use $v"
                ))
            }
        },
        Place::Refused(why) => return Err(format!("`${{{name}}}` is {why}")),
    })
}

/// The body with every `${name}` replaced by its value, encoded for its place.
/// `values` maps each input and output name to its value (artifacts as path strings).
pub fn render(
    interpreter: Interpreter,
    text: &str,
    values: &BTreeMap<String, RValue>,
) -> Result<String, String> {
    let (toks, names) = tokenize(text);
    let places = match interpreter {
        Interpreter::Python => python_places(&toks, names.len()),
        Interpreter::Shell => shell_places(&toks, names.len()),
    };
    let mut out = String::with_capacity(text.len() + 64);
    for tok in &toks {
        match tok {
            Tok::Char(c) => out.push(*c),
            Tok::Interp(n) => {
                let name = &names[*n];
                let value = values
                    .get(name)
                    .ok_or_else(|| format!("`${{{name}}}` names no input or output of this op"))?;
                out.push_str(&encode(name, value, &places[*n])?);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, RValue)]) -> BTreeMap<String, RValue> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn s(text: &str) -> RValue {
        RValue::Str(text.into())
    }

    #[test]
    fn python_literals_by_type() {
        let v = values(&[
            ("a", s("it's")),
            ("n", RValue::Int(-3)),
            ("f", RValue::Float(0.5)),
            ("b", RValue::Bool(true)),
            ("l", RValue::List(vec![s("p1"), s("p2")])),
            ("o", RValue::Absent),
        ]);
        let out = render(
            Interpreter::Python,
            "x = ${a}\ny = ${n} ** 2\nz = ${f}, ${b}, ${l}, ${o}\nw = '$${a}'\n",
            &v,
        )
        .unwrap();
        assert_eq!(
            out,
            "x = \"it's\"\ny = (-3) ** 2\nz = 0.5, True, ['p1', 'p2'], None\nw = '${a}'\n"
        );
    }

    #[test]
    fn records_and_dicts_are_dict_literals_in_python_and_one_json_word_in_shell() {
        let record = RValue::Map(values(&[
            ("name", s("it's \"q\"")),
            ("rate", RValue::Float(0.5)),
            ("seed", RValue::Absent),
            ("tags", RValue::List(vec![s("a")])),
        ]));
        let v = values(&[("m", record)]);
        assert_eq!(
            render(Interpreter::Python, "m = ${m}", &v).unwrap(),
            "m = {'name': 'it\\'s \"q\"', 'rate': 0.5, 'seed': None, 'tags': ['a']}"
        );
        // Inside an f-string field, in parentheses: `{{` would be an escaped brace.
        assert!(render(Interpreter::Python, "print(f'{${m}}')", &v)
            .unwrap()
            .starts_with("print(f'{({"));
        let shell = render(Interpreter::Shell, "echo ${m}", &v).unwrap();
        assert_eq!(
            shell,
            "echo '{\"name\":\"it'\\''s \\\"q\\\"\",\"rate\":0.5,\"seed\":null,\"tags\":[\"a\"]}'"
        );
    }

    #[test]
    fn python_strings_get_escaped_text() {
        let v = values(&[("p", s("/a/b'c\"d\n")), ("x", s("{x}"))]);
        assert_eq!(
            render(Interpreter::Python, "open(\"${p}/f\")", &v).unwrap(),
            "open(\"/a/b'c\\\"d\\n/f\")"
        );
        assert_eq!(
            render(Interpreter::Python, "print(f'{${x}} ${x}')", &v).unwrap(),
            "print(f'{str().join(map(chr, (123, 120, 125,)))} {{x}}')"
        );
        assert_eq!(
            render(Interpreter::Python, "q = '''a ${p} b'''", &v).unwrap(),
            "q = '''a /a/b\\'c\"d\\n b'''"
        );
        assert!(render(Interpreter::Python, "r'${p}'", &v).is_err());
        assert_eq!(
            render(Interpreter::Python, "# about ${p}\nx = 1", &v).unwrap(),
            "# about '/a/b\\'c\"d\\n'\nx = 1"
        );
    }

    #[test]
    fn shell_words_and_quoted_places() {
        let v = values(&[
            ("x", s("a'b $(touch PWNED) `id`\n")),
            ("l", RValue::List(vec![s("p 1"), s("p'2")])),
            ("n", RValue::Int(4)),
            ("o", RValue::Absent),
        ]);
        assert_eq!(
            render(Interpreter::Shell, "echo ${x} ${l} ${n} ${o}", &v).unwrap(),
            "echo 'a'\\''b $(touch PWNED) `id`\n' 'p 1' 'p'\\''2' 4 ''"
        );
        assert_eq!(
            render(Interpreter::Shell, "echo \"v=${x}\"", &v).unwrap(),
            "echo \"v=a'b \\$(touch PWNED) \\`id\\`\n\""
        );
        assert_eq!(
            render(Interpreter::Shell, "echo 'v=${x}'", &v).unwrap(),
            "echo 'v=a'\\''b $(touch PWNED) `id`\n'"
        );
        assert_eq!(
            render(
                Interpreter::Shell,
                "echo $(( ${n} + 1 )) \"$(echo ${x})\"",
                &v
            )
            .unwrap(),
            "echo $(( 4 + 1 )) \"$(echo 'a'\\''b $(touch PWNED) `id`\n')\""
        );
        assert!(render(Interpreter::Shell, "echo $(( ${x} ))", &v).is_err());
        assert!(render(Interpreter::Shell, "echo `echo ${x}`", &v).is_err());
        assert!(render(Interpreter::Shell, "cat <<EOF\n${x}\nEOF\necho ${n}", &v).is_err());
        assert!(render(Interpreter::Shell, "echo $${HOME:-${x}}", &v).is_err());
        assert!(render(Interpreter::Shell, "echo \\${x}", &v).is_err());
        // After a here-document ends, words are words again.
        assert_eq!(
            render(Interpreter::Shell, "cat <<'EOF'\nhi\nEOF\necho ${n}", &v).unwrap(),
            "cat <<'EOF'\nhi\nEOF\necho 4"
        );
        assert_eq!(
            render(Interpreter::Shell, "# note ${x}\necho ok", &v).unwrap(),
            "# note 'a'\\''b $(touch PWNED) `id` '\necho ok"
        );
    }
}
