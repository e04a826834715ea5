//! Whether two trees are the same program: equal once every span is ignored and every
//! inline body is read de-indented (what a body means: `body::dedent`).
//!
//! Every struct is destructured in full, without `..`, so that a field added to the tree
//! fails to compile here until it is compared. Nothing is cloned: the comparison walks both
//! trees side by side (it runs on every file formatted).

use mlforge_syntax::ast::*;
use mlforge_syntax::body::dedent;

/// Whether `a` and `b` mean the same program (spans and body indentation aside).
pub fn same_program(a: &SourceFile, b: &SourceFile) -> bool {
    let SourceFile { items: a } = a;
    let SourceFile { items: b } = b;
    all(a, b, same_item)
}

fn all<T>(a: &[T], b: &[T], same: impl Fn(&T, &T) -> bool) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
}

fn opt<T>(a: &Option<T>, b: &Option<T>, same: impl Fn(&T, &T) -> bool) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => same(x, y),
        (None, None) => true,
        _ => false,
    }
}

fn name(a: &Name, b: &Name) -> bool {
    let Name { text: a, span: _ } = a;
    let Name { text: b, span: _ } = b;
    a == b
}

fn str_lit(a: &StrLit, b: &StrLit) -> bool {
    let StrLit { value: a, span: _ } = a;
    let StrLit { value: b, span: _ } = b;
    a == b
}

/// Whether two items are the same (spans and body indentation aside).
pub fn same_item(a: &Item, b: &Item) -> bool {
    match (a, b) {
        (
            Item::Import(Import {
                path: p1,
                alias: a1,
                span: _,
            }),
            Item::Import(Import {
                path: p2,
                alias: a2,
                span: _,
            }),
        ) => str_lit(p1, p2) && opt(a1, a2, name),
        (
            Item::Artifact(Artifact {
                doc: d1,
                name: n1,
                base: b1,
                span: _,
            }),
            Item::Artifact(Artifact {
                doc: d2,
                name: n2,
                base: b2,
                span: _,
            }),
        ) => d1 == d2 && name(n1, n2) && opt(b1, b2, ty),
        (
            Item::Op(Op {
                doc: d1,
                name: n1,
                params: p1,
                outputs: o1,
                attrs: a1,
                bodies: b1,
                span: _,
            }),
            Item::Op(Op {
                doc: d2,
                name: n2,
                params: p2,
                outputs: o2,
                attrs: a2,
                bodies: b2,
                span: _,
            }),
        ) => {
            d1 == d2
                && name(n1, n2)
                && all(p1, p2, param)
                && all(o1, o2, output_decl)
                && all(a1, a2, attribute)
                && all(b1, b2, body)
        }
        (
            Item::Pipeline(Pipeline {
                doc: d1,
                name: n1,
                params: p1,
                outputs: o1,
                attrs: a1,
                body: b1,
                span: _,
            }),
            Item::Pipeline(Pipeline {
                doc: d2,
                name: n2,
                params: p2,
                outputs: o2,
                attrs: a2,
                body: b2,
                span: _,
            }),
        ) => {
            d1 == d2
                && name(n1, n2)
                && all(p1, p2, param)
                && opt(o1, o2, |x, y| all(x, y, output_decl))
                && all(a1, a2, attribute)
                && all(b1, b2, stmt)
        }
        (
            Item::Record(Record {
                doc: d1,
                name: n1,
                fields: f1,
                span: _,
            }),
            Item::Record(Record {
                doc: d2,
                name: n2,
                fields: f2,
                span: _,
            }),
        ) => d1 == d2 && name(n1, n2) && all(f1, f2, param),
        (Item::Error(_), Item::Error(_)) => true,
        _ => false,
    }
}

fn param(a: &Param, b: &Param) -> bool {
    let Param {
        doc: d1,
        name: n1,
        ty: t1,
        default: v1,
        span: _,
    } = a;
    let Param {
        doc: d2,
        name: n2,
        ty: t2,
        default: v2,
        span: _,
    } = b;
    d1 == d2 && name(n1, n2) && ty(t1, t2) && opt(v1, v2, expr)
}

fn output_decl(a: &OutputDecl, b: &OutputDecl) -> bool {
    let OutputDecl {
        doc: d1,
        name: n1,
        ty: t1,
        span: _,
    } = a;
    let OutputDecl {
        doc: d2,
        name: n2,
        ty: t2,
        span: _,
    } = b;
    d1 == d2 && name(n1, n2) && ty(t1, t2)
}

fn ty(a: &TypeRef, b: &TypeRef) -> bool {
    match (a, b) {
        (
            TypeRef::Named {
                namespace: s1,
                name: n1,
                span: _,
            },
            TypeRef::Named {
                namespace: s2,
                name: n2,
                span: _,
            },
        ) => opt(s1, s2, name) && name(n1, n2),
        (TypeRef::List { elem: e1, span: _ }, TypeRef::List { elem: e2, span: _ }) => ty(e1, e2),
        (TypeRef::Dict { value: v1, span: _ }, TypeRef::Dict { value: v2, span: _ }) => ty(v1, v2),
        (TypeRef::Optional { inner: i1, span: _ }, TypeRef::Optional { inner: i2, span: _ }) => {
            ty(i1, i2)
        }
        (TypeRef::Error(_), TypeRef::Error(_)) => true,
        _ => false,
    }
}

fn attribute(a: &Attribute, b: &Attribute) -> bool {
    let Attribute {
        name: n1,
        value: v1,
        span: _,
    } = a;
    let Attribute {
        name: n2,
        value: v2,
        span: _,
    } = b;
    name(n1, n2)
        && match (v1, v2) {
            (AttrValue::Expr(x), AttrValue::Expr(y)) => expr(x, y),
            (AttrValue::Block(x), AttrValue::Block(y)) => all(x, y, attribute),
            (AttrValue::Secret(x), AttrValue::Secret(y)) => str_lit(&x.name, &y.name),
            _ => false,
        }
}

fn body(a: &Body, b: &Body) -> bool {
    let Body {
        lang: l1,
        function: f1,
        source: s1,
        span: _,
    } = a;
    let Body {
        lang: l2,
        function: f2,
        source: s2,
        span: _,
    } = b;
    l1 == l2
        && f1 == f2
        && match (s1, s2) {
            (
                BodySource::Inline {
                    text: t1,
                    text_span: _,
                },
                BodySource::Inline {
                    text: t2,
                    text_span: _,
                },
            ) => t1 == t2 || dedent(t1) == dedent(t2),
            (BodySource::File(p1), BodySource::File(p2)) => str_lit(p1, p2),
            _ => false,
        }
}

fn stmt(a: &Stmt, b: &Stmt) -> bool {
    match (a, b) {
        (Stmt::Step(a), Stmt::Step(b)) => step(a, b),
        (
            Stmt::For(For {
                var: v1,
                second: s1,
                iter: i1,
                body: b1,
                span: _,
            }),
            Stmt::For(For {
                var: v2,
                second: s2,
                iter: i2,
                body: b2,
                span: _,
            }),
        ) => name(v1, v2) && opt(s1, s2, name) && expr(i1, i2) && all(b1, b2, stmt),
        (
            Stmt::If(If {
                cond: c1,
                then_body: t1,
                else_body: e1,
                span: _,
            }),
            Stmt::If(If {
                cond: c2,
                then_body: t2,
                else_body: e2,
                span: _,
            }),
        ) => expr(c1, c2) && all(t1, t2, stmt) && opt(e1, e2, |x, y| all(x, y, stmt)),
        (
            Stmt::Output(OutputStmt {
                doc: d1,
                name: n1,
                value: v1,
                span: _,
            }),
            Stmt::Output(OutputStmt {
                doc: d2,
                name: n2,
                value: v2,
                span: _,
            }),
        ) => d1 == d2 && name(n1, n2) && expr(v1, v2),
        (Stmt::Error(_), Stmt::Error(_)) => true,
        _ => false,
    }
}

fn step(a: &Step, b: &Step) -> bool {
    let Step {
        doc: d1,
        name: n1,
        callee: c1,
        args: a1,
        args_broken: k1,
        args_span: _,
        after: f1,
        span: _,
    } = a;
    let Step {
        doc: d2,
        name: n2,
        callee: c2,
        args: a2,
        args_broken: k2,
        args_span: _,
        after: f2,
        span: _,
    } = b;
    let Callee {
        namespace: s1,
        name: cn1,
        span: _,
    } = c1;
    let Callee {
        namespace: s2,
        name: cn2,
        span: _,
    } = c2;
    d1 == d2
        && name(n1, n2)
        && opt(s1, s2, name)
        && name(cn1, cn2)
        && all(a1, a2, arg)
        && k1 == k2
        && all(f1, f2, name)
}

fn arg(a: &Arg, b: &Arg) -> bool {
    let Arg {
        name: n1,
        value: v1,
        span: _,
    } = a;
    let Arg {
        name: n2,
        value: v2,
        span: _,
    } = b;
    name(n1, n2) && expr(v1, v2)
}

fn expr(a: &Expr, b: &Expr) -> bool {
    let Expr { kind: k1, span: _ } = a;
    let Expr { kind: k2, span: _ } = b;
    match (k1, k2) {
        (ExprKind::Int(x), ExprKind::Int(y)) => x == y,
        (ExprKind::Float(x), ExprKind::Float(y)) => x == y,
        (ExprKind::Str(x), ExprKind::Str(y)) => x == y,
        (ExprKind::Bool(x), ExprKind::Bool(y)) => x == y,
        (ExprKind::Duration(x), ExprKind::Duration(y)) => x == y,
        (ExprKind::List(x), ExprKind::List(y)) => all(x, y, expr),
        (ExprKind::Name(x), ExprKind::Name(y)) => name(x, y),
        (ExprKind::Record(x), ExprKind::Record(y)) => all(x, y, arg),
        (ExprKind::Dict(x), ExprKind::Dict(y)) => all(x, y, |a, b| {
            str_lit(&a.key, &b.key) && expr(&a.value, &b.value)
        }),
        (
            ExprKind::Member {
                base: b1,
                field: f1,
            },
            ExprKind::Member {
                base: b2,
                field: f2,
            },
        ) => expr(b1, b2) && name(f1, f2),
        (
            ExprKind::Index {
                base: b1,
                index: i1,
            },
            ExprKind::Index {
                base: b2,
                index: i2,
            },
        ) => expr(b1, b2) && expr(i1, i2),
        (ExprKind::Call { func: f1, args: a1 }, ExprKind::Call { func: f2, args: a2 }) => {
            name(f1, f2) && all(a1, a2, expr)
        }
        (
            ExprKind::Field {
                base: b1,
                field: f1,
            },
            ExprKind::Field {
                base: b2,
                field: f2,
            },
        ) => name(b1, b2) && name(f1, f2),
        (
            ExprKind::Unary {
                op: o1,
                operand: x1,
            },
            ExprKind::Unary {
                op: o2,
                operand: x2,
            },
        ) => o1 == o2 && expr(x1, x2),
        (
            ExprKind::Binary {
                op: o1,
                lhs: l1,
                rhs: r1,
            },
            ExprKind::Binary {
                op: o2,
                lhs: l2,
                rhs: r2,
            },
        ) => o1 == o2 && expr(l1, l2) && expr(r1, r2),
        (ExprKind::Error, ExprKind::Error) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(text: &str) -> SourceFile {
        let parse = mlforge_syntax::parse(text);
        assert!(parse.errors.is_empty(), "{:?}", parse.errors);
        parse.file
    }

    #[test]
    fn layout_does_not_count() {
        assert!(same_program(
            &program("pipeline p(a: int = 1) { step s = f(x: a + 1) }"),
            &program("pipeline   p(\n  a: int = 1,\n) {\n  step s =\n    f(x: (a) + 1,)\n}\n"),
        ));
        assert!(same_program(
            &program("op f() { python \"\"\"\n    a\n      b\n  \"\"\" }"),
            &program("op f() {\n  python \"\"\"\n  a\n    b\n\"\"\"\n}"),
        ));
    }

    #[test]
    fn meaning_does() {
        let base = program("pipeline p() { output x = (1 + 2) * 3 }");
        for other in [
            "pipeline p() { output x = 1 + 2 * 3 }",
            "pipeline p() { output x = (1 + 2) * 4 }",
            "pipeline p() { output x = (1 + 2) / 3 }",
            "pipeline p() { output x = (1 + 2.0) * 3 }",
            "pipeline q() { output x = (1 + 2) * 3 }",
            "pipeline p() { output y = (1 + 2) * 3 }",
            "/// doc\npipeline p() { output x = (1 + 2) * 3 }",
            "pipeline p() -> () { output x = (1 + 2) * 3 }",
            "pipeline p(a: int) { output x = (1 + 2) * 3 }",
            "pipeline p() { retries = 1 output x = (1 + 2) * 3 }",
            "pipeline p() { output x = (1 + 2) * 3 output x = (1 + 2) * 3 }",
            "pipeline p() { output x = (1 + 2) * 3 } pipeline p() {}",
        ] {
            assert!(!same_program(&base, &program(other)), "{other}");
        }
        assert!(!same_program(
            &program("op f() { python \"\"\"\n  a\n    b\n\"\"\" }"),
            &program("op f() { python \"\"\"\n  a\n  b\n\"\"\" }"),
        ));
        assert!(!same_program(
            &program("op f() { python \"\"\"\n  a\n\"\"\" }"),
            &program("op f() { shell \"\"\"\n  a\n\"\"\" }"),
        ));
        assert!(!same_program(
            &program("pipeline p() { step s = f(x: 1) after a }"),
            &program("pipeline p() { step s = f(x: 1) after b }"),
        ));
    }
}
