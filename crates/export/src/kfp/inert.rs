//! Text that goes into a container's command or arguments. KFP's launcher rewrites
//! `{{$…}}` placeholders anywhere in them (and kfp.local also the workspace path
//! `/kfp-workspace`), so a program's text must never contain one after export: JSON is
//! written with braces inside strings as `\u007b`/`\u007d` (structural JSON never has two
//! `{` in a row) and the workspace path's slash as `\u002f`; JSON readers (and Python,
//! for which these escapes mean the same) see the same value.

use serde_json::Value;

/// The workspace mount path that kfp.local replaces wherever it appears.
const WORKSPACE: &str = "/kfp-workspace";

/// `value` as compact JSON that holds no placeholder.
pub fn json(value: &Value) -> String {
    crate::json_text::escape_in_strings(&value.to_string(), |c, rest| {
        matches!(c, '{' | '}') || (c == '/' && rest.starts_with(WORKSPACE))
    })
}

/// Whether literal text (the task runtime's source, an environment value) is safe to put
/// into a command, argument or environment value as it is.
pub fn is_inert(text: &str) -> bool {
    !text.contains("{{$") && !text.contains(WORKSPACE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_in_strings_are_escaped_and_read_back_unchanged() {
        let value = json!({"body": "echo {{$.inputs.parameters['x']}} /kfp-workspace \"{{$}}\\", "n": [{"a": {}}]});
        let text = json(&value);
        assert!(is_inert(&text), "{text}");
        assert!(!text.contains("{{"), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    }
}
