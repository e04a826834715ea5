use expect_test::expect;

use crate::support::{check, example};

#[test]
fn goto_op_across_files() {
    check(
        &example("goto", "wine/pipeline.mlf", "ops.train", 0, 5),
        expect![[r#"
        /examples/wine/ops.mlf 24:4-24:9 "train"
    "#]],
    );
}

#[test]
fn goto_import_file_namespace_step_param_loopvar_output_kind() {
    check(
        &example("goto", "compose.mlf", "\"wine/ops.mlf\"", 0, 3),
        expect![[r#"
        /examples/wine/ops.mlf 1:1-1:1 ""
    "#]],
    );
    check(
        &example("goto", "compose.mlf", "ml.split", 0, 1),
        expect![[r#"
        /examples/compose.mlf 4:26-4:28 "ml"
    "#]],
    );
    check(
        &example("goto", "compose.mlf", "fit.model", 0, 1),
        expect![[r#"
            /examples/compose.mlf 28:8-28:11 "fit"
        "#]],
    );
    check(
        &example("goto", "compose.mlf", "fit.model", 0, 5),
        expect![[r#"
        /examples/wine/ops.mlf 24:39-24:44 "model"
    "#]],
    );
    check(
        &example("goto", "compose.mlf", "c: c)", 0, 3),
        expect![[r#"
            /examples/compose.mlf 26:3-26:4 "c"
        "#]],
    );
    check(
        &example("goto", "compose.mlf", "Features", 1, 2),
        expect![[r#"
        /examples/compose.mlf 7:10-7:18 "Features"
    "#]],
    );
    check(
        &example("goto", "wine/pipeline.mlf", "c: c)", 0, 3),
        expect![[r#"
        /examples/wine/pipeline.mlf 12:7-12:8 "c"
    "#]],
    );
    check(
        &example("goto", "quickstart.mlf", "${table}", 0, 3),
        expect![[r#"
        /examples/quickstart.mlf 6:50-6:55 "table"
    "#]],
    );
    check(
        &example("goto", "compose.mlf", "te    = train_eval(train:", 0, 20),
        expect![[r#"
            /examples/compose.mlf 24:3-24:8 "train"
        "#]],
    );
}

#[test]
fn references_of_op_across_files() {
    check(
        &example("references", "wine/ops.mlf", "op split", 0, 4),
        expect![[r#"
            /examples/compose.mlf 39:19-39:24 "split"
            /examples/wine/ops.mlf 12:4-12:9 "split"
            /examples/wine/pipeline.mlf 10:20-10:25 "split"
        "#]],
    );
}

#[test]
fn references_of_output_and_param() {
    check(
        &example("references", "wine/ops.mlf", "(model: Model)", 0, 2),
        expect![[r#"
            /examples/compose.mlf 29:38-29:43 "model"
            /examples/compose.mlf 30:25-30:30 "model"
            /examples/wine/ops.mlf 24:39-24:44 "model"
            /examples/wine/ops.mlf 37:17-37:22 "model"
            /examples/wine/pipeline.mlf 14:41-14:46 "model"
            /examples/wine/pipeline.mlf 17:41-17:46 "model"
        "#]],
    );
    check(
        &example("references-no-decl", "wine/ops.mlf", "c: float)", 0, 0),
        expect![[r#"
            /examples/compose.mlf 28:37-28:38 "c"
            /examples/wine/ops.mlf 35:66-35:67 "c"
            /examples/wine/pipeline.mlf 13:46-13:47 "c"
        "#]],
    );
}

#[test]
fn highlights_of_step() {
    check(
        &example("highlights", "quickstart.mlf", "step parts", 0, 6),
        expect![[r#"
            Write /examples/quickstart.mlf 76:8-76:13 "parts"
            Read /examples/quickstart.mlf 79:29-79:34 "parts"
            Read /examples/quickstart.mlf 80:52-80:57 "parts"
        "#]],
    );
}

#[test]
fn prepare_rename_refuses_with_reasons() {
    check(
        &example("prepare-rename", "quickstart.mlf", "step parts", 0, 1),
        expect![[r#"
        error: `step` is a keyword and cannot be renamed
    "#]],
    );
    check(
        &example("prepare-rename", "quickstart.mlf", "Dataset", 0, 1),
        expect![[r#"
        error: `Dataset` is a built-in type and cannot be renamed
    "#]],
    );
    check(
        &example("prepare-rename", "quickstart.mlf", "300", 0, 1),
        expect![[r#"
        error: a literal cannot be renamed
    "#]],
    );
    check(
        &example("prepare-rename", "quickstart.mlf", "timeout", 0, 1),
        expect![[r#"
        error: `timeout` is an attribute name, fixed by the language, and cannot be renamed
    "#]],
    );
    check(
        &example("prepare-rename", "quickstart.mlf", "step parts", 0, 6),
        expect![[r#"
        ok "parts"
    "#]],
    );
}

#[test]
fn rename_op_across_files() {
    check(
        &example("rename fit_model", "wine/ops.mlf", "op train", 0, 4),
        expect![[r#"
            /examples/compose.mlf
               28|   step fit  = ml.fit_model(data: train, c: c)
            /examples/wine/ops.mlf
               24| op fit_model(data: Dataset, c: float) -> (model: Model) {
            /examples/wine/pipeline.mlf
               13|     step fit  = ops.fit_model(data: parts.train, c: c)
        "#]],
    );
}

#[test]
fn rename_param_renames_call_site_arguments() {
    check(
        &example(
            "rename test_share",
            "wine/ops.mlf",
            "test_size: float",
            0,
            1,
        ),
        expect![[r#"
        /examples/wine/ops.mlf
           12| op split(data: Dataset, test_share: float = 0.25, seed: int = 0) -> (train: Dataset, test: Dataset) {
           17|     tr, te = train_test_split(df, test_size=${test_share}, random_state=${seed}, stratify=df["target"])
        /examples/wine/pipeline.mlf
           10|   step parts = ops.split(data: data.table, test_share: 0.3, seed: 7)
    "#]],
    );
}

#[test]
fn rename_output_renames_uses_and_body() {
    check(
        &example("rename accuracy", "wine/ops.mlf", "score: float) {", 0, 1),
        expect![[r#"
        /examples/wine/ops.mlf
           58| op pick_best(models: list<Model>, scores: list<float>) -> (model: Model, accuracy: float) {
           64|     open(${accuracy}, "w").write(repr(scores[i]))
        /examples/wine/pipeline.mlf
           19|   if best.accuracy >= min_accuracy {
           20|     step release = ops.package(model: best.model, name: "wine-classifier", score: best.accuracy)
    "#]],
    );
}

#[test]
fn rename_step_loop_var_and_kind() {
    check(
        &example("rename fitted_model", "quickstart.mlf", "step fitted", 0, 6),
        expect![[r#"
            /examples/quickstart.mlf
               79|     step fitted_model = fit(data: parts.train, lr: lr)
               80|     step check  = score(model: fitted_model.model, data: parts.test)
               83|   step best = pick_best(models: fitted_model.model, errors: check.mse)
        "#]],
    );
    check(
        &example("rename rate", "quickstart.mlf", "for lr", 0, 4),
        expect![[r#"
        /examples/quickstart.mlf
           78|   for rate in rates {
           79|     step fitted = fit(data: parts.train, lr: rate)
    "#]],
    );
    check(
        &example("rename Table", "compose.mlf", "artifact Features", 0, 10),
        expect![[r#"
        /examples/compose.mlf
            7| artifact Table: Dataset
           10| op featurize(data: Dataset) -> (features: Table, stats: Metrics) {
    "#]],
    );
}

#[test]
fn rename_namespace_adds_alias() {
    check(
        &example(
            "rename wine_ops",
            "wine/pipeline.mlf",
            "ops.load_wine",
            0,
            1,
        ),
        expect![[r#"
        /examples/wine/pipeline.mlf
            3| import "ops.mlf" as wine_ops
            9|   step data  = wine_ops.load_wine()
           10|   step parts = wine_ops.split(data: data.table, test_size: 0.3, seed: 7)
           13|     step fit  = wine_ops.train(data: parts.train, c: c)
           14|     step eval = wine_ops.evaluate(model: fit.model, data: parts.test)
           17|   step best = wine_ops.pick_best(models: fit.model, scores: eval.accuracy)
           20|     step release = wine_ops.package(model: best.model, name: "wine-classifier", score: best.score)
           22|     step alert = wine_ops.notify(message: "wine: no model reached the bar")
    "#]],
    );
}

#[test]
fn rename_refuses_bad_names_and_collisions() {
    check(
        &example("rename 9lives", "quickstart.mlf", "step parts", 0, 6),
        expect![[r#"
        error: `9lives` is not a valid name: use letters, digits and `_`, not starting with a digit
    "#]],
    );
    check(
        &example("rename step", "quickstart.mlf", "step parts", 0, 6),
        expect![[r#"
        error: `step` is a keyword and cannot be used as a name
    "#]],
    );
    check(
        &example("rename data", "quickstart.mlf", "step parts", 0, 6),
        expect![[r#"
        error: cannot rename to `data`: pipeline `quickstart` already has a step named `data`
    "#]],
    );
    check(
        &example("rename fit", "quickstart.mlf", "op split", 0, 4),
        expect![[r#"
        error: cannot rename to `fit`: `/examples/quickstart.mlf` already defines `fit`
    "#]],
    );
    check(
        &example("rename rates", "quickstart.mlf", "for lr", 0, 4),
        expect![[r#"
        error: cannot rename to `rates`: the pipeline has a param named `rates`, which the loop variable would hide
    "#]],
    );
    check(
        &example("rename File", "compose.mlf", "artifact Features", 0, 10),
        expect![[r#"
        error: cannot rename to `File`: `File` is a built-in type
    "#]],
    );
}
