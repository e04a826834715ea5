//! Records and dicts in the editor: field names inside record literals, dict keys after
//! `d[`, signature help inside a literal, and the hints on literals typed from context.

use expect_test::expect;

use crate::support::check;

const DECLS: &str = r#"
/// How to split a table.
record Split {
  /// The share held out.
  test_size: float = 0.2,
  features: list<string> = ["engines", "crew"],
  seed: int?,
  rows: int,
}
record Opts {
  split: Split,
  weights: dict<float> = {"scale": 1.0, "shift": 0.0},
}
op split(rows: int, opts: Split, many: list<Split> = [], w: dict<float> = {}) -> (held_out: int) {
  python def """
    return 1
  """
}
op use(x: float) {
  shell """
    echo ${x}
  """
}
"#;

fn program(feature: &str, pipeline: &str) -> String {
    format!("@{feature}\n{DECLS}{pipeline}")
}

#[test]
fn record_literal_fields_in_an_argument() {
    check(
        &program(
            "completion",
            "pipeline p() {\n  step s = split(rows: 1, opts: {rows: 3, $0})\n}\n",
        ),
        expect![[r#"
            replace ""
            Field features — features: list<string> = ["engines", "crew"] ⇒ snippet features: $0
            Field seed — seed: int? ⇒ snippet seed: $0
            Field test_size — test_size: float = 0.2 ⇒ snippet test_size: $0
            Field rows — rows: int  (already given) ⇒ snippet rows: $0
        "#]],
    );
}

#[test]
fn record_literal_fields_in_a_list_a_default_and_a_nested_literal() {
    for pipeline in [
        "pipeline p() {\n  step s = split(rows: 1, opts: {rows: 1}, many: [{rows: 1}, {te$0}])\n}\n",
        "pipeline p(o: Split = {te$0}) {\n}\n",
        "pipeline p(o: Opts = {split: {te$0}}) {\n}\n",
        "pipeline p() -> (o: Split?) {\n  output o = {te$0}\n}\n",
    ] {
        check(
            &program("completion", pipeline),
            expect![[r#"
                replace "te"
                Field features — features: list<string> = ["engines", "crew"] ⇒ snippet features: $0
                Field rows — rows: int ⇒ snippet rows: $0
                Field seed — seed: int? ⇒ snippet seed: $0
                Field test_size — test_size: float = 0.2 ⇒ snippet test_size: $0
            "#]],
        );
    }
}

#[test]
fn a_literal_field_value_is_an_expression() {
    check(
        &program(
            "completion",
            "pipeline p(n: int) {\n  step s = split(rows: 1, opts: {rows: $0})\n}\n",
        ),
        expect![[r#"
            replace ""
            Param n — n: int
            Keyword false
            Keyword not
            Keyword true
        "#]],
    );
}

#[test]
fn dict_keys_after_an_open_bracket() {
    check(
        &program(
            "completion-plain",
            "pipeline p(w: dict<float> = {\"low\": 0.1, \"high\": 1.0}) {\n  step u = use(x: w[$0])\n}\n",
        ),
        expect![[r#"
            replace ""
            Key "high" — 1.0
            Key "low" — 0.1
            Param w — w: dict<float> = {"low": 0.1, "high": 1.0}
            Keyword false
            Keyword not
            Keyword true
        "#]],
    );
}

#[test]
fn dict_keys_inside_the_string() {
    // From the param's default and from a step of this file calling the pipeline; a
    // record's dict field from the record's default.
    check(
        &program(
            "completion",
            "pipeline p(w: dict<float> = {\"low\": 0.1}) {\n  step u = use(x: w[\"l$0\"])\n}\n\
             pipeline q() {\n  step a = p(w: {\"mid\": 0.5, \"a\\\"b\": 2.0})\n}\n",
        ),
        expect![[r#"
            replace "l"
            Key a"b — 2.0 ⇒ text a\"b
            Key low — 0.1
            Key mid — 0.5
        "#]],
    );
    check(
        &program(
            "completion",
            "pipeline p(o: Opts = {split: {rows: 1}}) {\n  step u = use(x: o.weights[\"$0\"])\n}\n",
        ),
        expect![[r#"
            replace ""
            Key scale — 1.0
            Key shift — 0.0
        "#]],
    );
}

#[test]
fn no_keys_where_none_are_known() {
    // A list, and a dict param without a default or callers.
    for pipeline in [
        "pipeline p(w: dict<float>) {\n  step u = use(x: w[\"$0\"])\n}\n",
        "pipeline p(xs: list<float> = [1.0]) {\n  step u = use(x: xs[\"$0\"])\n}\n",
    ] {
        check(&program("completion", pipeline), expect![[r#""#]]);
    }
}

#[test]
fn signature_help_inside_a_record_literal() {
    check(
        &program(
            "signature",
            "pipeline p() {\n  step s = split(rows: 1, opts: {rows: 3, test_size: 0$0})\n}\n",
        ),
        expect![[r#"
            Split { test_size: float = 0.2, features: list<string> = ["engines", "crew"], seed: int?, rows: int }
              test_size: "test_size: float = 0.2" (active)
              features: "features: list<string> = [\"engines\", \"crew\"]"
              seed: "seed: int?"
              rows: "rows: int"
            doc: How to split a table.
        "#]],
    );
    // A record-typed field shows its record's fields beside it.
    check(
        &program(
            "signature",
            "pipeline p(o: Opts = {split: {rows: 1}, $0}) {\n}\n",
        ),
        expect![[r#"
            Opts { split: Split, weights: dict<float> = {"scale": 1.0, "shift": 0.0} }
              split: "split: Split"
                = Split { test_size: float = 0.2, features: list<string> = ["engines", "crew"], seed: int?, rows: int }
              weights: "weights: dict<float> = {\"scale\": 1.0, \"shift\": 0.0}"
        "#]],
    );
    // Nested: the inner literal's record.
    check(
        &program("signature", "pipeline p(o: Opts = {split: {$0}}) {\n}\n"),
        expect![[r#"
            Split { test_size: float = 0.2, features: list<string> = ["engines", "crew"], seed: int?, rows: int }
              test_size: "test_size: float = 0.2"
              features: "features: list<string> = [\"engines\", \"crew\"]"
              seed: "seed: int?"
              rows: "rows: int"
            doc: How to split a table.
        "#]],
    );
}

#[test]
fn signature_help_of_the_call_around_a_record_literal() {
    // After the literal: the op's, with the argument being typed active.
    check(
        &program(
            "signature",
            "pipeline p() {\n  step s = split(opts: {rows: 3, seed: 1}, rows: $0)\n}\n",
        ),
        expect![[r#"
            split(rows: int, opts: Split, many: list<Split> = [], w: dict<float> = {}) -> (held_out: int)
              rows: "rows: int" (active)
              opts: "opts: Split"
                = Split { test_size: float = 0.2, features: list<string> = ["engines", "crew"], seed: int?, rows: int }
              many: "many: list<Split> = []"
                = Split { test_size: float = 0.2, features: list<string> = ["engines", "crew"], seed: int?, rows: int }
              w: "w: dict<float> = {}"
        "#]],
    );
    // Inside a dict literal there is no record to show: the op's.
    check(
        &program(
            "signature",
            "pipeline p() {\n  step s = split(w: {\"a\": 1.0, $0})\n}\n",
        ),
        expect![[r#"
            split(rows: int, opts: Split, many: list<Split> = [], w: dict<float> = {}) -> (held_out: int)
              rows: "rows: int"
              opts: "opts: Split"
                = Split { test_size: float = 0.2, features: list<string> = ["engines", "crew"], seed: int?, rows: int }
              many: "many: list<Split> = []"
                = Split { test_size: float = 0.2, features: list<string> = ["engines", "crew"], seed: int?, rows: int }
              w: "w: dict<float> = {}" (active)
        "#]],
    );
}

#[test]
fn inlay_hints_name_the_record_and_the_defaults_left_out() {
    check(
        &program(
            "inlay",
            "pipeline p(o: Opts = {split: {rows: 1}}, w: dict<Split> = {\"a\": {rows: 2, seed: 3}}) -> (s: Split) {\n  \
             step s = split(rows: 1, opts: {rows: 3, test_size: 0.5}, many: [{rows: 1, test_size: 0.1, features: []}])\n  \
             output s = {rows: 4}\n}\n",
        ),
        expect![[r#"
            24| pipeline p(o: Opts = {split: ⟪Split⟫{rows: 1⟪, test_size: 0.2, features: […]⟫}⟪, weights: {…}⟫}, w: dict<Split> = {"a": ⟪Split⟫{rows: 2, seed: 3⟪, test_size: 0.2, features: […]⟫}}) -> (s: Split) {
            25|   step s⟪: (held_out: int)⟫ = split(rows: 1, opts: ⟪Split⟫{rows: 3, test_size: 0.5⟪, features: […]⟫}, many: [⟪Split⟫{rows: 1, test_size: 0.1, features: []}])
            26|   output s = ⟪Split⟫{rows: 4⟪, test_size: 0.2, features: […]⟫}
        "#]],
    );
}

#[test]
fn inlay_hints_keep_long_defaults_short_and_skip_untyped_literals() {
    // A literal where no record is expected gets no hint (the checker reports it).
    check(
        "@inlay\nrecord Big {\n  a: int = 1,\n  b: list<string> = [\"one\", \"two\", \"three\"],\n  c: int = 3,\n  d: int = 4,\n}\n\
             op f(big: Big, n: int) -> (x: int) {\n  python def \"\"\"\n    return 1\n  \"\"\"\n}\n\
             pipeline p() {\n  step s = f(big: {}, n: {a: 1})\n}\n",
        expect![[r#"
            13|   step s⟪: (x: int)⟫ = f(big: ⟪Big⟫{⟪a: 1, b: […], c: 3, …⟫}, n: {a: 1})
        "#]],
    );
}

/// Brackets nested far deeper than any program are read without recursing through each.
#[test]
fn deep_literals_answer_without_overflow() {
    let deep = format!(
        "{DECLS}pipeline p() {{\n  step s = split(many: {}{{",
        "[".repeat(20_000)
    );
    let f = crate::support::load(&format!("{deep}$0"));
    let db: &dyn mlforge_ide::Db = &f.db;
    let config = mlforge_ide::CompletionConfig::default();
    assert!(mlforge_ide::completions(db, f.file, f.offset, &config).is_empty());
    assert!(mlforge_ide::signature_help(db, f.file, f.offset).is_some());
}

#[test]
fn hover_on_a_field_of_a_record_literal() {
    check(
        &program(
            "hover",
            "pipeline p() {\n  step s = split(rows: 1, opts: {rows: 3, test_s$0ize: 0.5})\n}\n",
        ),
        expect![[r#"
            "test_size"
            ```mlf
            test_size: float = 0.2  // field of Split
            ```

            ---

            The share held out.
        "#]],
    );
}

#[test]
fn dict_keys_of_a_loop_variable() {
    // The elements of the list the loop walks: a param's default, or a literal in the header;
    // `for ws in ws` reads the param it shadows.
    check(
        &program(
            "completion",
            "pipeline p(ws: list<list<dict<float>>> = [[{\"a\": 1.0}], [{\"b\": 2.0}]]) {\n  for ws in ws {\n    for w in ws {\n      step u = use(x: w[\"$0\"])\n    }\n  }\n}\n",
        ),
        expect![[r#"
            replace ""
            Key a — 1.0
            Key b — 2.0
        "#]],
    );
    check(
        &program(
            "completion",
            "pipeline p() {\n  for w in [{\"c\": 1.0}] {\n    step u = use(x: w[\"$0\"])\n  }\n}\n",
        ),
        expect![[r#"
            replace ""
            Key c — 1.0
        "#]],
    );
}

#[test]
fn argument_names_after_a_record_literal() {
    // `rows` inside the literal is the record's field, not an argument already given.
    check(
        &program(
            "completion-plain",
            "pipeline p() {\n  step s = split(opts: {seed: 1, rows: 3}, $0)\n}\n",
        ),
        expect![[r#"
            replace ""
            Argument rows — rows: int  (required) ⇒ text rows: 
            Argument many — many: list<Split> = [] ⇒ text many: 
            Argument w — w: dict<float> = {} ⇒ text w: 
            Argument opts — opts: Split  (required)  (already given) ⇒ text opts: 
        "#]],
    );
}
