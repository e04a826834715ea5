//! Names: E0204 unresolved name, E0205 unknown output, E0206 unresolved type, E0207
//! duplicate definition.

use crate::support::check_with_ops;

#[test]
fn e0204_a_step_that_does_not_exist() {
    check_with_ops(
        r#"
pipeline p(train_set: Dataset) {
  step fit = train(data: train_set)
  step eval = evaluate(model: fitted.model, data: train_set)
  //                          ^^^^^^ E0204
}
"#,
    );
}

#[test]
fn e0204_a_param_that_does_not_exist_and_a_loop_variable_out_of_its_loop() {
    check_with_ops(
        r#"
pipeline p(cs: list<float> = [0.1]) {
  step data = load(rows: rows)
  //                     ^^^^ E0204
  for c in cs {
    step fit = train(data: data.table, c: c)
  }
  step again = train(data: data.table, c: c)
  //                                      ^ E0204
}
"#,
    );
}

#[test]
fn e0204_not_reported_for_names_in_scope() {
    check_with_ops(
        r#"
pipeline p(rows: int = 5, cs: list<float> = [0.1, 1.0]) {
  step data = load(rows: rows)
  for c in cs {
    step fit = train(data: data.table, c: c)
  }
}
"#,
    );
}

#[test]
fn e0205_an_output_the_op_does_not_declare() {
    check_with_ops(
        r#"
pipeline p() {
  step data = load()
  step fit = train(data: data.tabel)
  //                          ^^^^^ E0205
}
"#,
    );
}

#[test]
fn e0206_an_unknown_type_in_a_signature() {
    check_with_ops(
        r#"
op report(model: Model) -> (metrics: Metric) {
  //                                 ^^^^^^ E0206
  python """
    print(${model}, ${metrics})
  """
}
"#,
    );
}

#[test]
fn e0206_not_reported_for_declared_artifact_kinds() {
    check_with_ops(
        r#"
artifact Embeddings

op embed(data: Dataset) -> (vectors: Embeddings, tags: list<string>?) {
  python """
    print(${data}, ${vectors}, ${tags})
  """
}
"#,
    );
}

#[test]
fn e0207_two_steps_with_one_name() {
    check_with_ops(
        r#"
pipeline p(train_set: Dataset) {
  step fit = train(data: train_set, c: 0.1)
  step fit = train(data: train_set, c: 10.0)
  //   ^^^ E0207
}
"#,
    );
}

#[test]
fn e0207_two_ops_with_one_name() {
    check_with_ops(
        r#"
op load() -> (table: Dataset) {
// ^^^^ E0207
  python """
    print(${table})
  """
}
"#,
    );
}
