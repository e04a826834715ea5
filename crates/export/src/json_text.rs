//! JSON text with chosen characters of its strings written as `\u` escapes. Engines expand
//! placeholders in the fields an export fills (Argo's `{{…}}`, Kubernetes' `$(…)`, KFP's
//! `{{$…}}`); a program's text travels as JSON in which the characters that could start
//! one are escaped, which every JSON reader decodes back to the same text.

use std::fmt::Write;

/// `text` (JSON) with each character inside a string literal for which `escape(c, rest)`
/// holds (`rest`: the text from that character on) written as `\uXXXX`; the structure and
/// existing escape sequences are left as they are.
pub(crate) fn escape_in_strings(text: &str, escape: impl Fn(char, &str) -> bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if !in_string {
            in_string = c == '"';
            out.push(c);
        } else if escaped {
            // The character after `\`: part of an escape sequence, never a placeholder.
            escaped = false;
            out.push(c);
        } else if c == '\\' {
            escaped = true;
            out.push(c);
        } else if c == '"' {
            in_string = false;
            out.push(c);
        } else if escape(c, &text[i..]) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}
