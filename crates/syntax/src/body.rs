//! Code bodies: finding `${name}` interpolations and removing the common indentation.

use std::ops::Range;

/// One `${name}` in a body, with byte ranges relative to the body text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Interpolation {
    pub name: String,
    /// The whole `${ … }`.
    pub range: Range<usize>,
    /// The name inside the braces.
    pub name_range: Range<usize>,
    /// `${` with no closing `}` on the same line; `name` is then what follows it.
    pub unterminated: bool,
}

/// Every `${…}` in a body. `$${` is an escaped literal `${` and is skipped.
pub fn interpolations(text: &str) -> Vec<Interpolation> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(offset) = text[i..].find("${") {
        let start = i + offset;
        if start > 0 && bytes[start - 1] == b'$' {
            i = start + 2;
            continue;
        }
        let inner_start = start + 2;
        let line_end = text[inner_start..]
            .find('\n')
            .map_or(text.len(), |n| inner_start + n);
        match text[inner_start..line_end].find('}') {
            Some(close) => {
                let inner_end = inner_start + close;
                let raw = &text[inner_start..inner_end];
                let lead = raw.len() - raw.trim_start().len();
                let name = raw.trim();
                found.push(Interpolation {
                    name: name.to_string(),
                    range: start..inner_end + 1,
                    name_range: inner_start + lead..inner_start + lead + name.len(),
                    unterminated: false,
                });
                i = inner_end + 1;
            }
            None => {
                let name_len = text[inner_start..line_end]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .count();
                found.push(Interpolation {
                    name: text[inner_start..inner_start + name_len].to_string(),
                    range: start..inner_start + name_len,
                    name_range: inner_start..inner_start + name_len,
                    unterminated: true,
                });
                i = inner_start;
            }
        }
    }
    found
}

/// Whether `name` is a valid identifier (what `${…}` must hold).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The body with its common leading white space removed, and leading and trailing blank
/// lines dropped, so that it reads as it would in its own file.
pub fn dedent(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    let (Some(first), Some(last)) = (first, last) else {
        return String::new();
    };
    let lines = &lines[first..=last];
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for line in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            // The indent is measured in bytes of white space, which are ASCII.
            out.push_str(&line[indent.min(line.len())..]);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_interpolations_and_skips_escapes() {
        let found = interpolations("a ${x} $${y} ${ z } ${w");
        let names: Vec<_> = found
            .iter()
            .map(|i| (i.name.as_str(), i.unterminated))
            .collect();
        assert_eq!(names, [("x", false), ("z", false), ("w", true)]);
        assert_eq!(&"a ${x} $${y} ${ z } ${w"[found[1].name_range.clone()], "z");
    }

    #[test]
    fn dedent_removes_common_indentation() {
        assert_eq!(dedent("\n    a\n      b\n\n    c\n  "), "a\n  b\n\nc\n");
    }
}
