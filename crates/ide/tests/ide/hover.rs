use expect_test::expect;

use crate::support::{check, example};

#[test]
fn op_signature_with_doc() {
    check(
        &example("hover", "quickstart.mlf", "fit(data: parts.train", 0, 1),
        expect![[r#"
            "fit"
            ```mlf
            op fit(data: Dataset, lr: float, epochs: int = 200) -> (model: Model)
            ```

            ---

            Fits y = a*x + b by gradient descent with the given learning rate.
        "#]],
    );
}

#[test]
fn step_with_inputs_and_outputs() {
    check(
        &example("hover", "quickstart.mlf", "step fitted", 0, 6),
        expect![[r#"
        "fitted"
        ```mlf
        step fitted = fit(…)
        ```

        runs op `fit`

        **inputs**
        - `data: Dataset` ← `parts.train`
        - `lr: float` ← `lr`

        **outputs**
        - `fitted.model: Model` (`list<Model>` outside its block)

        inside `for lr in rates`
    "#]],
    );
}

#[test]
fn param_with_default() {
    check(
        &example("hover", "quickstart.mlf", "max_mse", 1, 2),
        expect![[r#"
        "max_mse"
        ```mlf
        max_mse: float = 1.0
        ```

        param of pipeline `quickstart`
    "#]],
    );
}

#[test]
fn output_seen_from_outside_loop() {
    check(
        &example("hover", "quickstart.mlf", "fitted.model, errors", 0, 8),
        expect![[r#"
        "model"
        ```mlf
        fitted.model: list<Model>
        ```

        output `model: Model` of op `fit`; here it is a list: `fitted` is inside a `for` that this place is outside of, so here it holds every element's value
    "#]],
    );
}

#[test]
fn declared_kind_with_chain() {
    check(
        &example("hover", "compose.mlf", "features: Features", 0, 12),
        expect![[r#"
        "Features"
        ```mlf
        artifact Features: Dataset
        ```

        an artifact kind: Features → Dataset → File. A `Features` is accepted wherever a `Dataset` or a `File` is expected.

        ---

        A table of model-ready numeric features.
    "#]],
    );
}

#[test]
fn builtin_kind() {
    check(
        &example("hover", "compose.mlf", "Dataset", 0, 1),
        expect![[r#"
        "Dataset"
        `Dataset`: a `File` holding a table of data (CSV, Parquet, …).
    "#]],
    );
}

#[test]
fn keyword_and_attribute_and_duration() {
    check(
        &example("hover", "quickstart.mlf", "for lr", 0, 1),
        expect![[r#"
        "for"
        `for x in list { … }`: runs the block once per element, in parallel; outside it, outputs of its steps are lists.
    "#]],
    );
    check(
        &example("hover", "quickstart.mlf", "timeout = 1m", 0, 2),
        expect![[r#"
        "timeout"
        `timeout = 30m`: the longest an attempt may run (a duration: `10s`, `30m`, `2h`, `1d`).
    "#]],
    );
    check(
        &example("hover", "quickstart.mlf", "timeout = 1m", 0, 10),
        expect![[r#"
        "1m"
        `1m`: a duration of 60 seconds
    "#]],
    );
}

#[test]
fn interpolation_in_body() {
    check(
        &example("hover", "quickstart.mlf", "${model}", 0, 3),
        expect![[r#"
        "model"
        ```mlf
        model: Model
        ```

        output of op `fit`

        `${…}` becomes the path where the body must write this `Model`
    "#]],
    );
    check(
        &example("hover", "quickstart.mlf", "${lr}", 0, 3),
        expect![[r#"
        "lr"
        ```mlf
        lr: float
        ```

        input of op `fit` (required)

        `${…}` becomes this `float` value, as a literal of the body's language
    "#]],
    );
}

#[test]
fn namespace_and_cross_file_op() {
    check(
        &example("hover", "wine/pipeline.mlf", "ops.split", 0, 1),
        expect![[r#"
        "ops"
        ```mlf
        import "ops.mlf"
        ```

        namespace `ops`: the file `/examples/wine/ops.mlf`, with `ops.load_wine`, `ops.split`, `ops.train`, `ops.evaluate`, `ops.pick_best`, `ops.package`, `ops.notify`
    "#]],
    );
    check(
        &example("hover", "wine/pipeline.mlf", "ops.split", 0, 5),
        expect![[r#"
        "split"
        ```mlf
        op split(data: Dataset, test_size: float = 0.25, seed: int = 0) -> (train: Dataset, test: Dataset)
        ```

        defined in `/examples/wine/ops.mlf`

        ---

        Stratified train/test split.
    "#]],
    );
}

#[test]
fn loop_variable() {
    check(
        &example("hover", "wine/pipeline.mlf", "c: c)", 0, 3),
        expect![[r#"
        "c"
        ```mlf
        c: float
        ```

        loop variable: one element of `cs` per branch
    "#]],
    );
}

#[test]
fn mid_edit_still_hovers() {
    check(
        "@hover\nop f(x: int) -> (y: int) {\n  python \"\"\"${y}\"\"\"\n}\npipeline p() {\n  step a = f(x: 1)\n  step b = f$0(x: a.\n",
        expect![[r#"
            "f"
            ```mlf
            op f(x: int) -> (y: int)
            ```
        "#]],
    );
}

#[test]
fn unicode_before_cursor() {
    check(
        "@hover\n/// Ça marche ✓ 🚀\nop f(x: int) -> (y: int) {\n  python \"\"\"${y}\"\"\"\n}\npipeline p() {\n  // é 🎉\n  step a = f$0(x: 1)\n}\n",
        expect![[r#"
            "f"
            ```mlf
            op f(x: int) -> (y: int)
            ```

            ---

            Ça marche ✓ 🚀
        "#]],
    );
}
