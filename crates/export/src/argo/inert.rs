//! Text from a program, made inert where Argo and Kubernetes would read it.
//!
//! Argo expands `{{…}}` in almost every string of a template (a script's `source`, env
//! values, artifact keys, …), and Kubernetes expands `$(NAME)` in a container's env values
//! and arguments. User text (bodies, literals, defaults, env values, names) therefore never
//! stands in such a field as written: it travels as JSON in which every `{`, `}`, `$`, `'`
//! and `\` inside a string is a `\u` escape. That JSON holds no `{{` (a structural `{`
//! is always followed by `"`, `}` or a line break), no `$(` and no `'`, so it can sit
//! between `r'''` and `'''` in Python, and Argo passes it through unchanged. The pod
//! decodes it with `json.loads`, which gives back exactly the original text.

use serde::Serialize;

/// `value` as JSON with the characters Argo or Kubernetes could act on escaped.
pub fn inert_json(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).expect("values the exporter builds always serialize");
    escape_json(&text)
}

/// Escapes within string literals of JSON text; the structure is left as it is.
fn escape_json(text: &str) -> String {
    crate::json_text::escape_in_strings(text, |c, _| matches!(c, '{' | '}' | '$' | '\''))
}

/// Whether `text` is free of what Argo (`{{`) or Kubernetes (`$(`) would expand.
pub fn is_inert(text: &str) -> bool {
    !text.contains("{{") && !text.contains("$(")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    #[test]
    fn braces_dollars_and_quotes_in_strings_are_escaped() {
        let text = inert_json(&json!({"a": "{{x}} ${y} $(z) ''' \\ \"", "b": [{"c": {}}]}));
        assert!(is_inert(&text), "{text}");
        assert!(!text.contains('\''), "{text}");
        assert_eq!(
            text,
            r#"{"a":"\u007b\u007bx\u007d\u007d \u0024\u007by\u007d \u0024(z) \u0027\u0027\u0027 \\ \"","b":[{"c":{}}]}"#
        );
    }

    proptest! {
        #[test]
        fn any_text_round_trips_and_stays_inert(s in "\\PC*", t in "[{}$'\"\\\\a\n]*") {
            let value = json!({"s": s, "t": [t.clone(), {"k": t}]});
            let text = inert_json(&value);
            prop_assert!(is_inert(&text));
            prop_assert!(!text.contains('\''));
            prop_assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
        }
    }
}
