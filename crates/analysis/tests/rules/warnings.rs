//! Warnings: W0101 unused param, W0102 unused step, W0105 a loop variable or a step shadowing
//! a param.

use crate::support::check_with_ops;

#[test]
fn w0101_a_param_nothing_reads() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, seed: int = 0) {
  //                      ^^^^ W0101
  step fit = train(data: data)
}
"#,
    );
}

#[test]
fn w0101_not_reported_for_a_param_read_by_a_loop_or_a_condition() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, cs: list<float> = [1.0], go: bool = true) {
  if go {
    for c in cs {
      step fit = train(data: data, c: c)
    }
  }
}
"#,
    );
}

#[test]
fn w0102_a_step_whose_outputs_nothing_reads() {
    check_with_ops(
        r#"
pipeline p(data: Dataset) -> (model: Model) {
  step fit = train(data: data)
  step eval = evaluate(model: fit.model, data: data)
  //   ^^^^ W0102
  output model = fit.model
}
"#,
    );
}

#[test]
fn w0105_a_loop_variable_named_like_a_param() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, c: float = 0.1, cs: list<float> = [1.0]) {
  step base = train(data: data, c: c)
  for c in cs {
  //  ^ W0105
    step fit = train(data: data, c: c)
  }
}
"#,
    );
}

#[test]
fn w0105_a_step_named_like_a_param() {
    // The name means the step everywhere, so nothing can read the param.
    check_with_ops(
        r#"
pipeline p(data: Dataset, fit: float = 0.1) {
  //                      ^^^ W0101
  step fit = train(data: data)
  //   ^^^ W0105
}
"#,
    );
}

#[test]
fn w0102_not_reported_for_a_step_others_wait_for() {
    check_with_ops(
        r#"
pipeline p(data: Dataset) -> (model: Model) {
  step warm = evaluate(model: fit.model, data: data)
  step fit = train(data: data)
  step again = train(data: data, c: 2.0) after warm
  output model = again.model
}
"#,
    );
}
