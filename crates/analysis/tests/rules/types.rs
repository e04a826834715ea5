//! Types: E0401 type mismatch, E0402 optional misuse, E0403 list misuse, E0404 condition
//! not a bool, E0405 invalid default, E0406 invalid operands.

use crate::support::check_with_ops;

#[test]
fn e0401_a_string_for_a_float() {
    check_with_ops(
        r#"
pipeline p(train_set: Dataset) {
  step fit = train(data: train_set, c: "0.5")
  //                                   ^^^^^ E0401
}
"#,
    );
}

#[test]
fn e0401_an_artifact_of_another_kind() {
    check_with_ops(
        r#"
pipeline p(train_set: Dataset) {
  step fit = train(data: train_set)
  step eval = evaluate(model: train_set, data: train_set)
  //                          ^^^^^^^^^ E0401
}
"#,
    );
}

#[test]
fn e0401_not_reported_when_an_int_widens_to_a_float() {
    check_with_ops(
        r#"
pipeline p(train_set: Dataset, c: int = 2) {
  step fit = train(data: train_set, c: c)
  step fit2 = train(data: train_set, c: 3)
}
"#,
    );
}

#[test]
fn e0402_an_output_of_a_step_inside_an_if_used_outside_it() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, retrain: bool = true) {
  if retrain {
    step fit = train(data: data)
  }
  step eval = evaluate(model: fit.model, data: data)
  //                          ^^^^^^^^^ E0402
}
"#,
    );
}

#[test]
fn e0402_not_reported_inside_the_same_if() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, retrain: bool = true) {
  if retrain {
    step fit = train(data: data)
    step eval = evaluate(model: fit.model, data: data)
  }
}
"#,
    );
}

#[test]
fn e0403_a_fanned_out_output_used_as_one_value() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, cs: list<float> = [0.1, 1.0]) {
  for c in cs {
    step fit = train(data: data, c: c)
  }
  step eval = evaluate(model: fit.model, data: data)
  //                          ^^^^^^^^^ E0403
}
"#,
    );
}

#[test]
fn e0403_not_reported_inside_the_loop() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, cs: list<float> = [0.1, 1.0]) {
  for c in cs {
    step fit = train(data: data, c: c)
    step eval = evaluate(model: fit.model, data: data)
  }
}
"#,
    );
}

#[test]
fn e0404_a_float_as_a_condition() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, model: Model) {
  step eval = evaluate(model: model, data: data)
  if eval.accuracy {
  // ^^^^^^^^^^^^^ E0404
    step fit = train(data: data)
  }
}
"#,
    );
}

#[test]
fn e0404_not_reported_for_a_comparison() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, model: Model) {
  step eval = evaluate(model: model, data: data)
  if eval.accuracy > 0.9 {
    step fit = train(data: data)
  }
}
"#,
    );
}

#[test]
fn e0405_an_artifact_param_whose_default_is_not_a_path() {
    check_with_ops(
        r#"
pipeline p(raw: Dataset = 3, more: list<Dataset> = ["a.csv", 1]) {
                        //^ E0405
                                                 //^^^^^^^^^^^^ E0405
  step fit = train(data: raw)
  for m in more {
    step b = train(data: m)
  }
}
"#,
    );
}

#[test]
fn an_artifact_param_may_default_to_a_path() {
    check_with_ops(
        r#"
pipeline p(raw: Dataset = "data/churn.csv", more: list<Dataset> = ["a.csv", "b.csv"]) {
  step fit = train(data: raw)
  for m in more {
    step other = train(data: m)
  }
}
"#,
    );
}

#[test]
fn e0405_an_op_artifact_input_with_a_default() {
    check_with_ops(
        r#"
op fetch(path: File = "data/x.csv") -> (out: Dataset) {
                    //^^^^^^^^^^^^ E0405
  shell """
    cp ${path} ${out}
  """
}
pipeline p() {
  step l = fetch()
}
"#,
    );
}

#[test]
fn a_default_of_the_wrong_type_is_a_type_mismatch() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, c: float = "high") {
  //                                 ^^^^^^ E0401
  step fit = train(data: data, c: c)
}
"#,
    );
}

#[test]
fn e0406_a_string_plus_a_number() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, c: float = 1.0) {
  step fit = train(data: data, c: "x" + c)
  //                              ^^^ E0406
}
"#,
    );
}

#[test]
fn e0401_a_list_literal_with_an_element_of_another_type() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, cs: list<float> = [0.1, "high"]) {
  //                                              ^^^^^^ E0401
  for c in cs {
    step fit = train(data: data, c: c)
  }
}
"#,
    );
}

#[test]
fn e0402_not_reported_when_each_branch_keeps_its_outputs_inside() {
    check_with_ops(
        r#"
pipeline p(data: Dataset, retrain: bool = true) {
  if retrain {
    step fit = train(data: data)
  } else {
    step base = load()
  }
}
"#,
    );
}
