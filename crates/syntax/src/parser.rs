//! The chumsky parser over the lexer's tokens, with error recovery.
//!
//! Recovery works at three levels so that one mistake hides as little as possible: a broken
//! expression inside brackets becomes `ExprKind::Error`, a broken statement or attribute is
//! skipped up to the next statement keyword or closing brace, and a broken item is skipped
//! up to the next item keyword.
//!
//! The grammar (`grammar.rs`) is compiled twice, differing only in the error type. Error-free
//! input, the common case while typing and the only case for a checked-in file, is parsed
//! with chumsky's `EmptyErr`, which skips the bookkeeping of what each failed alternative
//! expected (about half of the parse time with `Rich` errors). Only when that parse reports
//! an error is the text parsed again with `Rich` errors, for the messages.

use chumsky::error::{EmptyErr, Rich};
use chumsky::prelude::SimpleSpan;

use crate::lexer::Token;

/// An error built from a message, for the checks done while parsing (an integer too large,
/// a misplaced type argument).
pub(crate) trait CustomError {
    fn custom(span: SimpleSpan, message: &str) -> Self;
}

impl CustomError for Rich<'_, Token<'_>, SimpleSpan> {
    fn custom(span: SimpleSpan, message: &str) -> Self {
        Rich::custom(span, message)
    }
}

impl CustomError for EmptyErr {
    fn custom(_: SimpleSpan, _: &str) -> Self {
        EmptyErr::default()
    }
}

/// The lexer's tokens with the spans chumsky takes, moved by `offset` (where the lexed text
/// starts in the file).
pub(crate) fn chumsky_tokens<'s>(
    tokens: &[(Token<'s>, crate::Span)],
    offset: usize,
) -> Vec<(Token<'s>, SimpleSpan)> {
    tokens
        .iter()
        .map(|&(t, s)| {
            let range = s.range();
            (
                t,
                SimpleSpan::from(range.start + offset..range.end + offset),
            )
        })
        .collect()
}

/// The grammar with errors that carry nothing: fast, and enough to learn that the input is
/// well formed.
pub(crate) mod fast {
    type ParseErr<'t, 's> = chumsky::error::EmptyErr;
    include!("grammar.rs");
}

/// The grammar with errors that say what was expected and found.
pub(crate) mod rich {
    type ParseErr<'t, 's> =
        chumsky::error::Rich<'t, crate::lexer::Token<'s>, chumsky::prelude::SimpleSpan>;
    include!("grammar.rs");
}

#[cfg(test)]
mod tests {
    use chumsky::input::Input as _;
    use chumsky::Parser as _;

    use super::{fast, rich};
    use crate::lexer::lex;

    /// The fast grammar must fail exactly where the rich one does, and agree with it on
    /// every tree it accepts: `parse` trusts it to decide whether the rich parse is needed.
    fn assert_grammars_agree(text: &str) {
        let tokens = super::chumsky_tokens(&lex(text).tokens, 0);
        let eoi = chumsky::span::SimpleSpan::from(text.len()..text.len());
        let input = tokens.as_slice().map(eoi, |(t, s)| (t, s));
        let quick = fast::source_file().parse(input);
        let full = rich::source_file().parse(input);
        assert_eq!(quick.has_errors(), full.has_errors(), "on {text:?}");
        if !quick.has_errors() {
            assert_eq!(quick.output(), full.output(), "on {text:?}");
        }
    }

    #[test]
    fn fast_and_rich_grammars_agree_on_examples_and_their_truncations() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let mut files = vec![];
        for dir in [
            format!("{root}/examples"),
            format!("{root}/docs/diagnostics"),
        ] {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    files.extend(
                        std::fs::read_dir(&path)
                            .unwrap()
                            .flatten()
                            .map(|e| e.path()),
                    );
                } else {
                    files.push(path);
                }
            }
        }
        files.retain(|p| p.extension().is_some_and(|e| e == "mlf"));
        assert!(files.len() > 40, "the examples were found: {}", files.len());
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_grammars_agree(&text);
            for cut in (0..text.len())
                .step_by(13)
                .filter(|&i| text.is_char_boundary(i))
            {
                assert_grammars_agree(&text[..cut]);
            }
        }
    }
}
