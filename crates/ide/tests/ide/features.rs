use expect_test::expect;

use crate::support::{check, example};

#[test]
fn signature_help_in_call() {
    check(
        &example("signature", "quickstart.mlf", "lr: lr)", 0, 4),
        expect![[r#"
        fit(data: Dataset, lr: float, epochs: int = 200) -> (model: Model)
          data: "data: Dataset"
          lr: "lr: float" (active)
          epochs: "epochs: int = 200"
        doc: Fits y = a*x + b by gradient descent with the given learning rate.
    "#]],
    );
    check(
        &example("signature", "quickstart.mlf", "(data: parts.train", 0, 1),
        expect![[r#"
        fit(data: Dataset, lr: float, epochs: int = 200) -> (model: Model)
          data: "data: Dataset"
          lr: "lr: float"
          epochs: "epochs: int = 200"
        doc: Fits y = a*x + b by gradient descent with the given learning rate.
    "#]],
    );
    check(
        "@signature\nop f(a: int, bb: float = 1.0) {\n  python \"\"\"${a}\"\"\"\n}\npipeline p() {\n  step x = f(a: [1, 2], b$0\n}\n",
        expect![[r#"
            f(a: int, bb: float = 1.0)
              a: "a: int"
              bb: "bb: float = 1.0" (active)
        "#]],
    );
}

#[test]
fn inlay_hints_on_examples() {
    check(
        &example("inlay", "quickstart.mlf", "", 0, 0),
        expect![[r#"
            75|   step data⟪: (table: Dataset)⟫  = make_data(rows: 300)
            76|   step parts⟪: (train: Dataset, test: Dataset)⟫ = split(data: data.table)
            78|   for lr⟪: float⟫ in rates {
            79|     step fitted⟪: (model: Model)⟫ = fit(data: parts.train, lr: lr)
            80|     step check⟪: (mse: float, report: Metrics)⟫  = score(model: fitted.model, data: parts.test)
            83|   step best⟪: (model: Model, mse: float)⟫ = pick_best(models: fitted.model⟪: list<Model>⟫, errors: check.mse⟪: list<float>⟫)
            86|     step release⟪: (bundle: Dir)⟫ = publish(model: best.model, name: "line-fit")
        "#]],
    );
}

#[test]
fn document_symbols_outline() {
    check(
        &example("symbols", "wine/pipeline.mlf", "", 0, 0),
        expect![[r#"
        Import ops — import "ops.mlf" ["ops.mlf"]
        Pipeline wine — wine(cs: list<float> = [0.01, 0.1, 1.0, 10.0], min_accuracy: float = 0.9) [wine]
          Param cs — cs: list<float> = [0.01, 0.1, 1.0, 10.0] [cs]
          Param min_accuracy — min_accuracy: float = 0.9 [min_accuracy]
          Step data — ops.load_wine(…) [data]
          Step parts — ops.split(…) [parts]
          For for c in cs [for]
            Step fit — ops.train(…) [fit]
            Step eval — ops.evaluate(…) [eval]
          Step best — ops.pick_best(…) [best]
          If if best.score >= min_accuracy [if]
            Step release — ops.package(…) [release]
            If else [else]
              Step alert — ops.notify(…) [alert]
    "#]],
    );
    check(
        &example("symbols", "compose.mlf", "", 0, 0),
        expect![[r#"
        Import ml — import "wine/ops.mlf" [ml]
        Artifact Features — : Dataset [Features]
        Op featurize — featurize(data: Dataset) -> (features: Features, stats: Metrics) [featurize]
          Param data — data: Dataset [data]
          Output features — Features [features]
          Output stats — Metrics [stats]
        Pipeline train_eval — train_eval(train: Dataset, test: Dataset, c: float = 1.0) -> (model: Model, accuracy: float) [train_eval]
          Param train — train: Dataset [train]
          Param test — test: Dataset [test]
          Param c — c: float = 1.0 [c]
          Output model — Model [model]
          Output accuracy — float [accuracy]
          Step fit — ml.train(…) [fit]
          Step eval — ml.evaluate(…) [eval]
          Output model — = fit.model [model]
          Output accuracy — = eval.accuracy [accuracy]
        Pipeline nightly — nightly(raw: Dataset, c: float = 0.5) [nightly]
          Param raw — raw: Dataset [raw]
          Param c — c: float = 0.5 [c]
          Step feats — featurize(…) [feats]
          Step parts — ml.split(…) [parts]
          Step te — train_eval(…) [te]
          Step done — ml.notify(…) [done]
    "#]],
    );
}

#[test]
fn workspace_symbols_fuzzy() {
    check(
        &example("workspace-symbols pb", "quickstart.mlf", "", 0, 0),
        expect![[r#"
        Op publish /examples/quickstart.mlf 67:4-67:11
        Op pick_best /examples/quickstart.mlf 57:4-57:13
        Op pick_best /examples/wine/ops.mlf 58:4-58:13
    "#]],
    );
}

#[test]
fn semantic_tokens_of_small_file() {
    check(
        "@tokens\n//- /main.mlf\nimport \"o.mlf\" as ns\n/* a\n   b */\n/// Doc.\nop f(x: int, d: list<Dataset>) -> (y: Model) {\n  timeout = 1m\n  python \"\"\"\n    ${x} ${y}\n  \"\"\"\n}\npipeline p(n: int = 2) {\n  for i in [1, 2] {\n    step s = f(x: i, d: [])\n  }\n  step t = f(x: n, d: []) after s\n  if s.y == t.y { step u = f(x: 1, d: []) }\n}\n//- /o.mlf\n",
        expect![[r#"
            Keyword "import"
            String "\"o.mlf\""
            Keyword "as"
            Namespace decl "ns"
            Comment "/* a"
            Comment "   b */"
            Comment doc "/// Doc."
            Keyword "op"
            Op decl "f"
            Param decl "x"
            Type "int"
            Param decl "d"
            Type "list"
            Operator "<"
            Type "Dataset"
            Operator ">"
            Operator "->"
            Output decl "y"
            Type "Model"
            Attribute "timeout"
            Operator "="
            Number "1m"
            Keyword "python"
            String "\"\"\""
            String "    "
            Interpolation "${x}"
            String " "
            Interpolation "${y}"
            String "  \"\"\""
            Keyword "pipeline"
            Pipeline decl "p"
            Param decl "n"
            Type "int"
            Operator "="
            Number "2"
            Keyword "for"
            LoopVar decl "i"
            Keyword "in"
            Number "1"
            Number "2"
            Keyword "step"
            Step decl "s"
            Operator "="
            Op "f"
            Param "x"
            LoopVar "i"
            Param "d"
            Keyword "step"
            Step decl "t"
            Operator "="
            Op "f"
            Param "x"
            Param "n"
            Param "d"
            Keyword "after"
            Step "s"
            Keyword "if"
            Step "s"
            Output "y"
            Operator "=="
            Step "t"
            Output "y"
            Keyword "step"
            Step decl "u"
            Operator "="
            Op "f"
            Param "x"
            Number "1"
            Param "d"
        "#]],
    );
}

#[test]
fn folding_and_selection() {
    check(
        &example("folding", "compose.mlf", "", 0, 0),
        expect![[r#"
            Comment /examples/compose.mlf 1:1-3:76 "// Composition: a pipeline used as a step of another, a decl…"
            Region /examples/compose.mlf 10:1-20:2 "op featurize(data: Dataset) -> (features: Features, stats: M…"
            Region /examples/compose.mlf 11:3-19:6 "python \"\"\"⏎    import json⏎    import pandas as pd⏎    df = …"
            Region /examples/compose.mlf 23:1-32:2 "pipeline train_eval(⏎  train: Dataset,⏎  test: Dataset,⏎  c:…"
            Region /examples/compose.mlf 34:1-42:2 "pipeline nightly(raw: Dataset, c: float = 0.5) {⏎  schedule …"
        "#]],
    );
    check(
        &example("selection", "quickstart.mlf", "parts.train, lr", 0, 7),
        expect![[r#"
        "train"
        "parts.train"
        "data: parts.train"
        "data: parts.train, lr: lr"
        "(data: parts.train, lr: lr)"
        "step fitted = fit(data: parts.train, lr: lr)"
        "step fitted = fit(data: parts.train, lr: lr)⏎    step check …"
        "for lr in rates {⏎    step fitted = fit(data: parts.train, l…"
        "pipeline quickstart(rates: list<float> = [0.001, 0.01, 0.05]…"
        "// Quickstart: needs nothing but python3.⏎// A tiny ML pipel…"
    "#]],
    );
}

#[test]
fn code_lenses_above_pipelines_and_steps() {
    check(
        &example("lenses", "wine/pipeline.mlf", "", 0, 0),
        expect![[r#"
            /examples/wine/pipeline.mlf 5:10-5:14 ▶ Run mlforge.run ["/examples/wine/pipeline.mlf", "wine"]
            /examples/wine/pipeline.mlf 5:10-5:14 Plan mlforge.plan ["/examples/wine/pipeline.mlf", "wine"]
            /examples/wine/pipeline.mlf 5:10-5:14 Show graph mlforge.showGraph ["/examples/wine/pipeline.mlf", "wine"]
            /examples/wine/pipeline.mlf 5:10-5:14 Export to Airflow mlforge.export ["/examples/wine/pipeline.mlf", "wine", "airflow"]
            /examples/wine/pipeline.mlf 5:10-5:14 Export to Kubeflow mlforge.export ["/examples/wine/pipeline.mlf", "wine", "kfp"]
            /examples/wine/pipeline.mlf 5:10-5:14 Export to Argo mlforge.export ["/examples/wine/pipeline.mlf", "wine", "argo"]
            /examples/wine/pipeline.mlf 9:8-9:12 Run step mlforge.runStep ["/examples/wine/pipeline.mlf", "wine", "data"]
            /examples/wine/pipeline.mlf 9:8-9:12 Run from here mlforge.runFrom ["/examples/wine/pipeline.mlf", "wine", "data"]
            /examples/wine/pipeline.mlf 10:8-10:13 Run step mlforge.runStep ["/examples/wine/pipeline.mlf", "wine", "parts"]
            /examples/wine/pipeline.mlf 10:8-10:13 Run from here mlforge.runFrom ["/examples/wine/pipeline.mlf", "wine", "parts"]
            /examples/wine/pipeline.mlf 13:10-13:13 Run step mlforge.runStep ["/examples/wine/pipeline.mlf", "wine", "fit"]
            /examples/wine/pipeline.mlf 13:10-13:13 Run from here mlforge.runFrom ["/examples/wine/pipeline.mlf", "wine", "fit"]
            /examples/wine/pipeline.mlf 14:10-14:14 Run step mlforge.runStep ["/examples/wine/pipeline.mlf", "wine", "eval"]
            /examples/wine/pipeline.mlf 14:10-14:14 Run from here mlforge.runFrom ["/examples/wine/pipeline.mlf", "wine", "eval"]
            /examples/wine/pipeline.mlf 17:8-17:12 Run step mlforge.runStep ["/examples/wine/pipeline.mlf", "wine", "best"]
            /examples/wine/pipeline.mlf 17:8-17:12 Run from here mlforge.runFrom ["/examples/wine/pipeline.mlf", "wine", "best"]
            /examples/wine/pipeline.mlf 20:10-20:17 Run step mlforge.runStep ["/examples/wine/pipeline.mlf", "wine", "release"]
            /examples/wine/pipeline.mlf 20:10-20:17 Run from here mlforge.runFrom ["/examples/wine/pipeline.mlf", "wine", "release"]
            /examples/wine/pipeline.mlf 22:10-22:15 Run step mlforge.runStep ["/examples/wine/pipeline.mlf", "wine", "alert"]
            /examples/wine/pipeline.mlf 22:10-22:15 Run from here mlforge.runFrom ["/examples/wine/pipeline.mlf", "wine", "alert"]
        "#]],
    );
}

#[test]
fn inlay_hints_in_a_range() {
    check(
        "@inlay\nop f(x: int) -> (y: int) {\n  python \"\"\"${x}${y}\"\"\"\n}\npipeline p(go: bool) {\n  step a = f(x: 1)\n  $0if go {\n    step b = f(x: a.y)\n  }\n  step c = f(x: b.y)$0\n  step d = f(x: 1)\n}\n",
        expect![[r#"
            7|     step b⟪: (y: int)⟫ = f(x: a.y)
            9|   step c⟪: (y: int)⟫ = f(x: b.y⟪: int?⟫)
        "#]],
    );
}

#[test]
fn highlights_of_param_and_output_statement() {
    check(
        &example("highlights", "compose.mlf", "accuracy: float) {", 0, 1),
        expect![[r#"
            Write /examples/compose.mlf 27:21-27:29 "accuracy"
            Write /examples/compose.mlf 31:10-31:18 "accuracy"
        "#]],
    );
}

#[test]
fn hover_and_goto_on_pipeline_output_statement() {
    check(
        &example("hover", "compose.mlf", "output model", 0, 8),
        expect![[r#"
        "model"
        ```mlf
        model: Model
        ```

        output of pipeline `train_eval`
    "#]],
    );
    check(
        &example("goto", "compose.mlf", "output model", 0, 8),
        expect![[r#"
            /examples/compose.mlf 27:7-27:12 "model"
        "#]],
    );
}

#[test]
fn selection_in_a_body() {
    check(
        &example("selection", "quickstart.mlf", "${rows}", 0, 3),
        expect![[r#"
        "rows"
        "${rows}"
        "⏎    import random⏎    random.seed(${seed})⏎    with open(${…"
        "\"\"\"⏎    import random⏎    random.seed(${seed})⏎    with open…"
        "python \"\"\"⏎    import random⏎    random.seed(${seed})⏎    wi…"
        "op make_data(rows: int = 200, seed: int = 0) -> (table: Data…"
        "// Quickstart: needs nothing but python3.⏎// A tiny ML pipel…"
    "#]],
    );
}

#[test]
fn unicode_offsets_in_navigation() {
    check(
        "@references\n// ünïcödé 🚀🚀\nop f(x: int) -> (y: int) {\n  python \"\"\"# é ${x} ${y}\"\"\"\n}\npipeline p() {\n  step a = f(x: 1) // ☕\n  step b = f(x: a.y$0)\n}\n",
        expect![[r#"
            /main.mlf 2:18-2:19 "y"
            /main.mlf 3:24-3:25 "y"
            /main.mlf 7:19-7:20 "y"
        "#]],
    );
    check(
        "@rename z\n// ünïcödé 🚀🚀\nop f(x: int) -> (y: int) {\n  python \"\"\"# é ${x} ${y}\"\"\"\n}\npipeline p() {\n  step a = f(x: 1) // ☕\n  step b = f(x: a.y$0)\n}\n",
        expect![[r##"
            /main.mlf
                2| op f(x: int) -> (z: int) {
                3|   python """# é ${x} ${z}"""
                7|   step b = f(x: a.z)
        "##]],
    );
}

#[test]
fn semantic_tokens_of_an_example_pipeline() {
    check(
        &example("tokens 22-38", "compose.mlf", "", 0, 0),
        expect![[r#"
            Comment doc "/// Trains and evaluates one configuration."
            Keyword "pipeline"
            Pipeline decl "train_eval"
            Param decl "train"
            Type "Dataset"
            Param decl "test"
            Type "Dataset"
            Param decl "c"
            Type "float"
            Operator "="
            Number "1.0"
            Operator "->"
            Output decl "model"
            Type "Model"
            Output decl "accuracy"
            Type "float"
            Keyword "step"
            Step decl "fit"
            Operator "="
            Namespace "ml"
            Op "train"
            Param "data"
            Param "train"
            Param "c"
            Param "c"
            Keyword "step"
            Step decl "eval"
            Operator "="
            Namespace "ml"
            Op "evaluate"
            Param "model"
            Step "fit"
            Output "model"
            Param "data"
            Param "test"
            Keyword "output"
            Output "model"
            Operator "="
            Step "fit"
            Output "model"
            Keyword "output"
            Output "accuracy"
            Operator "="
            Step "eval"
            Output "accuracy"
            Keyword "pipeline"
            Pipeline decl "nightly"
            Param decl "raw"
            Type "Dataset"
            Param decl "c"
            Type "float"
            Operator "="
            Number "0.5"
            Attribute "schedule"
            Operator "="
            String "\"0 3 * * *\""
            Attribute "retries"
            Operator "="
            Number "1"
            Keyword "step"
            Step decl "feats"
            Operator "="
            Op "featurize"
            Param "data"
            Param "raw"
        "#]],
    );
}

#[test]
fn signature_help_after_unicode_and_in_nested_list() {
    check(
        "@signature\nop f(xs: list<string>, n: int = 1) {\n  python \"\"\"${xs}${n}\"\"\"\n}\npipeline p() {\n  step x = f(xs: [\"é🚀\", \"ü$0\"])\n}\n",
        expect![[r#"
            f(xs: list<string>, n: int = 1)
              xs: "xs: list<string>" (active)
              n: "n: int = 1"
        "#]],
    );
}

#[test]
fn semantic_tokens_mark_def_after_python_only() {
    check(
        "@tokens\n//- /main.mlf\nop f(def: int) -> (y: int) {\n  python def \"\"\"\n    return 1\n  \"\"\"\n}\n",
        expect![[r#"
            Keyword "op"
            Op decl "f"
            Param decl "def"
            Type "int"
            Operator "->"
            Output decl "y"
            Type "int"
            Keyword "python"
            Keyword "def"
            String "\"\"\""
            String "    return 1"
            String "  \"\"\""
        "#]],
    );
}
