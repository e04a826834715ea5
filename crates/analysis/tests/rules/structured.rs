//! Structured values and loops (LANGUAGE.md §6.1, §6.2): E0420 unknown record field, E0421
//! missing record field, E0422 record field of the wrong type, E0423 index out of range or
//! key not found, E0424 zip of lists of different lengths, E0425 unknown function or wrong
//! arguments, E0426 record literal without a record type, W0106 needless `present`.

use crate::support::check_diagnostics;

/// A record and an op taking it, for the fixtures below.
const PRELUDE: &str = r#"record Split {
  test_size: float = 0.2
  features: list<string> = []
  seed: int?
}

record Model {
  name: string
  split: Split = {}
}

op fit(m: Model, n: int = 1) -> (score: float, info: Model) {
  python """
    print(${m}, ${n}, ${score}, ${info})
  """
}

op total(xs: list<float>) -> (sum: float) {
  python """
    print(${xs}, ${sum})
  """
}
"#;

#[track_caller]
fn check(fixture: &str) {
    check_diagnostics(&format!("{PRELUDE}\n{fixture}"));
}

#[test]
fn e0420_an_unknown_field_in_a_literal_and_in_an_access() {
    check(
        r#"
pipeline p(m: Model = {name: "rf", depht: 3}) -> (n: string) {
  //                               ^^^^^ E0420
  step f = fit(m: {name: m.nme})
  //                       ^^^ E0420
  output n = f.info.split.sed
  //                      ^^^ E0420
}
"#,
    );
}

#[test]
fn e0420_not_reported_for_fields_that_exist_at_any_depth() {
    check(
        r#"
pipeline p(m: Model = {name: "rf", split: {test_size: 0.5, seed: 3}}) -> (n: float, s: string) {
  step f = fit(m: {name: m.name, split: m.split}, n: m.split.seed)
  //                                                 ^^^^^^^^^^^^ E0402
  output n = f.info.split.test_size
  output s = f.info.split.features[0]
}
"#,
    );
}

#[test]
fn e0420_a_field_of_something_that_is_no_record() {
    check(
        r#"
pipeline p(d: dict<int> = {"a": 1}, xs: list<int> = [1]) -> (a: int, b: int) {
  output a = d.a
  //           ^ E0420
  output b = xs[0].size
  //               ^^^^ E0420
}
"#,
    );
}

#[test]
fn e0421_a_field_without_a_default_left_out() {
    check(
        r#"
pipeline p() -> (s: float) {
  step f = fit(m: {split: {test_size: 0.1}})
  //              ^^^^^^^^^^^^^^^^^^^^^^^^^ E0421
  output s = f.score
}
"#,
    );
}

#[test]
fn e0421_not_reported_for_defaults_and_optional_fields() {
    check(
        r#"
pipeline p() -> (s: float) {
  step f = fit(m: {name: "a"})
  step g = fit(m: {name: "b", split: {}})
  output s = f.score + g.score
}
"#,
    );
}

#[test]
fn e0422_a_field_of_the_wrong_type_anywhere() {
    check(
        r#"
record Bad { size: int = "big" }
//                       ^^^^^ E0422
pipeline p(m: Model = {name: 3}) -> (s: float, b: Bad) {
  //                         ^ E0422
  step f = fit(m: {name: "a", split: {features: [1, 2]}})
  //                                            ^^^^^^ E0401
  output s = f.score
  output b = {}
}
"#,
    );
}

#[test]
fn e0422_not_reported_when_an_int_widens_to_a_float() {
    check(
        r#"
pipeline p(m: Model = {name: "a", split: {test_size: 1}}) -> (s: float) {
  step f = fit(m: m)
  output s = f.score
}
"#,
    );
}

#[test]
fn e0423_an_index_past_a_literal_list_or_a_missing_literal_key() {
    check(
        r#"
pipeline p() -> (a: int, b: int, c: int) {
  output a = [1, 2][2]
  //                ^ E0423
  output b = [1, 2][-3]
  //                ^^ E0423
  output c = {"x": 1}["y"]
  //                  ^^^ E0423
}
"#,
    );
}

#[test]
fn e0423_not_reported_in_range_or_where_only_a_run_can_tell() {
    check(
        r#"
pipeline p(xs: list<int> = [1], d: dict<int> = {"x": 1}, k: string = "y") -> (a: int, b: int, c: int, e: int) {
  output a = [1, 2][-2] + [1, 2][1]
  output b = xs[5]
  output c = d[k] + d["nothing"]
  output e = {"x": 1}["x"]
}
"#,
    );
}

#[test]
fn e0424_zip_of_literal_lists_of_different_lengths() {
    check(
        r#"
pipeline p(xs: list<int> = [1, 2, 3], ys: list<string> = ["a"]) -> (s: list<float>, t: list<float>) {
  for a, b in zip([1, 2, 3], ["a", "b"]) {
  //          ^^^^^^^^^^^^^^^^^^^^^^^^^^ E0424
    step f = fit(m: {name: b}, n: a)
  }
  for a, b in zip(xs, ys) {
    step g = fit(m: {name: b}, n: a)
  }
  output s = f.score
  output t = g.score
}
"#,
    );
}

#[test]
fn e0425_functions_that_do_not_exist_or_are_called_wrongly() {
    check(
        r#"
pipeline p(n: int = 2, xs: list<int> = [1]) -> (a: list<int>, b: list<int>, c: list<int>) {
  output a = ragne(n)
  //         ^^^^^ E0425
  output b = range(n, 2)
  //         ^^^^^^^^^^^ E0425
  output c = zip(xs, xs)
  //         ^^^^^^^^^^^ E0425
  for i, j in xs {
  //     ^ E0425
  }
  for i in zip(xs, xs) {
  //  ^ E0425
  }
  for i in range("three") {
  //             ^^^^^^^ E0425
  }
}
"#,
    );
}

#[test]
fn e0426_a_record_literal_with_nothing_to_say_which_record() {
    check(
        r#"
pipeline p() {
  output o = {name: "a"}
  //         ^^^^^^^^^^^ E0426
  output q = [{name: "a"}]
  //         ^^^^^^^^^^^^^ E0426
}
"#,
    );
}

#[test]
fn w0106_present_on_a_list_whose_elements_are_never_absent() {
    check(
        r#"
pipeline p(xs: list<int> = [1, 2], keep: bool = true) -> (a: float, b: float) {
  for x in xs {
    step f = fit(m: {name: "a"}, n: x)
    if keep {
      step g = fit(m: {name: "b"}, n: x)
    }
  }
  step t = total(xs: present(f.score))
  //                 ^^^^^^^^^^^^^^^^ W0106
  step u = total(xs: present(g.score))
  output a = t.sum
  output b = u.sum
}
"#,
    );
}

#[test]
fn a_list_of_optional_values_where_the_list_is_optional_says_present() {
    check(
        r#"
op maybe_total(xs: list<float>?) -> (sum: float) {
  python """
    print(${xs}, ${sum})
  """
}
pipeline p(xs: list<int> = [1, 2], keep: bool = true) -> (a: float) {
  for x in xs {
    if keep {
      step g = fit(m: {name: "b"}, n: x)
    }
  }
  step t = maybe_total(xs: g.score)
  //                       ^^^^^^^ E0402
  output a = t.sum
}
"#,
    );
}

#[test]
fn a_record_that_contains_itself_and_an_artifact_field() {
    check(
        r#"
record Node { next: Node }
//     ^^^^ E0206
record Holder { model: Model, file: File }
//                                  ^^^^ E0401
"#,
    );
}
