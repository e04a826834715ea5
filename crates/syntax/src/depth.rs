//! The nesting limit. Everything after the lexer (the parser, the checker, the IR compiler,
//! the formatter, the graph builder, the editor features, and the tree's own `Clone`, `Eq`,
//! `Hash` and `Drop`) walks the tree recursively, so a tree as deep as the input allows would
//! overflow the stack: 700 nested parentheses were enough to abort the language server. The
//! limit is enforced on tokens, before the parser recurses, so that nothing downstream ever
//! sees a tree deeper than [`MAX_NESTING`].
//!
//! The measure is an upper bound of the tree's depth: each open bracket (`(`, `[`, `{`)
//! counts one level, and so does each operator in a row at one bracket level (`a + b + c`
//! is a left-leaning tree as deep as its operators; so are `not not x`, `list<list<T>>`,
//! `T??` and an `else if` chain), until something that starts a new expression (`,`, `=`,
//! `:`, `->` or a statement or item keyword) resets the count. `>` does not count: it closes
//! a type's `<`, and a comparison does not chain, so it adds at most one level to what the
//! `and`s and `or`s around it count.
//!
//! Where the bound passes the limit, the tokens that would go deeper are dropped (a whole
//! bracket group, or the rest of an operator chain up to where its expression ends), one
//! error is reported for them, and the parser's complaints about the hole are hidden.

use crate::lexer::Token;
use crate::span::Span;
use crate::{SyntaxError, SyntaxErrorKind};

/// The deepest nesting the parser accepts: brackets, blocks and operators in a row,
/// counted as described in the module documentation. Python's parser allows 200 nested
/// parentheses; real pipelines nest a handful of levels.
pub const MAX_NESTING: usize = 256;

/// The running depth bound over a token sequence.
#[derive(Clone, Debug)]
pub(crate) struct Depth {
    /// For each open bracket, and the top level first: the operators in a row at that level.
    counts: Vec<usize>,
    /// The sum over levels of one plus their count: the bound at the current token.
    total: usize,
    previous: Option<Token<'static>>,
}

/// What one token does to the depth.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    Open,
    Close,
    Operator,
    Reset,
    None,
}

fn effect(token: &Token, previous: Option<Token<'static>>) -> Effect {
    match token {
        Token::LParen | Token::LBracket | Token::LBrace => Effect::Open,
        Token::RParen | Token::RBracket | Token::RBrace => Effect::Close,
        Token::Plus
        | Token::Minus
        | Token::Star
        | Token::Slash
        | Token::Not
        | Token::And
        | Token::Or
        | Token::EqEq
        | Token::NotEq
        | Token::Lt
        | Token::Le
        | Token::Ge
        | Token::Question
        | Token::Else => Effect::Operator,
        // `else if` continues a chain that nests one level per `else`.
        Token::If if previous == Some(Token::Else) => Effect::None,
        Token::Comma
        | Token::Assign
        | Token::Colon
        | Token::Arrow
        | Token::If
        | Token::Step
        | Token::For
        | Token::Output
        | Token::After
        | Token::Import
        | Token::Op
        | Token::Pipeline
        | Token::Artifact
        | Token::Python
        | Token::Shell => Effect::Reset,
        _ => Effect::None,
    }
}

/// The keyword-like tokens `previous` needs; other tokens are forgotten (they hold text).
fn remembered(token: &Token) -> Option<Token<'static>> {
    match token {
        Token::Else => Some(Token::Else),
        _ => None,
    }
}

impl Default for Depth {
    fn default() -> Self {
        Depth {
            counts: vec![0],
            total: 1,
            previous: None,
        }
    }
}

impl Depth {
    /// The bound after `token`.
    pub(crate) fn step(&mut self, token: &Token) -> usize {
        match effect(token, self.previous) {
            Effect::Open => {
                self.counts.push(0);
                self.total += 1;
            }
            Effect::Close => {
                if self.counts.len() > 1 {
                    let count = self.counts.pop().unwrap_or(0);
                    self.total -= 1 + count;
                }
            }
            Effect::Operator => {
                *self
                    .counts
                    .last_mut()
                    .expect("the top level is never popped") += 1;
                self.total += 1;
            }
            Effect::Reset => {
                let count = self
                    .counts
                    .last_mut()
                    .expect("the top level is never popped");
                self.total -= *count;
                *count = 0;
            }
            Effect::None => {}
        }
        self.previous = remembered(token);
        self.total
    }

    /// The bound `step(token)` would give, without taking the step (no copy of the state
    /// per token).
    fn after(&self, token: &Token) -> usize {
        let innermost = *self.counts.last().expect("the top level is never popped");
        match effect(token, self.previous) {
            Effect::Open | Effect::Operator => self.total + 1,
            Effect::Close if self.counts.len() > 1 => self.total - 1 - innermost,
            Effect::Reset => self.total - innermost,
            Effect::Close | Effect::None => self.total,
        }
    }

    /// The bound now.
    pub(crate) fn current(&self) -> usize {
        self.total
    }
}

/// The deepest bound over `tokens`, starting from a fresh state.
pub(crate) fn max_depth<'s>(tokens: impl IntoIterator<Item = &'s Token<'s>>) -> usize {
    let mut depth = Depth::default();
    tokens.into_iter().map(|t| depth.step(t)).max().unwrap_or(1)
}

/// Tokens cut down to the limit.
pub(crate) struct Limited<'s> {
    /// `None` when nothing was too deep (the common case: no copy).
    pub tokens: Option<Vec<(Token<'s>, Span)>>,
    pub errors: Vec<SyntaxError>,
    /// Where the parser's errors are about the holes left by dropped tokens.
    pub hidden: Vec<Span>,
}

/// Drops what nests deeper than [`MAX_NESTING`], reporting each dropped run.
pub(crate) fn limit<'s>(tokens: &[(Token<'s>, Span)]) -> Limited<'s> {
    let mut depth = Depth::default();
    let mut kept: Option<Vec<(Token<'s>, Span)>> = None;
    let mut errors = Vec::new();
    let mut hidden: Vec<Span> = Vec::new();
    let mut merge_with_previous = None;
    let mut i = 0;
    while i < tokens.len() {
        if depth.after(&tokens[i].0) <= MAX_NESTING {
            depth.step(&tokens[i].0);
            if let Some(kept) = &mut kept {
                kept.push(tokens[i]);
            }
            i += 1;
            continue;
        }
        let opens = effect(&tokens[i].0, depth.previous) == Effect::Open;
        let end = if opens {
            group_end(tokens, i)
        } else {
            chain_end(tokens, i)
        };
        let span = tokens[i].1.cover(tokens[end - 1].1);
        let kept = kept.get_or_insert_with(|| tokens[..i].to_vec());
        let last = kept.last().map(|(t, _)| *t);
        // A parenthesised or list expression, or an operator's operand, becomes a hole the
        // parser reads as a broken expression; an argument list or a block is left out, and
        // the parser's complaint about that is hidden below.
        let expression = match tokens[i].0 {
            Token::LParen => !matches!(last, Some(Token::Ident(_))),
            Token::LBracket => true,
            Token::LBrace => false,
            _ => last.is_some_and(|t| needs_operand(&t)),
        };
        if expression {
            kept.push((Token::Hole, span));
        }
        // Drops in a row (a block, then the `else` after it) are one error.
        if let Some(previous) = errors.last_mut().filter(|_| merge_with_previous == Some(i)) {
            let previous: &mut SyntaxError = previous;
            previous.span = previous.span.cover(span);
            if let Some(hole) = hidden.last_mut() {
                *hole = Span::new(hole.start as usize, hole_end(tokens, end) as usize);
            }
            merge_with_previous = Some(end);
            i = end;
            continue;
        }
        merge_with_previous = Some(end);
        errors.push(SyntaxError {
            kind: SyntaxErrorKind::TooDeep,
            span,
            message: format!(
                "this nests more than {MAX_NESTING} levels deep (each bracket, block, `else` \
                 and operator in a row counts one); split it into smaller expressions, \
                 params or steps"
            ),
        });
        hidden.push(Span::new(
            span.start as usize,
            hole_end(tokens, end) as usize,
        ));
        i = end;
    }
    Limited {
        tokens: kept,
        errors,
        hidden,
    }
}

/// Where the parser's complaints about a hole ending before `tokens[end]` stop: that
/// token's end, or at the end of the input, anywhere (the complaint is about the end).
fn hole_end(tokens: &[(Token, Span)], end: usize) -> u32 {
    tokens.get(end).map_or(u32::MAX, |t| t.1.end)
}

/// Whether an operand must follow `token`.
fn needs_operand(token: &Token) -> bool {
    effect(token, None) == Effect::Operator && !matches!(token, Token::Question | Token::Else)
}

/// The index just past the bracket group opening at `start` (the end of input when it is
/// never closed).
fn group_end(tokens: &[(Token, Span)], start: usize) -> usize {
    let mut open = 0usize;
    for (i, (token, _)) in tokens.iter().enumerate().skip(start) {
        match effect(token, None) {
            Effect::Open => open += 1,
            Effect::Close => {
                open -= 1;
                if open == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// The index of the first token after `start` where the operator chain at `start`'s level
/// ends: a token that resets the count, or the bracket closing that level (bracket groups
/// inside the chain are skipped whole).
fn chain_end(tokens: &[(Token, Span)], start: usize) -> usize {
    let mut i = start + 1;
    while i < tokens.len() {
        match effect(&tokens[i].0, remembered(&tokens[i - 1].0)) {
            Effect::Open => i = group_end(tokens, i),
            Effect::Close | Effect::Reset => return i,
            Effect::Operator | Effect::None => i += 1,
        }
    }
    tokens.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    fn bound(text: &str) -> usize {
        max_depth(lex(text).tokens.iter().map(|(t, _)| t))
    }

    #[test]
    fn the_bound_counts_brackets_operators_and_else_chains() {
        assert_eq!(bound("a"), 1);
        assert_eq!(bound("a + b + c"), 3);
        assert_eq!(bound("(a + (b))"), 4);
        assert_eq!(bound("[a, [b], c]"), 3);
        assert_eq!(bound("not not x"), 3);
        assert_eq!(bound("x: list<list<int>>"), 3);
        assert_eq!(bound("if a {} else if b {} else {}"), 4);
        // Sibling statements do not add up.
        assert_eq!(bound("{ step a = f(x: 1 + 2) step b = g(y: 3 + 4) }"), 4);
        assert_eq!(bound("{ if a {} else {} if b {} else {} }"), 4);
    }

    /// `after` is `step` without the step, on every kind of token and bracket level.
    #[test]
    fn after_foresees_each_step() {
        let text = "pipeline p() { step a = f(x: [1, (2 + 3) * -4], y: not not b) \
                    if a.v > 1 and b {} else if c {} else {} } ) ] x: list<int?>";
        let mut depth = Depth::default();
        for (token, _) in &lex(text).tokens {
            let foreseen = depth.after(token);
            assert_eq!(depth.step(token), foreseen, "at {token:?}");
        }
    }

    #[test]
    fn what_nests_too_deep_is_dropped_and_reported_once() {
        let text = format!("{}x{}", "(".repeat(300), ")".repeat(300));
        let lexed = lex(&text);
        let limited = limit(&lexed.tokens);
        let kept = limited.tokens.unwrap();
        assert_eq!(limited.errors.len(), 1);
        assert_eq!(max_depth(kept.iter().map(|(t, _)| t)), MAX_NESTING);
        let sum = vec!["a"; 1000].join(" + ");
        let lexed = lex(&sum);
        let limited = limit(&lexed.tokens);
        assert_eq!(limited.errors.len(), 1);
        let kept = limited.tokens.unwrap();
        assert_eq!(kept.len(), 2 * (MAX_NESTING - 1) + 1);
    }
}
