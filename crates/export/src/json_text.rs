//! JSON text with chosen characters of its strings written as `\u` escapes. Engines expand
//! placeholders in the fields an export fills (Argo's `{{…}}`, Kubernetes' `$(…)`, KFP's
//! `{{$…}}`); a program's text travels as JSON in which the characters that could start
//! one are escaped, which every JSON reader decodes back to the same text.

use std::fmt::Write;

/// `text` (JSON) with each ASCII character inside a string literal for which
/// `escape(c, rest)` holds (`rest`: the text from that character on) written as `\uXXXX`;
/// the structure, existing escape sequences and non-ASCII characters are left as they are.
pub(crate) fn escape_in_strings(text: &str, escape: impl Fn(char, &str) -> bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut in_string = false;
    let mut escaped = false;
    // Text is copied in runs: `copied` is where the run not yet written starts. Every
    // character acted on is ASCII, so byte positions are character boundaries.
    let mut copied = 0;
    for (i, b) in text.bytes().enumerate() {
        if !in_string {
            in_string = b == b'"';
        } else if escaped {
            // The character after `\`: part of an escape sequence, never a placeholder.
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            in_string = false;
        } else if b.is_ascii() && escape(char::from(b), &text[i..]) {
            out.push_str(&text[copied..i]);
            let _ = write!(out, "\\u{:04x}", b);
            copied = i + 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// A JSON object of `entries`, their values moved in. `serde_json::json!` would copy a
/// `Value` placed in it by serializing it, which for a document's big parts is most of an
/// export's work.
pub(crate) fn object<'k>(
    entries: impl IntoIterator<Item = (&'k str, serde_json::Value)>,
) -> serde_json::Value {
    serde_json::Value::Object(
        entries
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    )
}
