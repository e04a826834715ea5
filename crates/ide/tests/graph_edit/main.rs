//! Graph edits, one fixture each: the text before (here), the edit, and the text after
//! (the snapshot).

mod properties;
mod support;

use insta::assert_snapshot;
use mlforge_ide::{ArgValue, GraphEdit};
use support::run;

/// Ops, and a pipeline with comments at every place around its statements.
const OPS: &str = r#"op make(rows: int = 10) -> (table: Dataset) {
  shell """
    seq ${rows} > ${table}
  """
}

op fit(data: Dataset, lr: float, epochs: int = 5) -> (model: Model) {
  shell """
    cp ${data} ${model} ${lr} ${epochs}
  """
}

op score(model: Model, data: Dataset) -> (mse: float) {
  shell """
    echo ${model} ${data} > ${mse}
  """
}

op pick(models: list<Model>, errors: list<float>) -> (model: Model, mse: float) {
  shell """
    cp ${models} ${model} ${errors} ${mse}
  """
}

op publish(model: Model, name: string, ratio: float = 0.5, tags: list<string> = []) -> (bundle: Dir) {
  shell """
    cp ${model} ${bundle} ${name} ${ratio} ${tags}
  """
}
"#;

const PIPELINE: &str = r#"
// before the pipeline
pipeline p(rates: list<float> = [0.1, 0.2], max: float = 1.0) {
  // leading comment of data
  step data = make(rows: 3)  // trailing comment of data
  /* block before the for */
  for lr in rates {  // after the for's brace
    // inside the for
    step fitted = fit(data: data.table, /* lr here */ lr: lr)
    step check = score(model: fitted.model, data: data.table)  // check trailing
    // dangling in the for
  }

  step best = pick(
    models: fitted.model,  // the models
    errors: check.mse,
  )
  step extra = score(model: best.model)
  if best.mse <= max {
    // before release
    step release = publish(model: best.model, name: "x")
  }
  // dangling at the end
}
// after the pipeline
"#;

fn main_file() -> String {
    format!("{OPS}{PIPELINE}")
}

fn edit(edit: GraphEdit) -> String {
    let text = main_file();
    run(&[("/main.mlf", &text)], "p", edit)
}

fn add(op: &str, block: Option<&str>, index: Option<usize>) -> GraphEdit {
    GraphEdit::AddStep {
        op: op.into(),
        name: None,
        block: block.map(Into::into),
        index,
        import: None,
    }
}

fn connect(from: &str, output: &str, to: &str, input: &str) -> GraphEdit {
    GraphEdit::Connect {
        from: from.into(),
        output: output.into(),
        to: to.into(),
        input: input.into(),
    }
}

fn set(step: &str, input: &str, value: Option<ArgValue>) -> GraphEdit {
    GraphEdit::SetArg {
        step: step.into(),
        input: input.into(),
        value,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ---- addStep ----

#[test]
fn add_step_after_the_last_step_or_block() {
    assert_snapshot!(edit(add("make", None, None)));
}

#[test]
fn add_step_at_the_top_of_a_for_goes_above_its_comments() {
    assert_snapshot!(edit(add("score", Some("for#1"), Some(0))));
}

#[test]
fn add_step_inside_an_if() {
    assert_snapshot!(edit(add("publish", Some("if#1"), None)));
}

#[test]
fn add_step_with_a_name_and_position() {
    assert_snapshot!(edit(GraphEdit::AddStep {
        op: "fit".into(),
        name: Some("tune".into()),
        block: None,
        index: Some(1),
        import: None,
    }));
}

#[test]
fn add_step_to_an_empty_pipeline() {
    let text = format!("{OPS}\npipeline q() {{}}\n");
    assert_snapshot!(run(&[("/main.mlf", &text)], "q", add("make", None, None)));
    let text = format!("{OPS}\npipeline q() {{\n  // nothing yet\n}}\n");
    assert_snapshot!(
        "add_step_to_a_pipeline_with_only_a_comment",
        run(&[("/main.mlf", &text)], "q", add("make", None, None))
    );
}

#[test]
fn add_step_from_a_file_not_imported_yet() {
    let main = format!("// the main file\n{PIPELINE}");
    let main = main.replace("pipeline p(", &format!("{OPS}\npipeline p("));
    let lib = "/// Cleans a table.\nop clean(data: Dataset) -> (table: Dataset) {\n  shell \"\"\"\n    cp ${data} ${table}\n  \"\"\"\n}\n";
    assert_snapshot!(run(
        &[("/main.mlf", &main), ("/lib/clean-up.mlf", lib)],
        "p",
        GraphEdit::AddStep {
            op: "clean_up.clean".into(),
            name: None,
            block: None,
            index: None,
            import: Some("lib/clean-up.mlf".into()),
        }
    ));
}

#[test]
fn add_step_calling_a_std_op_adds_its_import() {
    // The op catalog names a std op `io.NAME` with the import `std/io`.
    let op = mlforge_stdlib::module("io")
        .unwrap()
        .source
        .lines()
        .find_map(|l| l.strip_prefix("op "))
        .and_then(|l| l.split('(').next())
        .expect("an op in std/io")
        .trim()
        .to_string();
    let main = "// the main file\npipeline p() {}\n";
    let add_std = |import: &str| GraphEdit::AddStep {
        op: format!("io.{op}"),
        name: Some("s".into()),
        block: None,
        index: None,
        import: Some(import.into()),
    };
    let out = run(&[("/main.mlf", main)], "p", add_std("std/io"));
    assert!(
        out.contains("--- /main.mlf\n// the main file\nimport \"std/io\"\n"),
        "{out}"
    );
    assert!(out.contains(&format!("step s = io.{op}(")), "{out}");
    // `std/io.mlf` names the same module; once imported, no second import.
    let again = run(&[("/main.mlf", main)], "p", add_std("std/io.mlf"));
    assert!(again.contains("import \"std/io.mlf\""), "{again}");
    let imported = "import \"std/io\" as files\npipeline p() {}\n";
    let out = run(&[("/main.mlf", imported)], "p", add_std("std/io"));
    assert!(out.contains(&format!("step s = files.{op}(")), "{out}");
    assert_eq!(out.matches("import ").count(), 1, "{out}");
    // No such module: refused before any edit.
    let out = run(&[("/main.mlf", main)], "p", add_std("std/nope"));
    assert!(
        out.contains("refused (NotFound): the op library has no module `std/nope`"),
        "{out}"
    );
}

#[test]
fn add_step_refusals() {
    let taken = GraphEdit::AddStep {
        op: "make".into(),
        name: Some("data".into()),
        block: None,
        index: None,
        import: None,
    };
    assert_snapshot!([
        edit(taken),
        edit(add("nothing", None, None)),
        edit(add("make", Some("for#9"), None)),
        edit(add("make", None, Some(99))),
    ]
    .join("\n"));
}

// ---- connect, disconnect ----

#[test]
fn connect_adds_the_argument_in_signature_order() {
    assert_snapshot!(edit(connect("data", "table", "extra", "data")));
}

#[test]
fn connect_replaces_an_argument_keeping_comments_in_the_old_value() {
    let text = main_file().replace(
        "step check = score(model: fitted.model, data: data.table)",
        "step check = score(model: fitted.model, data: /* was */ data.table)",
    );
    let text = text.replace(
        "trailing comment of data\n",
        "trailing comment of data\n  step other = make()\n",
    );
    assert_snapshot!(run(
        &[("/main.mlf", &text)],
        "p",
        connect("other", "table", "check", "data")
    ));
}

#[test]
fn connect_with_the_wrong_type_is_refused_with_the_checkers_message() {
    assert_snapshot!([
        edit(connect("fitted", "model", "release", "model")),
        edit(connect("data", "table", "release", "name")),
        edit(connect("data", "nothing", "extra", "data")),
        edit(connect("data", "table", "extra", "nothing")),
        edit(connect("release", "bundle", "data", "rows")),
    ]
    .join("\n"));
}

#[test]
fn connect_refuses_a_cycle() {
    assert_snapshot!(edit(connect("extra", "mse", "best", "errors")));
}

#[test]
fn disconnect_keeps_the_comments_of_the_removed_argument() {
    assert_snapshot!(edit(GraphEdit::Disconnect {
        step: "fitted".into(),
        input: "lr".into()
    }));
    assert_snapshot!(
        "disconnect_an_argument_of_a_call_over_lines",
        edit(GraphEdit::Disconnect {
            step: "best".into(),
            input: "models".into()
        })
    );
    assert_snapshot!(
        "disconnect_the_only_argument",
        edit(GraphEdit::Disconnect {
            step: "extra".into(),
            input: "model".into()
        })
    );
}

// ---- setArg ----

#[test]
fn set_arg_writes_typed_literals() {
    assert_snapshot!(edit(set("data", "rows", Some(ArgValue::Int(7)))));
    assert_snapshot!(
        "set_arg_adds_a_float_and_a_list",
        [
            edit(set("release", "ratio", Some(ArgValue::Float(0.75)))),
            edit(set(
                "release",
                "tags",
                Some(ArgValue::List(vec![
                    ArgValue::Str("a".into()),
                    ArgValue::Str("b \"c\"".into())
                ]))
            )),
            edit(set("fitted", "lr", Some(ArgValue::Int(1)))),
        ]
        .join("\n")
    );
}

#[test]
fn set_arg_clears_and_refuses_the_wrong_type() {
    assert_snapshot!([
        edit(set("data", "rows", None)),
        edit(set("data", "rows", Some(ArgValue::Str("many".into())))),
        edit(set("release", "ratio", Some(ArgValue::Bool(true)))),
        edit(set(
            "release",
            "tags",
            Some(ArgValue::List(vec![ArgValue::Int(1)]))
        )),
        edit(set(
            "release",
            "ratio",
            Some(ArgValue::Duration("10m".into()))
        )),
    ]
    .join("\n"));
}

// ---- deleteStep, addAfter ----

#[test]
fn delete_step_keeps_the_comments_around_it() {
    assert_snapshot!(edit(GraphEdit::DeleteStep {
        step: "release".into(),
        cascade: false
    }));
}

#[test]
fn delete_step_with_dependants_is_refused_then_cascades() {
    assert_snapshot!([
        edit(GraphEdit::DeleteStep {
            step: "fitted".into(),
            cascade: false
        }),
        edit(GraphEdit::DeleteStep {
            step: "fitted".into(),
            cascade: true
        }),
    ]
    .join("\n"));
}

#[test]
fn add_after_and_its_cycle() {
    assert_snapshot!([
        edit(GraphEdit::AddAfter {
            step: "extra".into(),
            after: "data".into()
        }),
        edit(GraphEdit::AddAfter {
            step: "data".into(),
            after: "release".into()
        }),
    ]
    .join("\n"));
    let text = main_file().replace(
        "score(model: best.model)",
        "score(model: best.model) after data",
    );
    assert_snapshot!(
        "add_after_to_an_after_list",
        run(
            &[("/main.mlf", &text)],
            "p",
            GraphEdit::AddAfter {
                step: "extra".into(),
                after: "fitted".into()
            }
        )
    );
}

// ---- wrapFor, wrapIf, unwrap ----

#[test]
fn wrap_for_contiguous_steps() {
    assert_snapshot!(edit(GraphEdit::WrapFor {
        steps: strings(&["best", "extra"]),
        var: "k".into(),
        over: "[1, 2]".into()
    }));
}

#[test]
fn wrap_if_steps_that_are_not_next_to_each_other() {
    assert_snapshot!(edit(GraphEdit::WrapIf {
        steps: strings(&["data", "extra"]),
        condition: "max > 0.5".into()
    }));
}

#[test]
fn wrap_refusals() {
    assert_snapshot!([
        edit(GraphEdit::WrapFor {
            steps: strings(&["data"]),
            var: "best".into(),
            over: "rates".into()
        }),
        edit(GraphEdit::WrapFor {
            steps: strings(&["data"]),
            var: "k".into(),
            over: "[1, ".into()
        }),
        edit(GraphEdit::WrapIf {
            steps: strings(&["data"]),
            condition: "data.table".into()
        }),
        edit(GraphEdit::WrapIf {
            steps: strings(&["data", "fitted"]),
            condition: "true".into()
        }),
        edit(GraphEdit::WrapIf {
            steps: strings(&["data"]),
            condition: "true {} step evil = make() if true".into()
        }),
        edit(connect("data", "table) after best //", "extra", "data")),
        edit(set("extra", "data: data.table) //", None)),
    ]
    .join("\n"));
}

#[test]
fn unwrap_a_for_and_an_if() {
    assert_snapshot!(edit(GraphEdit::Unwrap {
        block: "for#1".into()
    }));
    assert_snapshot!(
        "unwrap_an_if",
        edit(GraphEdit::Unwrap {
            block: "if#1".into()
        })
    );
}

#[test]
fn unwrap_an_else() {
    let text = main_file().replace(
        "  // dangling at the end",
        "  else {  // otherwise\n    step skipped = make()\n  }\n  // dangling at the end",
    );
    let text = text.replace("  }\n  else {", "  } else {");
    assert_snapshot!([
        run(
            &[("/main.mlf", &text)],
            "p",
            GraphEdit::Unwrap {
                block: "if#1".into()
            }
        ),
        run(
            &[("/main.mlf", &text)],
            "p",
            GraphEdit::Unwrap {
                block: "else#1".into()
            }
        ),
    ]
    .join("\n"));
}

// ---- sub-pipelines ----

const INNER: &str = r#"import "ops.mlf"

/// Trains and scores.
pipeline train_eval(data: Dataset, lr: float = 0.1) -> (model: Model) {
  step fit = ops.fit(data: data, lr: lr)  // inner fit
  step eval = ops.score(model: fit.model, data: data)
  output model = fit.model
}
"#;

const OUTER: &str = r#"import "ops.mlf"
import "inner.mlf"

pipeline outer() {
  step data = ops.make()
  step te = inner.train_eval()
}
"#;

#[test]
fn sub_pipeline_steps_are_edited_in_their_own_file() {
    let files = [
        ("/outer.mlf", OUTER),
        ("/inner.mlf", INNER),
        ("/ops.mlf", OPS),
    ];
    assert_snapshot!([
        run(
            &files,
            "outer",
            set("te.fit", "epochs", Some(ArgValue::Int(9)))
        ),
        run(&files, "outer", add("ops.make", Some("te"), None)),
        run(&files, "outer", connect("data", "table", "te", "data")),
        run(&files, "outer", connect("data", "table", "te.eval", "data")),
        run(
            &files,
            "outer",
            GraphEdit::DeleteStep {
                step: "te.fit".into(),
                cascade: false
            }
        ),
    ]
    .join("\n"));
}

/// On a file in the formatter's layout, edits leave it in that layout: the statements they
/// write are laid out by the formatter, lined up with the run of steps they stand in.
#[test]
fn a_formatted_file_stays_formatted() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart.mlf"),
    )
    .unwrap();
    assert_eq!(
        mlforge_fmt::format(&text).unwrap(),
        text,
        "the quickstart is formatted"
    );
    let edits = [
        set("data", "rows", Some(ArgValue::Int(5000))),
        set("data", "seed", Some(ArgValue::Int(3))),
        connect("parts", "test", "check", "data"),
        GraphEdit::Disconnect {
            step: "fitted".into(),
            input: "lr".into(),
        },
        GraphEdit::AddAfter {
            step: "parts".into(),
            after: "data".into(),
        },
        add("split", None, Some(1)),
        add("fit", Some("for#1"), None),
        add("make_data", None, None),
        GraphEdit::DeleteStep {
            step: "release".into(),
            cascade: false,
        },
        GraphEdit::WrapIf {
            steps: strings(&["best"]),
            condition: "max_mse > 0.0".into(),
        },
        GraphEdit::Unwrap {
            block: "for#1".into(),
        },
    ];
    for edit in edits {
        let loaded = support::load(&[("/q.mlf", &text)]);
        let outcome = mlforge_ide::graph_edit(&loaded.db, loaded.files[0].1, "quickstart", &edit)
            .unwrap_or_else(|r| panic!("{edit:?}: {}", r.message));
        let after = support::apply(&text, &outcome.edits[0].edits);
        assert_eq!(
            mlforge_fmt::format(&after).unwrap(),
            after,
            "{edit:?} left the layout"
        );
    }
}

/// `pipeline p() {}` grown into a working pipeline by graph edits alone.
#[test]
fn an_empty_pipeline_grows_into_a_working_one() {
    let mut text = format!("{OPS}\npipeline p() {{}}\n");
    let edits = [
        add("make", None, None),
        add("fit", None, None),
        connect("make", "table", "fit", "data"),
        set("fit", "lr", Some(ArgValue::Float(0.05))),
        add("publish", None, None),
        connect("fit", "model", "publish", "model"),
        set("publish", "name", Some(ArgValue::Str("first".into()))),
        GraphEdit::WrapIf {
            steps: strings(&["publish"]),
            condition: "true".into(),
        },
    ];
    for edit in edits {
        let loaded = support::load(&[("/main.mlf", &text)]);
        let outcome = mlforge_ide::graph_edit(&loaded.db, loaded.files[0].1, "p", &edit)
            .unwrap_or_else(|r| panic!("{edit:?}: {}", r.message));
        text = support::apply(&text, &outcome.edits[0].edits);
    }
    let loaded = support::load(&[("/main.mlf", &text)]);
    let diagnostics = mlforge_analysis::file_diagnostics(&loaded.db, loaded.files[0].1);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}\n{text}");
    assert_snapshot!(&text[text.find("pipeline p").unwrap()..]);
}
