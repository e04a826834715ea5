//! Formatting a run of pipeline statements on its own, for edits that write a few
//! statements into a file and must leave the rest of it as it is (the graph editor's).
//! The statements are formatted as the body of a pipeline, by [`format()`] with all its
//! checks, and moved to the indentation where they will stand.

use crate::{format, FormatError};

/// The statements of `text` (one or more, with the comments among them) in the canonical
/// layout, for a body indented by `indent` spaces: the first line carries no indentation
/// (it continues the line the statements are written into) and every later line is
/// indented for that body. The lines of a block comment after its first are left as
/// written. Errors are the formatter's, with lines counted from `text`'s first.
pub fn format_statements(text: &str, indent: usize) -> Result<String, FormatError> {
    const OPEN: &str = "pipeline p() {\n";
    let wrapped = format!("{OPEN}{text}\n}}\n");
    let formatted = format(&wrapped).map_err(|e| shift_lines(e, -1))?;
    // The printer indents a pipeline's statements by one level (2 spaces) and closes the
    // body with `}` on its own line.
    let body = formatted
        .strip_prefix(OPEN)
        .and_then(|rest| rest.strip_suffix("}\n"))
        .unwrap_or("");
    let inside_comment = comment_interiors(body);
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(body.len() + body.len() / 4);
    let mut offset = 0;
    for (i, line) in body.split_inclusive('\n').enumerate() {
        let keep = inside_comment
            .iter()
            .any(|&(s, e)| s < offset && offset < e);
        let content = if keep {
            line
        } else {
            line.strip_prefix("  ").unwrap_or(line)
        };
        if i > 0 && !keep && !content.trim().is_empty() {
            out.push_str(&pad);
        }
        out.push_str(content);
        offset += line.len();
    }
    Ok(out.trim_end_matches('\n').to_string())
}

/// The spans of the block comments of `text` that run over several lines.
fn comment_interiors(text: &str) -> Vec<(usize, usize)> {
    mlforge_syntax::parse(text)
        .comments
        .iter()
        .map(|c| (c.span.start as usize, c.span.end as usize))
        .filter(|&(s, e)| text[s..e].contains('\n'))
        .collect()
}

fn shift_lines(error: FormatError, by: isize) -> FormatError {
    let shift = |line: usize| line.saturating_add_signed(by).max(1);
    match error {
        FormatError::Syntax {
            line,
            column,
            message,
            count,
        } => FormatError::Syntax {
            line: shift(line),
            column,
            message,
            count,
        },
        FormatError::Verification {
            line,
            column,
            message,
        } => FormatError::Verification {
            line: shift(line),
            column,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::format_statements;

    #[test]
    fn statements_are_laid_out_for_their_body() {
        let text = "for lr in rates {\nstep fit =   train(data: d.table,  // the data\n lr: lr)\n/* a\n   b */\n}";
        assert_eq!(
            format_statements(text, 4).unwrap(),
            "for lr in rates {\n      step fit = train(\n        data: d.table,  // the data\n        lr: lr,\n      )\n      /* a\n   b */\n    }"
        );
        assert_eq!(
            format_statements("step a   = f( )", 0).unwrap(),
            "step a = f()"
        );
    }

    #[test]
    fn broken_statements_are_refused() {
        let error = format_statements("step a = f(\n  x: 1\n", 2).unwrap_err();
        assert!(
            matches!(error, crate::FormatError::Syntax { .. }),
            "{error}"
        );
    }
}
