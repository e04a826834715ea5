// The grammar, included by `parser.rs` once per error type (see there); not a module.

use chumsky::input::ValueInput;
use chumsky::prelude::*;

use crate::ast::*;
use crate::lexer::{unescape, Token};
use crate::span::Span;

use super::CustomError;

type Extra<'t, 's> = extra::Err<ParseErr<'t, 's>>;

fn span_of(s: SimpleSpan) -> Span {
    Span::new(s.start, s.end)
}

fn is_item_start(t: &Token) -> bool {
    matches!(
        t,
        Token::Import | Token::Op | Token::Pipeline | Token::Artifact | Token::Record
    )
}

fn is_stmt_start(t: &Token) -> bool {
    matches!(t, Token::Step | Token::For | Token::If | Token::Output) || is_item_start(t)
}

fn is_member_start(t: &Token) -> bool {
    matches!(t, Token::Python | Token::Shell) || is_item_start(t)
}

/// Skips a broken construct: at least one token, then whole brace groups and tokens up to
/// (not including) a token for which `stop` holds or, inside braces (`at_top_level` false),
/// an unmatched `}`.
fn skip_broken<'t, 's: 't, I>(
    stop: fn(&Token) -> bool,
    at_top_level: bool,
) -> impl Parser<'t, I, SimpleSpan, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    let tree = recursive(|tree| {
        let group = just(Token::LBrace)
            .then(tree.repeated())
            .then(just(Token::RBrace))
            .ignored();
        group.or(any()
            .filter(|t: &Token| !matches!(t, Token::LBrace | Token::RBrace))
            .ignored())
    });
    let first = tree.clone().or(any()
        .filter(move |t: &Token| at_top_level || *t != Token::RBrace)
        .ignored());
    let stray_close = any()
        .filter(move |t: &Token| at_top_level && *t == Token::RBrace)
        .ignored();
    let rest = any()
        .filter(move |t: &Token| !stop(t) && (at_top_level || *t != Token::RBrace))
        .rewind()
        .ignore_then(tree.or(stray_close))
        .repeated();
    first.then(rest).map_with(|_, e| e.span())
}

fn name<'t, 's: 't, I>() -> impl Parser<'t, I, Name, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    select! { Token::Ident(s) => s }
        .map_with(|s: &str, e| Name {
            text: SmolStr::new(s),
            span: span_of(e.span()),
        })
        .labelled("a name")
}

fn string<'t, 's: 't, I>() -> impl Parser<'t, I, StrLit, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    select! { Token::Str(s) => s }
        .map_with(|s: &str, e| StrLit {
            value: unescape(s),
            span: span_of(e.span()),
        })
        .labelled("a string")
}

pub(crate) fn expr<'t, 's: 't, I>() -> impl Parser<'t, I, Expr, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    recursive(|expr| {
        let int = select! { Token::Int(s) => s }.validate(|s: &str, e, emitter| {
            s.parse::<i64>().map(ExprKind::Int).unwrap_or_else(|_| {
                emitter.emit(CustomError::custom(
                    e.span(),
                    "this integer is too large; integers must fit in 64 bits",
                ));
                ExprKind::Error
            })
        });
        let literal = int.or(select! {
            Token::Float(s) => ExprKind::Float(s.to_string()),
            Token::Duration(s) => ExprKind::Duration(s.to_string()),
            Token::Str(s) => ExprKind::Str(unescape(s)),
            Token::True => ExprKind::Bool(true),
            Token::False => ExprKind::Bool(false),
            Token::Hole => ExprKind::Error,
        });

        let list = expr
            .clone()
            .separated_by(just(Token::Comma))
            .allow_trailing()
            .collect::<Vec<_>>()
            .map(ExprKind::List)
            .delimited_by(just(Token::LBracket), just(Token::RBracket))
            .recover_with(via_parser(nested_delimiters(
                Token::LBracket,
                Token::RBracket,
                [
                    (Token::LParen, Token::RParen),
                    (Token::LBrace, Token::RBrace),
                ],
                |_| ExprKind::Error,
            )));

        enum After {
            Field(Name),
            Call(Vec<Expr>),
        }
        let call_args = expr
            .clone()
            .separated_by(just(Token::Comma))
            .allow_trailing()
            .collect::<Vec<_>>()
            .delimited_by(just(Token::LParen), just(Token::RParen));
        let reference = name()
            .then(
                just(Token::Dot)
                    .ignore_then(name())
                    .map(After::Field)
                    .or(call_args.map(After::Call))
                    .or_not(),
            )
            .map(|(base, after)| match after {
                Some(After::Field(field)) => ExprKind::Field { base, field },
                Some(After::Call(args)) => ExprKind::Call { func: base, args },
                None => ExprKind::Name(base),
            });

        // `{name: value, …}` is a record, `{"key": value, …}` a dict; `{}` is a record
        // (typed by where it stands, it may also be an empty dict).
        let field_init = name()
            .then_ignore(just(Token::Colon))
            .then(expr.clone())
            .map_with(|(name, value), e| Arg {
                name,
                value,
                span: span_of(e.span()),
            });
        let dict_entry = string()
            .then_ignore(just(Token::Colon))
            .then(expr.clone())
            .map_with(|(key, value), e| DictEntry {
                key,
                value,
                span: span_of(e.span()),
            });
        let braces = dict_entry
            .separated_by(just(Token::Comma))
            .at_least(1)
            .allow_trailing()
            .collect::<Vec<_>>()
            .map(ExprKind::Dict)
            .or(field_init
                .separated_by(just(Token::Comma))
                .allow_trailing()
                .collect::<Vec<_>>()
                .map(ExprKind::Record))
            .delimited_by(just(Token::LBrace), just(Token::RBrace))
            .recover_with(via_parser(nested_delimiters(
                Token::LBrace,
                Token::RBrace,
                [
                    (Token::LParen, Token::RParen),
                    (Token::LBracket, Token::RBracket),
                ],
                |_| ExprKind::Error,
            )));
        // A `{` starts a literal only when `}`, `name:` or `"key":` follows, so that a
        // missing condition before a block (`if {`) stays that error. Looked at without
        // parsing, since a parser that fails past the `{` would own the error message.
        let literal_start = custom(|inp| {
            let checkpoint = inp.save();
            let before = inp.cursor();
            let first = inp.next();
            let span = inp.span_since(&before);
            let (second, third) = (inp.next(), inp.next());
            inp.rewind(checkpoint);
            let starts = first == Some(Token::LBrace)
                && (second == Some(Token::RBrace)
                    || matches!(second, Some(Token::Ident(_) | Token::Str(_)))
                        && third == Some(Token::Colon));
            if starts {
                Ok(())
            } else {
                Err(CustomError::custom(span, "expected an expression, found `{`"))
            }
        });
        let braces = literal_start.ignore_then(braces);

        let atom = choice((literal, list, braces, reference))
            .map_with(|kind, e| Expr {
                kind,
                span: span_of(e.span()),
            })
            .or(expr
                .clone()
                .delimited_by(just(Token::LParen), just(Token::RParen))
                .map_with(|inner: Expr, e| Expr {
                    kind: inner.kind,
                    span: span_of(e.span()),
                }))
            .recover_with(via_parser(nested_delimiters(
                Token::LParen,
                Token::RParen,
                [
                    (Token::LBracket, Token::RBracket),
                    (Token::LBrace, Token::RBrace),
                ],
                |s| Expr {
                    kind: ExprKind::Error,
                    span: span_of(s),
                },
            )))
            .labelled("an expression");

        // `.field` and `[index]` after any atom: `opts.inner.size`, `xs[0]`, `d["k"].x`.
        enum Postfix {
            Member(Name),
            Index(Expr),
        }
        let postfix = just(Token::Dot)
            .ignore_then(name())
            .map(Postfix::Member)
            .or(expr
                .clone()
                .delimited_by(just(Token::LBracket), just(Token::RBracket))
                .map(Postfix::Index))
            .map_with(|p, e| (p, span_of(e.span())));
        let atom = atom
            .foldl(postfix.repeated(), |base: Expr, (p, span): (Postfix, Span)| {
                let span = base.span.cover(span);
                let kind = match p {
                    Postfix::Member(field) => ExprKind::Member {
                        base: Box::new(base),
                        field,
                    },
                    Postfix::Index(index) => ExprKind::Index {
                        base: Box::new(base),
                        index: Box::new(index),
                    },
                };
                Expr { kind, span }
            })
            .boxed();

        let unary = |op_token: Token<'static>,
                     op: UnaryOp,
                     operand: chumsky::Boxed<'t, 't, I, Expr, Extra<'t, 's>>| {
            just(op_token)
                .map_with(move |_, e| (op, e.span()))
                .repeated()
                .foldr_with(
                    operand,
                    |(op, op_span): (UnaryOp, SimpleSpan), operand: Expr, e| Expr {
                        span: span_of(op_span)
                            .cover(operand.span)
                            .cover(span_of(e.span())),
                        kind: ExprKind::Unary {
                            op,
                            operand: Box::new(operand),
                        },
                    },
                )
                .boxed()
        };

        let negation = unary(Token::Minus, UnaryOp::Neg, atom);

        let product_op = select! { Token::Star => BinaryOp::Mul, Token::Slash => BinaryOp::Div };
        let product = negation
            .clone()
            .foldl(product_op.then(negation).repeated(), binary)
            .boxed();

        let sum_op = select! { Token::Plus => BinaryOp::Add, Token::Minus => BinaryOp::Sub };
        let sum = product
            .clone()
            .foldl(sum_op.then(product).repeated(), binary)
            .boxed();

        let compare_op = select! {
            Token::EqEq => BinaryOp::Eq,
            Token::NotEq => BinaryOp::Ne,
            Token::Lt => BinaryOp::Lt,
            Token::Le => BinaryOp::Le,
            Token::Gt => BinaryOp::Gt,
            Token::Ge => BinaryOp::Ge,
        };
        // Comparisons do not chain: `a < b < c` stops after `a < b` and is reported.
        let comparison = sum
            .clone()
            .then(compare_op.then(sum).or_not())
            .map(|(lhs, rest)| match rest {
                Some(rest) => binary(lhs, rest),
                None => lhs,
            })
            .boxed();

        let negated = unary(Token::Not, UnaryOp::Not, comparison);
        let conjunction = negated
            .clone()
            .foldl(
                just(Token::And).to(BinaryOp::And).then(negated).repeated(),
                binary,
            )
            .boxed();
        conjunction.clone().foldl(
            just(Token::Or)
                .to(BinaryOp::Or)
                .then(conjunction)
                .repeated(),
            binary,
        )
    })
    .labelled("an expression")
}

fn type_ref<'t, 's: 't, I>() -> impl Parser<'t, I, TypeRef, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    recursive(|ty| {
        // Any number of types is read, so that a wrong count (`dict<string, float>`) is
        // one error on the type and the params around it survive.
        let generic = ty
            .separated_by(just(Token::Comma))
            .at_least(1)
            .collect::<Vec<_>>()
            .delimited_by(just(Token::Lt), just(Token::Gt));
        let base = name()
            .then(just(Token::Dot).ignore_then(name()).or_not())
            .then(generic.or_not())
            .validate(|((first, second), generic), e, emitter| {
                let span = span_of(e.span());
                match (second, generic) {
                    (None, Some(mut args)) if args.len() == 1 && first.text == "list" => {
                        TypeRef::List {
                            elem: Box::new(args.remove(0)),
                            span,
                        }
                    }
                    (None, Some(mut args)) if args.len() == 1 && first.text == "dict" => {
                        TypeRef::Dict {
                            value: Box::new(args.remove(0)),
                            span,
                        }
                    }
                    (None, Some(_)) if first.text == "dict" => {
                        emitter.emit(CustomError::custom(
                            e.span(),
                            "`dict` takes one type, its values' (keys are always strings), as in `dict<float>`",
                        ));
                        TypeRef::Error(span)
                    }
                    (None, Some(_)) if first.text == "list" => {
                        emitter.emit(CustomError::custom(
                            e.span(),
                            "`list` takes one type, its elements', as in `list<float>`",
                        ));
                        TypeRef::Error(span)
                    }
                    (_, Some(_)) => {
                        emitter.emit(CustomError::custom(
                            e.span(),
                            "only `list` and `dict` take a type in angle brackets, as in `list<float>` or `dict<int>`",
                        ));
                        TypeRef::Error(span)
                    }
                    (Some(second), None) => TypeRef::Named {
                        namespace: Some(first),
                        name: second,
                        span,
                    },
                    (None, None) => TypeRef::Named {
                        namespace: None,
                        name: first,
                        span,
                    },
                }
            });
        base.foldl_with(just(Token::Question).repeated(), |inner, _, e| {
            TypeRef::Optional {
                inner: Box::new(inner),
                span: span_of(e.span()),
            }
        })
        .labelled("a type")
    })
}

fn binary(lhs: Expr, (op, rhs): (BinaryOp, Expr)) -> Expr {
    Expr {
        span: lhs.span.cover(rhs.span),
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
    }
}

fn parenthesized_list<'t, 's: 't, I, T: 't>(
    item: impl Parser<'t, I, T, Extra<'t, 's>> + Clone + 't,
) -> impl Parser<'t, I, Vec<T>, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    checked_parenthesized_list(item).map(|(items, _)| items)
}

/// Like `parenthesized_list`, and says whether the list was too broken to read (then it is
/// empty), so that analysis does not pile "missing" errors on top of the syntax error.
fn checked_parenthesized_list<'t, 's: 't, I, T: 't>(
    item: impl Parser<'t, I, T, Extra<'t, 's>> + Clone + 't,
) -> impl Parser<'t, I, (Vec<T>, bool), Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    item.separated_by(just(Token::Comma))
        .allow_trailing()
        .collect::<Vec<_>>()
        .map(|items| (items, false))
        .delimited_by(just(Token::LParen), just(Token::RParen))
        .recover_with(via_parser(nested_delimiters(
            Token::LParen,
            Token::RParen,
            [
                (Token::LBracket, Token::RBracket),
                (Token::LBrace, Token::RBrace),
            ],
            |_| (Vec::new(), true),
        )))
}

/// An argument list being typed: an unclosed `[` or string inside it, or no `)` yet. It
/// ends at the first `)`, or before the next statement or brace, so that the step (with
/// its callee and name) survives for the graph and for completion.
fn unclosed_arguments<'t, 's: 't, I>() -> impl Parser<'t, I, (Vec<Arg>, bool), Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    just(Token::LParen)
        .then(
            any()
                .filter(|t: &Token| {
                    !matches!(t, Token::RParen | Token::LBrace | Token::RBrace) && !is_stmt_start(t)
                })
                .repeated(),
        )
        .then(just(Token::RParen).or_not())
        .map(|_| (Vec::new(), true))
}

fn params<'t, 's: 't, I>() -> impl Parser<'t, I, Vec<Param>, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    let param = name()
        .then_ignore(just(Token::Colon))
        .then(type_ref())
        .then(just(Token::Assign).ignore_then(expr()).or_not())
        .map_with(|((name, ty), default), e| Param {
            doc: None,
            name,
            ty,
            default,
            span: span_of(e.span()),
        });
    parenthesized_list(param)
}

fn output_decls<'t, 's: 't, I>() -> impl Parser<'t, I, Vec<OutputDecl>, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    let output = name()
        .then_ignore(just(Token::Colon))
        .then(type_ref())
        .map_with(|(name, ty), e| OutputDecl {
            doc: None,
            name,
            ty,
            span: span_of(e.span()),
        });
    just(Token::Arrow).ignore_then(parenthesized_list(output))
}

fn attribute<'t, 's: 't, I>() -> impl Parser<'t, I, Attribute, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    recursive(|attr| {
        let secret = select! { Token::Ident("secret") => () }
            .ignore_then(string().delimited_by(just(Token::LParen), just(Token::RParen)))
            .map_with(|name, e| {
                AttrValue::Secret(Secret {
                    name,
                    span: span_of(e.span()),
                })
            });
        let value = just(Token::Assign)
            .ignore_then(secret.or(expr().map(AttrValue::Expr)))
            .or(attr
                .then_ignore(just(Token::Comma).or_not())
                .repeated()
                .collect::<Vec<_>>()
                .delimited_by(just(Token::LBrace), just(Token::RBrace))
                .map(AttrValue::Block));
        name()
            .then(value)
            .map_with(|(name, value), e| Attribute {
                name,
                value,
                span: span_of(e.span()),
            })
            .labelled("an attribute")
    })
}

fn body<'t, 's: 't, I>() -> impl Parser<'t, I, Body, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    let lang = select! { Token::Python => BodyLang::Python, Token::Shell => BodyLang::Shell };
    let inline = select! { Token::Body(text) => text }.map_with(|text: &str, e| {
        let span = span_of(e.span());
        BodySource::Inline {
            text: text.to_string(),
            text_span: Span::new(
                span.start as usize + 3,
                span.start as usize + 3 + text.len(),
            ),
        }
    });
    let file = just(Token::File)
        .ignore_then(string())
        .map(BodySource::File);
    // `def` is special only right after `python`; it takes an inline body only.
    let function = select! { Token::Ident("def") => () }
        .ignore_then(inline.labelled("a function body: `\"\"\"…\"\"\"`"));
    lang.then(
        function
            .map(|source| (true, source))
            .or(inline.or(file).map(|source| (false, source)))
            .labelled("a code body: `\"\"\"…\"\"\"` or `file \"path\"`"),
    )
    .validate(|(lang, (function, source)), e, emitter| {
        if function && lang == BodyLang::Shell {
            emitter.emit(CustomError::custom(
                e.span(),
                "only python bodies can be functions; write `shell \"\"\"…\"\"\"` without `def`",
            ));
        }
        Body {
            lang,
            function: function && lang == BodyLang::Python,
            source,
            span: span_of(e.span()),
        }
    })
}

/// What ops and pipelines share: `KEYWORD name(params) -> (outputs) { members }`.
fn callable<'t, 's: 't, I, M: 't>(
    keyword: Token<'s>,
    member: impl Parser<'t, I, M, Extra<'t, 's>> + Clone + 't,
) -> impl Parser<'t, I, (Name, Vec<Param>, Option<Vec<OutputDecl>>, Vec<M>), Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    just(keyword)
        .ignore_then(name())
        .then(params())
        .then(output_decls().or_not())
        .then(
            member
                .repeated()
                .collect::<Vec<_>>()
                .delimited_by(just(Token::LBrace), just(Token::RBrace)),
        )
        .map(|(((name, params), outputs), members)| (name, params, outputs, members))
}

fn op<'t, 's: 't, I>() -> impl Parser<'t, I, Op, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    #[derive(Clone)]
    enum Member {
        Attr(Attribute),
        Body(Body),
        Broken,
    }
    let member = body()
        .map(Member::Body)
        .or(attribute().map(Member::Attr))
        .recover_with(via_parser(
            skip_broken(is_member_start, false).to(Member::Broken),
        ));
    callable(Token::Op, member).map_with(|(name, params, outputs, members), e| {
            let mut attrs = Vec::new();
            let mut bodies = Vec::new();
            for member in members {
                match member {
                    Member::Attr(a) => attrs.push(a),
                    Member::Body(b) => bodies.push(b),
                    Member::Broken => {}
                }
            }
            Op {
                doc: None,
                name,
                params,
                outputs: outputs.unwrap_or_default(),
                attrs,
                bodies,
                span: span_of(e.span()),
            }
        })
}

fn statement<'t, 's: 't, I>() -> impl Parser<'t, I, Stmt, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    recursive(|stmt| {
        let block = stmt
            .repeated()
            .collect::<Vec<_>>()
            .delimited_by(just(Token::LBrace), just(Token::RBrace))
            .boxed();

        let callee = name()
            .then(just(Token::Dot).ignore_then(name()).or_not())
            .map_with(|(first, second), e| match second {
                Some(name) => Callee {
                    namespace: Some(first),
                    name,
                    span: span_of(e.span()),
                },
                None => Callee {
                    namespace: None,
                    name: first,
                    span: span_of(e.span()),
                },
            })
            .labelled("an op or pipeline name");
        let missing_value = empty().map_with(|_, e| Expr {
            kind: ExprKind::Error,
            span: span_of(e.span()),
        });
        let arg = name()
            .then_ignore(just(Token::Colon))
            .then(expr().recover_with(via_parser(missing_value)))
            .map_with(|(name, value), e| Arg {
                name,
                value,
                span: span_of(e.span()),
            });
        let after = just(Token::After).ignore_then(
            name()
                .separated_by(just(Token::Comma))
                .at_least(1)
                .collect::<Vec<_>>(),
        );
        let step = just(Token::Step)
            .ignore_then(name())
            .then_ignore(just(Token::Assign))
            .then(callee)
            .then(
                checked_parenthesized_list(arg)
                    .recover_with(via_parser(unclosed_arguments()))
                    .map_with(|args, e| (args, span_of(e.span()))),
            )
            .then(after.or_not())
            .map_with(
                |(((name, callee), ((args, args_broken), args_span)), after), e| {
                    Stmt::Step(Step {
                        doc: None,
                        name,
                        callee,
                        args,
                        args_broken,
                        args_span,
                        after: after.unwrap_or_default(),
                        span: span_of(e.span()),
                    })
                },
            );

        let for_ = just(Token::For)
            .ignore_then(name())
            .then(just(Token::Comma).ignore_then(name()).or_not())
            .then_ignore(just(Token::In))
            .then(expr())
            .then(block.clone())
            .map_with(|(((var, second), iter), body), e| {
                Stmt::For(For {
                    var,
                    second,
                    iter,
                    body,
                    span: span_of(e.span()),
                })
            });
        // A broken loop header keeps its variable and its block, so that the steps inside
        // (and the params they read) are still there; with no variable, it is a name
        // nobody can write.
        let broken_header = just(Token::For)
            .ignore_then(name().or_not())
            .then_ignore(
                any()
                    .filter(|t: &Token| {
                        !matches!(t, Token::LBrace | Token::RBrace) && !is_stmt_start(t)
                    })
                    .repeated(),
            )
            .map_with(|var, e| (var, span_of(e.span())))
            .then(block.clone())
            .map_with(|((var, header), body), e| {
                Stmt::For(For {
                    var: var.unwrap_or_else(|| Name {
                        text: SmolStr::default(),
                        span: Span::new(header.end as usize, header.end as usize),
                    }),
                    second: None,
                    iter: Expr {
                        kind: ExprKind::Error,
                        span: header,
                    },
                    body,
                    span: span_of(e.span()),
                })
            });
        let for_ = for_.recover_with(via_parser(broken_header));

        let if_ = recursive(|if_| {
            just(Token::If)
                .ignore_then(expr())
                .then(block.clone())
                .then(
                    just(Token::Else)
                        .ignore_then(block.clone().or(if_.map(|nested| vec![nested])))
                        .or_not(),
                )
                .map_with(|((cond, then_body), else_body), e| {
                    Stmt::If(If {
                        cond,
                        then_body,
                        else_body,
                        span: span_of(e.span()),
                    })
                })
        });

        let output = just(Token::Output)
            .ignore_then(name())
            .then_ignore(just(Token::Assign))
            .then(expr())
            .map_with(|(name, value), e| {
                Stmt::Output(OutputStmt {
                    doc: None,
                    name,
                    value,
                    span: span_of(e.span()),
                })
            });

        choice((step, for_, if_, output))
            .labelled("a statement (`step`, `for`, `if` or `output`)")
            .recover_with(via_parser(
                skip_broken(is_stmt_start, false).map(|s| Stmt::Error(span_of(s))),
            ))
            .boxed()
    })
}

fn pipeline<'t, 's: 't, I>() -> impl Parser<'t, I, Pipeline, Extra<'t, 's>> + Clone
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    enum Member {
        Attr(Attribute),
        Stmt(Stmt),
    }
    let member = attribute()
        .map(Member::Attr)
        .or(statement().map(Member::Stmt));
    callable(Token::Pipeline, member).map_with(|(name, params, outputs, members), e| {
            let mut attrs = Vec::new();
            let mut body = Vec::new();
            for member in members {
                match member {
                    Member::Attr(a) => attrs.push(a),
                    Member::Stmt(s) => body.push(s),
                }
            }
            Pipeline {
                doc: None,
                name,
                params,
                outputs,
                attrs,
                body,
                span: span_of(e.span()),
            }
        })
}

/// Statements on their own, for re-parsing the ones an edit touched (`reparse.rs`).
#[allow(dead_code)] // only the fast grammar re-parses
pub(crate) fn statements<'t, 's: 't, I>() -> impl Parser<'t, I, Vec<Stmt>, Extra<'t, 's>>
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    statement().repeated().collect::<Vec<_>>().then_ignore(end())
}

pub(crate) fn source_file<'t, 's: 't, I>() -> impl Parser<'t, I, SourceFile, Extra<'t, 's>>
where
    I: ValueInput<'t, Token = Token<'s>, Span = SimpleSpan>,
{
    let import = just(Token::Import)
        .ignore_then(string())
        .then(just(Token::As).ignore_then(name()).or_not())
        .map_with(|(path, alias), e| {
            Item::Import(Import {
                path,
                alias,
                span: span_of(e.span()),
            })
        });
    let artifact = just(Token::Artifact)
        .ignore_then(name())
        .then(just(Token::Colon).ignore_then(type_ref()).or_not())
        .map_with(|(name, base), e| {
            Item::Artifact(Artifact {
                doc: None,
                name,
                base,
                span: span_of(e.span()),
            })
        });
    let field = name()
        .then_ignore(just(Token::Colon))
        .then(type_ref())
        .then(just(Token::Assign).ignore_then(expr()).or_not())
        .map_with(|((name, ty), default), e| Param {
            doc: None,
            name,
            ty,
            default,
            span: span_of(e.span()),
        })
        .then_ignore(just(Token::Comma).or_not());
    let record = just(Token::Record)
        .ignore_then(name())
        .then(
            field
                .repeated()
                .collect::<Vec<_>>()
                .delimited_by(just(Token::LBrace), just(Token::RBrace)),
        )
        .map_with(|(name, fields), e| {
            Item::Record(Record {
                doc: None,
                name,
                fields,
                span: span_of(e.span()),
            })
        });
    let item = choice((
        import,
        artifact,
        record,
        op().map(Item::Op),
        pipeline().map(Item::Pipeline),
    ))
    .labelled("`import`, `op`, `artifact`, `record` or `pipeline`")
    .recover_with(via_parser(
        skip_broken(is_item_start, true).map(|s| Item::Error(span_of(s))),
    ));
    item.repeated()
        .collect::<Vec<_>>()
        .then_ignore(end())
        .map(|items| SourceFile { items })
}
