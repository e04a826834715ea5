//! Encoders for values placed into code: Python literals and POSIX shell words.
//!
//! Every encoder here produces text that the target language reads back as exactly the
//! value, whatever characters it holds: no value can end its literal early.

/// A float as both Rust and Python read it back exactly (`0.1`, `1e-7`, `-0.0`, `100.0`).
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        // Rust's shortest round-trip form; always has a `.` or an exponent.
        format!("{f:?}")
    }
}

/// A Python float literal (non-finite values as `float('inf')` and the like).
pub fn python_float(f: f64) -> String {
    if f.is_finite() {
        float_text(f)
    } else {
        format!("float('{}')", float_text(f))
    }
}

/// Whether Python's `repr` shows this character escaped (not printable). This follows
/// `str.isprintable` for the characters that matter in practice: controls, separators
/// other than the space, format characters, private use and non-characters.
fn python_unprintable(c: char) -> bool {
    let n = c as u32;
    matches!(n,
        0x00..=0x1f | 0x7f..=0xa0 | 0xad
        | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2
        | 0x1680 | 0x180e
        | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064 | 0x2066..=0x206f
        | 0x3000 | 0xd800..=0xf8ff | 0xfdd0..=0xfdef | 0xfeff | 0xfff9..=0xfffb
        | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f
        | 0xf0000..=0x10ffff)
        || n & 0xfffe == 0xfffe
}

/// Appends `c` escaped as Python does inside a string literal.
fn push_python_escape(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if python_unprintable(c) => {
            let n = c as u32;
            if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else if n <= 0xffff {
                out.push_str(&format!("\\u{n:04x}"));
            } else {
                out.push_str(&format!("\\U{n:08x}"));
            }
        }
        c => out.push(c),
    }
}

/// The body of a Python string literal quoted with `quote` (without the quotes). Both
/// quote characters are escaped when `escape_both` is set.
pub fn python_str_content(s: &str, quote: char, escape_both: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_python_str_content(&mut out, s, quote, escape_both);
    out
}

fn push_python_str_content(out: &mut String, s: &str, quote: char, escape_both: bool) {
    // Printable ASCII other than `\` and the quotes in use stands for itself; copying such
    // runs whole keeps a megabyte-long literal (an exported DAG's description, JSON full of
    // `"` inside `'…'`) cheap.
    let escaped_quote = |b: u8| b == quote as u8 || (escape_both && matches!(b, b'\'' | b'"'));
    let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'\\' && !escaped_quote(b);
    let mut rest = s;
    loop {
        let run = rest.bytes().position(|b| !plain(b)).unwrap_or(rest.len());
        out.push_str(&rest[..run]);
        rest = &rest[run..];
        let Some(c) = rest.chars().next() else {
            return;
        };
        if u8::try_from(c).is_ok_and(escaped_quote) {
            out.push('\\');
            out.push(c);
        } else {
            push_python_escape(out, c);
        }
        rest = &rest[c.len_utf8()..];
    }
}

/// A Python string literal, as `repr` writes it: single quotes unless the text holds a
/// `'` and no `"`.
pub fn python_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    push_python_str_content(&mut out, s, quote, false);
    out.push(quote);
    out
}

/// A POSIX shell word that the shell reads back as exactly `s`: single-quoted, each `'`
/// written as `'\''`.
pub fn shell_word(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Text placed inside a double-quoted shell string: `\`, `"`, `$` and `` ` `` escaped.
pub fn shell_double_quoted_content(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text placed inside a single-quoted shell string: each `'` closes the quotes, adds an
/// escaped quote, and opens them again.
pub fn shell_single_quoted_content(s: &str) -> String {
    s.replace('\'', "'\\''")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_strings_match_repr_for_common_text() {
        assert_eq!(python_str("abc"), "'abc'");
        assert_eq!(python_str("it's"), "\"it's\"");
        assert_eq!(python_str("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(python_str("line\nnext\t\\"), "'line\\nnext\\t\\\\'");
        assert_eq!(python_str("\x00\x7f\u{85}"), "'\\x00\\x7f\\x85'");
        assert_eq!(python_str("\u{2028}é"), "'\\u2028é'");
        assert_eq!(python_str("\"\"\""), "'\"\"\"'");
    }

    #[test]
    fn floats_read_back_exactly() {
        for f in [0.1, 1e-7, -0.0, 100.0, 1e300, 2.5e-308, -3.75] {
            assert_eq!(float_text(f).parse::<f64>().unwrap().to_bits(), f.to_bits());
        }
        assert_eq!(python_float(f64::INFINITY), "float('inf')");
    }

    #[test]
    fn shell_words_hold_any_text() {
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(
            shell_double_quoted_content("$(x) `y` \"z\" \\"),
            "\\$(x) \\`y\\` \\\"z\\\" \\\\"
        );
    }

    /// Escapes character by character: what the run-copying version must equal.
    fn python_str_content_by_char(s: &str, quote: char, escape_both: bool) -> String {
        let mut out = String::new();
        for c in s.chars() {
            if c == quote || (escape_both && (c == '\'' || c == '"')) {
                out.push('\\');
                out.push(c);
            } else {
                push_python_escape(&mut out, c);
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn copying_plain_runs_escapes_as_character_by_character(
            s in "(\\PC|[\\\\'\"\n\t\r\x00-\x1f\x7f]|\u{2028}|\u{85}|é){0,40}",
            double in proptest::bool::ANY,
            both in proptest::bool::ANY,
        ) {
            let quote = if double { '"' } else { '\'' };
            proptest::prop_assert_eq!(
                python_str_content(&s, quote, both),
                python_str_content_by_char(&s, quote, both)
            );
        }
    }
}
