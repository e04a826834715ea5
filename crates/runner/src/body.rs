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

use mlforge_body::quote::{
    float_text, python_float, python_str, python_str_content, shell_double_quoted_content,
    shell_single_quoted_content, shell_word,
};
use mlforge_body::{Piece, Place, Template};
use mlforge_ir::Interpreter;

use crate::value::RValue;

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
        Place::PyFExpr { quote: outer } => python_literal_in_fexpr(value, *outer),
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
        Place::Refused { why } => return Err(format!("`${{{name}}}` is {why}")),
    })
}

/// The body with every `${name}` replaced by its value, encoded for its place.
/// `values` maps each input and output name to its value (artifacts as path strings).
pub fn render(
    interpreter: Interpreter,
    text: &str,
    values: &BTreeMap<String, RValue>,
) -> Result<String, String> {
    let template = Template::new(interpreter, text);
    let mut out = String::with_capacity(text.len() + 64);
    for piece in &template.pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Slot { name, place } => {
                let value = values
                    .get(name)
                    .ok_or_else(|| format!("`${{{name}}}` names no input or output of this op"))?;
                out.push_str(&encode(name, value, place)?);
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
