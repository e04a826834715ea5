//! `mlforge fmt --diff`: what formatting would change, as a unified diff that `git apply`
//! and `patch -p1` accept.

use similar::TextDiff;

/// The unified diff (3 lines of context) from `before` to `after` of the file at `path`,
/// or the empty string when they are equal.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    let diff = TextDiff::from_lines(before, after);
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified_diff("a.mlf", "x\n", "x\n"), "");
    }

    #[test]
    fn a_missing_last_newline_is_marked_as_diff_does() {
        let diff = unified_diff("a.mlf", "x", "x\n");
        assert_eq!(
            diff,
            "--- a/a.mlf\n+++ b/a.mlf\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n"
        );
    }

    #[test]
    fn a_changed_line_is_shown_with_its_context() {
        let before = "op a() {\n  shell \"\"\"true\"\"\"\n}\npipeline p(){\n}\n";
        let after = "op a() {\n  shell \"\"\"true\"\"\"\n}\n\npipeline p() {}\n";
        let diff = unified_diff("dir/x.mlf", before, after);
        assert_eq!(
            diff,
            "--- a/dir/x.mlf\n+++ b/dir/x.mlf\n@@ -1,5 +1,5 @@\n op a() {\n   shell \"\"\"true\"\"\"\n }\n-pipeline p(){\n-}\n+\n+pipeline p() {}\n"
        );
    }
}
