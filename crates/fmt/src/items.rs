//! Formatting part of a file (an editor's range formatting): the whole file is formatted,
//! so the layout is the formatter's, and each item the range touches is taken from the
//! result, provided it keeps its own comments.

use std::fmt;

use mlforge_syntax::{Parse, Span};

use crate::{comment_texts, format, FormatError};

/// An item of the input and its text in the formatted file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormattedItem {
    /// Where the item stands in the input.
    pub span: Span,
    pub text: String,
}

/// Why the items of a range cannot be formatted alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeError {
    /// The whole file cannot be formatted.
    Format(FormatError),
    /// The formatted file does not have the same items.
    ItemsDiffer,
    /// Formatting the item at `offset` (in the input) alone would move a comment into or
    /// out of it.
    CommentMoves { offset: usize },
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangeError::Format(e) => e.fmt(f),
            RangeError::ItemsDiffer => f.write_str(
                "the formatted file does not have the same items; format the whole document instead",
            ),
            RangeError::CommentMoves { .. } => f.write_str(
                "formatting this item alone would move a comment out of it; format the whole document instead",
            ),
        }
    }
}

impl std::error::Error for RangeError {}

/// The items of `text` that the byte range `start..end` touches (an empty range touches
/// the item it stands in), each with its formatted text, in order.
pub fn format_items(
    text: &str,
    start: usize,
    end: usize,
) -> Result<Vec<FormattedItem>, RangeError> {
    let formatted = format(text).map_err(RangeError::Format)?;
    let before = mlforge_syntax::parse(text);
    let after = mlforge_syntax::parse(&formatted);
    if before.file.items.len() != after.file.items.len() {
        return Err(RangeError::ItemsDiffer);
    }
    let last = end.max(start + 1) - 1;
    let mut items = Vec::new();
    for (old, new) in before.file.items.iter().zip(&after.file.items) {
        let (old_span, new_span) = (old.span(), new.span());
        if old_span.start as usize > last || (old_span.end as usize) < start {
            continue;
        }
        if !comments_kept((text, &before, old_span), (&formatted, &after, new_span)) {
            return Err(RangeError::CommentMoves {
                offset: old_span.start as usize,
            });
        }
        items.push(FormattedItem {
            span: old_span,
            text: formatted[new_span.range()].to_string(),
        });
    }
    Ok(items)
}

/// Whether an item (text, parse, span) has the same comments before and after formatting.
fn comments_kept(before: (&str, &Parse, Span), after: (&str, &Parse, Span)) -> bool {
    comment_texts(before.0, before.1, Some(before.2))
        == comment_texts(after.0, after.1, Some(after.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "op a() {\n  shell \"\"\"\n    x\n  \"\"\"\n}\n\npipeline   p( ) {\n  step s =   a()  // keep\n}\n";

    #[test]
    fn only_the_touched_items_are_formatted() {
        let at = TEXT.find("step s").unwrap();
        let items = format_items(TEXT, at, at).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].text, "pipeline p() {\n  step s = a()  // keep\n}");
        assert_eq!(
            &TEXT[items[0].span.range()],
            &TEXT[TEXT.find("pipeline").unwrap()..TEXT.len() - 1]
        );
        assert_eq!(format_items(TEXT, 0, TEXT.len()).unwrap().len(), 2);
    }

    #[test]
    fn broken_files_are_refused() {
        assert!(matches!(
            format_items("pipeline p() {\n  s = \n}\n", 0, 1),
            Err(RangeError::Format(FormatError::Syntax { .. }))
        ));
    }

    #[test]
    fn an_item_must_keep_its_own_comments() {
        let text = "op a() {} /* c */ /* d */\n";
        let parse = mlforge_syntax::parse(text);
        let whole = Span::new(0, text.len());
        let without_d = Span::new(0, text.find("/* d").unwrap());
        let code = Span::new(0, text.find("/* c").unwrap());
        assert!(comments_kept((text, &parse, whole), (text, &parse, whole)));
        assert!(!comments_kept(
            (text, &parse, whole),
            (text, &parse, without_d)
        ));
        assert!(!comments_kept(
            (text, &parse, code),
            (text, &parse, without_d)
        ));
        assert!(comments_kept((text, &parse, code), (text, &parse, code)));
    }
}
