//! The program of [`crate::generate`] changed in ten places, as a pull request might
//! change it: for `mlforge diff`'s benchmark.

use crate::{generate, layer_count, step_name};

/// How many places [`changed`] changes.
pub const CHANGES: usize = 10;

/// The files of `generate(steps)` with ten changes: one op body (`transform`), one param
/// default (`min_score`), two arguments (`rows` of the first two steps), three steps
/// renamed with every reference to them (`s{L}_3` → `s{L}_3x` at a quarter, half and three
/// quarters of the layers), and three steps added after layer 0.
pub fn changed(steps: usize) -> Vec<(String, String)> {
    let layers = layer_count(steps);
    generate(steps)
        .into_iter()
        .map(|(path, text)| {
            let text = match path.as_str() {
                "ops.mlf" => text.replacen("# mix version 1", "# mix version 2", 1),
                "main.mlf" => {
                    let mut text = text
                        .replacen("min_score: float = 0.5", "min_score: float = 0.6", 1)
                        .replacen("rows: 100)", "rows: 111)", 1)
                        .replacen("rows: 200)", "rows: 222)", 1);
                    for layer in [layers / 4, layers / 2, 3 * layers / 4] {
                        let name = step_name(layer.max(1), 3);
                        text = rename(&text, &name, &format!("{name}x"));
                    }
                    let last_of_layer_0 = format!("step {} = ", step_name(0, 9));
                    let at = text.find(&last_of_layer_0).expect("layer 0 exists");
                    let at = at + text[at..].find('\n').expect("a whole line") + 1;
                    let added: String = (0..3)
                        .map(|k| format!("  step added_{k} = ops.load(seed: {k}, rows: 10)\n"))
                        .collect();
                    text.insert_str(at, &added);
                    text
                }
                _ => text,
            };
            (path, text)
        })
        .collect()
}

/// `text` with the identifier `from` (not a part of a longer one) replaced by `to`.
fn rename(text: &str, from: &str, to: &str) -> String {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(ident) || after.is_some_and(ident) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_whole_identifiers_only() {
        assert_eq!(
            rename(
                "s1_3.x s1_30.y s11_3.z (s1_3) after s1_3\n",
                "s1_3",
                "s1_3x"
            ),
            "s1_3x.x s1_30.y s11_3.z (s1_3x) after s1_3x\n"
        );
    }

    #[test]
    fn ten_places_change() {
        let before = generate(1000);
        let after = changed(1000);
        let lines = |files: &[(String, String)]| -> Vec<String> {
            files
                .iter()
                .flat_map(|(_, t)| t.lines().map(String::from))
                .collect()
        };
        let (a, b) = (lines(&before), lines(&after));
        assert_eq!(b.len(), a.len() + 3, "three steps added");
        assert!(b.iter().any(|l| l.contains("step s25_3x = ")));
        assert!(b.iter().any(|l| l.contains("# mix version 2")));
    }
}
