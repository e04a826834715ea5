//! JSON values written as block-style YAML. Every string, key or value, that is not a
//! plain identifier is written double-quoted with every character outside YAML's printable
//! set escaped, so no text from a program can become YAML structure, a tag, an anchor or a
//! number: the file reads back as exactly the value written.

use std::fmt::Write;

use serde_json::Value;

/// `value` as a YAML document (no `---`), ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_list(&mut out, items, 0),
        scalar => {
            write_scalar(&mut out, scalar);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, level: usize) {
    const SPACES: &str = "                                                                ";
    let mut width = level * 2;
    while width > 0 {
        let run = width.min(SPACES.len());
        out.push_str(&SPACES[..run]);
        width -= run;
    }
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    // The first entry of a map inside a list item follows the `- ` on its line.
    let follows_dash = !(out.is_empty() || out.ends_with('\n'));
    let mut entries = map.iter();
    let Some((key, value)) = entries.next() else {
        return;
    };
    if !follows_dash {
        indent(out, level);
    }
    write_entry(out, key, value, level);
    if map.len() > BIG {
        let rest: Vec<_> = entries.collect();
        write_in_chunks(out, &rest, |out, chunk| {
            write_entries(out, chunk.iter().copied(), level);
        });
    } else {
        write_entries(out, entries, level);
    }
}

/// Map entries after the first, each on its own line.
fn write_entries<'v>(
    out: &mut String,
    entries: impl Iterator<Item = (&'v String, &'v Value)>,
    level: usize,
) {
    for (key, value) in entries {
        indent(out, level);
        write_entry(out, key, value, level);
    }
}

fn write_entry(out: &mut String, key: &str, value: &Value, level: usize) {
    write_key(out, key);
    out.push(':');
    write_child(out, value, level + 1);
}

fn write_list(out: &mut String, items: &[Value], level: usize) {
    write_in_chunks(out, items, |out, items| {
        for item in items {
            indent(out, level);
            match item {
                Value::Object(map) if !map.is_empty() => {
                    out.push_str("- ");
                    write_map(out, map, level + 1);
                }
                Value::Array(inner) if !inner.is_empty() => {
                    out.push_str("-\n");
                    write_list(out, inner, level + 1);
                }
                scalar => {
                    out.push_str("- ");
                    write_scalar(out, scalar);
                    out.push('\n');
                }
            }
        }
    });
}

/// Collections longer than this (a big workflow's templates, tasks and executors) are
/// written on every core, a chunk of entries each; the text is the same.
const BIG: usize = 512;

/// `write` over `items`: in place, or for long runs in chunks written on several threads
/// and appended in order. Each entry's text does not depend on what comes before it.
fn write_in_chunks<T: Sync>(
    out: &mut String,
    items: &[T],
    write: impl Fn(&mut String, &[T]) + Sync,
) {
    if items.len() <= BIG {
        return write(out, items);
    }
    for text in mlforge_syntax::parallel::map_chunks(items, |chunk| {
        let mut text = String::new();
        write(&mut text, chunk);
        text
    }) {
        out.push_str(&text);
    }
}

/// A map entry's value, after `key:`.
fn write_child(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, level);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_list(out, items, level);
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar);
            out.push('\n');
        }
    }
}

fn write_scalar(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_quoted(out, s),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// A key as written: plain when it is an identifier-like word YAML cannot read as anything
/// else, quoted otherwise.
fn write_key(out: &mut String, key: &str) {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && ![
            "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf",
        ]
        .iter()
        .any(|word| key.eq_ignore_ascii_case(word));
    if plain {
        out.push_str(key);
    } else {
        write_quoted(out, key);
    }
}

/// A YAML double-quoted scalar: `"` and `\` escaped, and every character YAML does not
/// allow as printable text (controls, the C1 range, surrogates' stand-ins, BOM, U+FFFE/F)
/// or that a reader could take as a line break (NEL, LS, PS) written as an escape.
pub fn write_quoted(out: &mut String, text: &str) {
    out.push('"');
    // Most text is plain ASCII with nothing to escape: copied at once.
    if text
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        out.push_str(text);
        out.push('"');
        return;
    }
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
}

/// YAML 1.2's printable set, less the line separators (NEL, LS, PS) some readers break on.
fn printable(c: char) -> bool {
    let u = c as u32;
    (0xA0..=0xD7FF).contains(&u) && u != 0x2028 && u != 0x2029
        || (0xE000..=0xFFFD).contains(&u) && u != 0xFEFF
        || (0x10000..=0x10FFFF).contains(&u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nests_maps_and_lists_in_block_style() {
        let value = json!({"a": {"b": [1, {"c": "x", "d": []}, [true]]}, "e": {}});
        assert_eq!(
            to_yaml(&value),
            "a:\n  b:\n    - 1\n    - c: \"x\"\n      d: []\n    -\n      - true\ne: {}\n"
        );
    }

    /// Long maps and lists are written in chunks on several threads: the text is still
    /// each entry's own text, in order, at the top level and inside a list item.
    #[test]
    fn long_collections_read_as_their_entries_one_after_another() {
        let entry = |i: usize| json!({"name": format!("t{i}"), "args": [i, {"k": "v"}], "m": {}});
        let items: Vec<Value> = (0..3 * BIG).map(entry).collect();
        let one_by_one: String = items.iter().map(|v| to_yaml(&json!([v]))).collect();
        assert_eq!(to_yaml(&Value::Array(items.clone())), one_by_one);
        let map: serde_json::Map<String, Value> = items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("k{i:05}"), v.clone()))
            .collect();
        let one_by_one: String = map.iter().map(|(k, v)| to_yaml(&json!({ k: v }))).collect();
        assert_eq!(to_yaml(&Value::Object(map.clone())), one_by_one);
        // Inside a list item, the first entry follows the `- `.
        let nested = to_yaml(&json!([map]));
        assert!(nested.starts_with("- k00000:\n"), "{}", &nested[..40]);
        assert_eq!(nested.lines().count(), one_by_one.lines().count());
    }

    #[test]
    fn quotes_keys_that_are_not_plain_words() {
        let value = json!({"yes": 1, "a b": 2, "k-1.x_y": 3, "": 4});
        assert_eq!(
            to_yaml(&value),
            "\"\": 4\n\"a b\": 2\nk-1.x_y: 3\n\"yes\": 1\n"
        );
    }

    #[test]
    fn escapes_what_yaml_cannot_hold_as_text() {
        let mut out = String::new();
        write_quoted(&mut out, "q\"b\\n\n\u{85}\u{7f}\u{feff}é\u{1F600}");
        assert_eq!(out, "\"q\\\"b\\\\n\\n\\u0085\\u007F\\uFEFFé\u{1F600}\"");
    }
}
