//! Any text at all stays text in the Markdown and the Mermaid (the fixtures check real
//! hostile programs; this checks every string proptest can think of).

use mlforge_diff::escape::{markdown, markdown_code, markdown_fence, mermaid_label};
use proptest::prelude::*;

/// Entity references (`&#60;`, `#60;`) taken out: what is left is what a reader could
/// mistake for markup.
fn without_references(text: &str, open: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(open) {
        out.push_str(&rest[..at]);
        let after = &rest[at + open.len()..];
        match after.find(';') {
            Some(end) if after[..end].chars().all(|c| c.is_ascii_digit()) && end > 0 => {
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(open);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

proptest! {
    #[test]
    fn markdown_text_has_no_markup(text in any::<String>()) {
        let out = markdown(&text);
        let bare = without_references(&out, "&#");
        for bad in ['<', '>', '|', '`', '[', ']', '*', '_', '\\', '@', '$', '#', '!', '&', '\n', '\r'] {
            prop_assert!(!bare.contains(bad), "{:?} in {:?}", bad, out);
        }
        let code = markdown_code(&text);
        prop_assert_eq!(code.matches("</code>").count(), 1);
    }

    #[test]
    fn fences_hold_any_text(text in any::<String>()) {
        let fenced = markdown_fence("diff", &text);
        let fence: String = fenced.chars().take_while(|&c| c == '`').collect();
        prop_assert!(fence.len() >= 3);
        let body = &fenced[fence.len() + "diff\n".len()..fenced.len() - fence.len() - 1];
        prop_assert!(!body.contains(fence.as_str()), "the text closes the fence: {:?}", fenced);
    }

    #[test]
    fn mermaid_labels_stay_one_closed_string(text in any::<String>()) {
        let out = mermaid_label(&text);
        prop_assert!(out.starts_with('"') && out.ends_with('"') && out.len() >= 2);
        let inner = without_references(&out[1..out.len() - 1], "#");
        for bad in ['"', '<', '>', '`', '[', ']', '{', '}', '|', '%', '#', ':', ';', '&', '\\', '\n', '\r'] {
            prop_assert!(!inner.contains(bad), "{:?} in {:?}", bad, out);
        }
    }
}
