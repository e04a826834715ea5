use expect_test::expect;

use crate::support::{check, example};

const OPS: &str = r#"
/// Trains.
op train(data: Dataset, c: float = 1.0, w: Model?) -> (model: Model, score: float) {
  python """x"""
}
/// Loads.
op load() -> (table: Dataset) {
  python """x"""
}
pipeline sub(d: Dataset) -> (m: Model) {
  step t = train(data: d)
  output m = t.model
}
"#;

fn with_ops(feature: &str, pipeline: &str) -> String {
    format!("@{feature}\n{OPS}{pipeline}")
}

#[test]
fn after_step_name_lists_ops_and_pipelines() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset) {\n  step fit = $0\n}\n",
        ),
        expect![[r#"
            replace ""
            Op load — op load() -> (table: Dataset) ⇒ snippet load()$0
            Pipeline sub — pipeline sub(d: Dataset) -> (m: Model) ⇒ snippet sub(d: ${1:d})$0
            Op train — op train(data: Dataset, c: float = 1.0, w: Model?) -> (model: Model, score: float) ⇒ snippet train(data: ${1:data})$0
        "#]],
    );
}

#[test]
fn callee_plain_text_without_snippets() {
    check(
        &with_ops(
            "completion-plain",
            "pipeline p(d: Dataset) {\n  step fit = tr$0\n}\n",
        ),
        expect![[r#"
            replace "tr"
            Op load — op load() -> (table: Dataset) ⇒ text load()
            Pipeline sub — pipeline sub(d: Dataset) -> (m: Model) ⇒ text sub(d: d)
            Op train — op train(data: Dataset, c: float = 1.0, w: Model?) -> (model: Model, score: float) ⇒ text train(data: data)
        "#]],
    );
}

#[test]
fn callee_before_existing_parens_adds_none() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset) {\n  step fit = tr$0(data: d)\n}\n",
        ),
        expect![[r#"
            replace "tr"
            Op load — op load() -> (table: Dataset)
            Pipeline sub — pipeline sub(d: Dataset) -> (m: Model)
            Op train — op train(data: Dataset, c: float = 1.0, w: Model?) -> (model: Model, score: float)
        "#]],
    );
}

#[test]
fn outputs_after_step_dot_inside_and_outside_loop() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset, cs: list<float>) {\n  for c in cs {\n    step fit = train(data: d, c: c)\n  }\n  output best = fit.$0\n}\n",
        ),
        expect![[r#"
            replace ""
            Output model — list<Model>
            Output score — list<float>
        "#]],
    );
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset, cs: list<float>) {\n  for c in cs {\n    step fit = train(data: d, c: c)\n    step again = train(data: d, w: fit.$0)\n  }\n}\n",
        ),
        expect![[r#"
            replace ""
            Output model — Model
            Output score — float
        "#]],
    );
}

#[test]
fn outputs_after_dot_with_nothing_after_in_broken_file() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset) {\n  step a = load()\n  step b = train(data: a.$0\n",
        ),
        expect![[r#"
            replace ""
            Output table — Dataset
        "#]],
    );
}

#[test]
fn step_equals_with_nothing_after() {
    check(
        &with_ops("completion", "pipeline p(d: Dataset) {\n  step x = $0\n"),
        expect![[r#"
            replace ""
            Op load — op load() -> (table: Dataset) ⇒ snippet load()$0
            Pipeline sub — pipeline sub(d: Dataset) -> (m: Model) ⇒ snippet sub(d: ${1:d})$0
            Op train — op train(data: Dataset, c: float = 1.0, w: Model?) -> (model: Model, score: float) ⇒ snippet train(data: ${1:data})$0
        "#]],
    );
}

#[test]
fn argument_names_not_given_first() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset) {\n  step fit = train(c: 2.0, $0)\n}\n",
        ),
        expect![[r#"
            replace ""
            Argument data — data: Dataset  (required) ⇒ snippet data: $0
            Argument w — w: Model? ⇒ snippet w: $0
            Argument c — c: float = 1.0  (already given) ⇒ snippet c: $0
        "#]],
    );
}

#[test]
fn argument_values() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset, cs: list<float> = [1.0]) {\n  step a = load()\n  for c in cs {\n    step fit = train(data: $0)\n  }\n}\n",
        ),
        expect![[r#"
            replace ""
            LoopVar c — float  (loop variable)
            Param cs — cs: list<float> = [1.0]
            Param d — d: Dataset
            Step a — step = load(…)
            Keyword false
            Keyword not
            Keyword true
        "#]],
    );
}

#[test]
fn types_after_colon() {
    check(
        "@completion\n//- /main.mlf\nimport \"kinds.mlf\"\nartifact Features: Dataset\nop f(x: $0) {\n  python \"\"\"\"\"\"\n}\n//- /kinds.mlf\nartifact Table: Dataset\n",
        expect![[r#"
            replace ""
            Type bool — scalar
            Type float — scalar
            Type int — scalar
            Type string — scalar
            Type Dataset — artifact kind
            Type Dir — artifact kind
            Type Features — artifact Features: Dataset
            Type File — artifact kind
            Type Metrics — artifact kind
            Type Model — artifact kind
            Type list<…> — list<T> ⇒ snippet list<$1>$0
            Namespace kinds — import "kinds.mlf"
        "#]],
    );
    check(
        "@completion\n//- /main.mlf\nimport \"kinds.mlf\"\nop f(x: list<kinds.$0>) {\n  python \"\"\"\"\"\"\n}\n//- /kinds.mlf\nartifact Table: Dataset\n",
        expect![[r#""#]],
    );
}

#[test]
fn op_attributes_and_resources() {
    check(
        "@completion\nop f() {\n  retries = 2\n  $0\n  python \"\"\"x\"\"\"\n}\n",
        expect![[r#"
            replace ""
            Snippet python """…""" — python """ ⇒ snippet python """⏎  $0⏎"""
            Snippet python def """…""" — python def """ ⇒ snippet python def """⏎  $0⏎"""
            Snippet shell """…""" — shell """ ⇒ snippet shell """⏎  $0⏎"""
            Attribute cache — attribute ⇒ snippet cache = ${1:true}$0
            Attribute env — attribute ⇒ snippet env { ${1:NAME} = "${2:value}" }$0
            Attribute image — attribute ⇒ snippet image = "${1:python:3.12-slim}"$0
            Attribute interpreter — attribute ⇒ snippet interpreter = "${1:.venv/bin/python}"$0
            Snippet python file "…" — python file "script.py" ⇒ snippet python file "${1:script.py}"$0
            Attribute requires — attribute ⇒ snippet requires = ["${1:pandas>=2.1}"]$0
            Attribute resources — attribute ⇒ snippet resources { cpu = ${1:1}  memory = "${2:1Gi}" }$0
            Attribute timeout — attribute ⇒ snippet timeout = ${1:30m}$0
            Attribute uses — attribute ⇒ snippet uses = ["${1:src/helpers.py}"]$0
            Keyword python
            Keyword shell
        "#]],
    );
    check(
        "@completion\nop f() {\n  resources { cpu = 2  $0 }\n  python \"\"\"x\"\"\"\n}\n",
        expect![[r#"
            replace ""
            Attribute gpu — resources entry ⇒ snippet gpu = ${1:0}$0
            Attribute memory — resources entry ⇒ snippet memory = "${1:1Gi}"$0
        "#]],
    );
}

#[test]
fn pipeline_statement_keywords() {
    check(
        "@completion-plain\npipeline p() {\n  schedule = \"@daily\"\n  $0\n}\n",
        expect![[r#"
            replace ""
            Snippet for x in list { … } — for x in list { ⇒ text for x in list {⏎  ⏎}
            Snippet if cond { … } — if condition { ⇒ text if condition {⏎  ⏎}
            Snippet if cond { … } else { … } — if condition { ⇒ text if condition {⏎  ⏎} else {⏎  ⏎}
            Snippet output name = value — output name = value
            Snippet step name = op(…) — step name = op() ⇒ text step name = op()
            Attribute catchup — attribute ⇒ text catchup = false
            Keyword for
            Keyword if
            Attribute image — attribute ⇒ text image = "python:3.12-slim"
            Attribute interpreter — attribute ⇒ text interpreter = ".venv/bin/python"
            Keyword output
            Attribute owner — attribute ⇒ text owner = "team"
            Attribute retries — attribute ⇒ text retries = 2
            Attribute start_date — attribute ⇒ text start_date = "2024-01-01"
            Keyword step
            Attribute tags — attribute ⇒ text tags = ["ml"]
            Attribute timeout — attribute ⇒ text timeout = 30m
            Attribute uses — attribute ⇒ text uses = ["src/helpers.py"]
        "#]],
    );
}

#[test]
fn top_level_keywords() {
    check(
        "@completion\n$0\n",
        expect![[r#"
        replace ""
        Snippet artifact Name: Base — artifact Name: Dataset ⇒ snippet artifact ${1:Name}: ${2:Dataset}$0
        Snippet import "…" — import "ops.mlf" ⇒ snippet import "${1:ops}.mlf"$0
        Snippet op name(…) -> (…) { python } — op name(data: Dataset) -> (out: File) { ⇒ snippet op ${1:name}(${2:data}: ${3:Dataset}) -> (${4:out}: ${5:File}) {⏎  python """⏎    $0⏎  """⏎}
        Snippet pipeline name(…) { … } — pipeline name() { ⇒ snippet pipeline ${1:name}($2) {⏎  $0⏎}
        Keyword artifact
        Keyword import
        Keyword op
        Keyword pipeline
    "#]],
    );
}

#[test]
fn interpolation_names_in_body() {
    check(
        "@completion\nop f(rows: int, data: Dataset) -> (out: File) {\n  python \"\"\"\n    print(${$0\n  \"\"\"\n}\n",
        expect![[r#"
            replace ""
            Interpolation data — input: data: Dataset ⇒ text data}
            Interpolation out — output: out: File  (the path to write) ⇒ text out}
            Interpolation rows — input: rows: int ⇒ text rows}
        "#]],
    );
}

#[test]
fn namespaced_callees() {
    check(
        "@completion\n//- /main.mlf\nimport \"lib/ops.mlf\" as ml\npipeline p() {\n  step a = ml.$0\n}\n//- /lib/ops.mlf\nop load() -> (t: Dataset) {\n  python \"\"\"${t}\"\"\"\n}\n",
        expect![[r#"
            replace ""
            Op load — op load() -> (t: Dataset) ⇒ snippet load()$0
        "#]],
    );
}

#[test]
fn after_steps() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset) {\n  step a = load()\n  step b = load() after $0\n}\n",
        ),
        expect![[r#"
            replace ""
            Step a — step = load(…)
        "#]],
    );
}

#[test]
fn unicode_before_cursor() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset) {\n  // café ☕ 🚀 naïve\n  step a = load()\n  step b = train(data: a.$0)\n}\n",
        ),
        expect![[r#"
            replace ""
            Output table — Dataset
        "#]],
    );
}

#[test]
fn nothing_in_comments_and_strings() {
    check("@completion\n// step x = $0\n", expect![[r#""#]]);
    check(
        "@completion\npipeline p() {\n  schedule = \"@da$0\"\n}\n",
        expect![[r#""#]],
    );
}

#[test]
fn paths_in_import() {
    check(
        "@path ops.mlf,main.mlf,lib/,notes.txt\nimport \"$0\"\n",
        expect![[r#"
            dir Some("")
            std/ ⇒ std/ replacing ""
            ops.mlf ⇒ ops.mlf replacing ""
            lib/ ⇒ lib/ replacing ""
        "#]],
    );
    check(
        "@path train.py,helpers/\nop f() {\n  python file \"scripts/tr$0ain.py\"\n}\n",
        expect![[r#"
            dir Some("scripts/")
            train.py ⇒ train.py replacing "train.py"
            helpers/ ⇒ helpers/ replacing "train.py"
        "#]],
    );
}

#[test]
fn example_quickstart_after_dot() {
    check(
        &example("completion", "quickstart.mlf", "best.model", 0, 5),
        expect![[r#"
            replace "model"
            Output model — Model
            Output mse — float
        "#]],
    );
}

#[test]
fn example_compose_callee_in_namespace() {
    check(
        &example("completion", "compose.mlf", "ml.train", 0, 3),
        expect![[r#"
            replace "train"
            Op evaluate — op evaluate(model: Model, data: Dataset) -> (accuracy: float, report: Metrics)
            Op load_wine — op load_wine() -> (table: Dataset)
            Op notify — op notify(message: string) -> (sent: File)
            Op package — op package(model: Model, name: string, score: float) -> (release: Dir)
            Op pick_best — op pick_best(models: list<Model>, scores: list<float>) -> (model: Model, score: float)
            Op split — op split(data: Dataset, test_size: float = 0.25, seed: int = 0) -> (train: Dataset, test: Dataset)
            Op train — op train(data: Dataset, c: float) -> (model: Model)
        "#]],
    );
}

#[test]
fn else_branch_sees_then_outputs_as_optional() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset, go: bool) {\n  if go {\n    step a = load()\n  } else {\n    step b = load()\n\n    step c = train(data: a.$0)\n  }\n}\n",
        ),
        expect![[r#"
            replace ""
            Output table — Dataset?
        "#]],
    );
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset, go: bool) {\n  if go {\n    step a = load()\n  } else {\n    step b = load()\n    $0\n  }\n}\n",
        ),
        expect![[r#"
            replace ""
            Snippet for x in list { … } — for x in list { ⇒ snippet for ${1:x} in ${2:list} {⏎  $0⏎}
            Snippet if cond { … } — if condition { ⇒ snippet if ${1:condition} {⏎  $0⏎}
            Snippet if cond { … } else { … } — if condition { ⇒ snippet if ${1:condition} {⏎  $2⏎} else {⏎  $0⏎}
            Snippet output name = value — output name = value ⇒ snippet output ${1:name} = ${2:value}$0
            Snippet step name = op(…) — step name = op() ⇒ snippet step ${1:name} = ${2:op}($3)$0
            Keyword for
            Keyword if
            Keyword output
            Keyword step
        "#]],
    );
}

#[test]
fn for_list_and_if_condition_are_expressions() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset, xs: list<int>) {\n  step a = load()\n  for x in $0\n}\n",
        ),
        expect![[r#"
            replace ""
            Param d — d: Dataset
            Param xs — xs: list<int>
            Step a — step = load(…)
            Keyword false
            Keyword not
            Keyword true
        "#]],
    );
    check(
        &with_ops("completion", "pipeline p(d: Dataset, xs: list<int>) {\n  step a = load()\n  if a.score > 1 and $0 {\n  }\n}\n"),
        expect![[r#"
            replace ""
            Param d — d: Dataset
            Param xs — xs: list<int>
            Step a — step = load(…)
            Keyword false
            Keyword not
            Keyword true
        "#]],
    );
}

#[test]
fn pipeline_outputs_not_yet_set() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset) -> (m: Model, s: float) {\n  step t = train(data: d)\n  output m = t.model\n  output $0\n}\n",
        ),
        expect![[r#"
            replace ""
            Output s — float ⇒ snippet s = $0
        "#]],
    );
}

#[test]
fn artifact_base_kinds() {
    check(
        "@completion\nartifact Table: $0\n",
        expect![[r#"
            replace ""
            Type Dataset — artifact kind
            Type Dir — artifact kind
            Type File — artifact kind
            Type Metrics — artifact kind
            Type Model — artifact kind
        "#]],
    );
}

#[test]
fn import_as_and_for_in() {
    check(
        "@completion\nimport \"a.mlf\" $0\n",
        expect![[r#"
        replace ""
        Keyword as
    "#]],
    );
    check(
        &with_ops("completion", "pipeline p(xs: list<int>) {\n  for x $0\n}\n"),
        expect![[r#"
            replace ""
            Keyword in
        "#]],
    );
}

#[test]
fn after_a_call_on_the_same_line() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset) {\n  step a = load()\n  step b = load() $0\n}\n",
        ),
        expect![[r#"
            replace ""
            Keyword after
        "#]],
    );
}

#[test]
fn unicode_in_string_argument_before_cursor() {
    check(
        &with_ops(
            "completion",
            "pipeline p(d: Dataset) {\n  step a = load()\n  step b = train(data: a.table, c: 1.0, $0)\n  output é = \"ünïcödé 🚀\"\n}\n",
        ),
        expect![[r#"
            replace ""
            Argument w — w: Model? ⇒ snippet w: $0
            Argument c — c: float = 1.0  (already given) ⇒ snippet c: $0
            Argument data — data: Dataset  (required)  (already given) ⇒ snippet data: $0
        "#]],
    );
}

#[test]
fn types_in_outputs_lists_and_namespaces() {
    let ops = "//- /ops.mlf\nartifact Table: Dataset\n";
    check(
        &format!("@completion\n//- /main.mlf\nimport \"ops.mlf\"\nop f() -> (t: $0) {{\n  python \"\"\"x\"\"\"\n}}\n{ops}"),
        expect![[r#"
            replace ""
            Type bool — scalar
            Type float — scalar
            Type int — scalar
            Type string — scalar
            Type Dataset — artifact kind
            Type Dir — artifact kind
            Type File — artifact kind
            Type Metrics — artifact kind
            Type Model — artifact kind
            Type list<…> — list<T> ⇒ snippet list<$1>$0
            Namespace ops — import "ops.mlf"
        "#]],
    );
    check(
        &format!("@completion\n//- /main.mlf\nimport \"ops.mlf\"\nop f(a: ops.$0) {{\n  python \"\"\"x\"\"\"\n}}\n{ops}"),
        expect![[r#"
            replace ""
            Type Table — artifact Table: Dataset
        "#]],
    );
    check(
        &format!("@completion-plain\n//- /main.mlf\nimport \"ops.mlf\"\npipeline p(a: list<$0) {{\n}}\n{ops}"),
        expect![[r#"
            replace ""
            Type bool — scalar
            Type float — scalar
            Type int — scalar
            Type string — scalar
            Type Dataset — artifact kind
            Type Dir — artifact kind
            Type File — artifact kind
            Type Metrics — artifact kind
            Type Model — artifact kind
            Type list<…> — list<T> ⇒ text list<>
            Namespace ops — import "ops.mlf"
        "#]],
    );
}

/// After `.` on a record value (a param, a loop variable, a step's output): its fields.
#[test]
fn record_fields_after_dot() {
    let program = |value: &str| {
        format!(
            "@completion\nrecord Opts {{\n  size: float,\n  tags: list<string> = [],\n}}\n\
             op make(n: int) -> (opts: Opts) {{\n  python def \"\"\"\n    return {{\"size\": n}}\n  \"\"\"\n}}\n\
             op use(x: float) {{\n  shell \"\"\"\n    echo ${{x}}\n  \"\"\"\n}}\n\
             pipeline p(opts: Opts, all: list<Opts>) {{\n  step m = make(n: 1)\n  for o in all {{\n    step u = use(x: {value})\n  }}\n}}\n"
        )
    };
    for value in ["opts.$0", "o.$0", "m.opts.$0"] {
        check(
            &program(value),
            expect![[r#"
                replace ""
                Field size — float
                Field tags — list<string>
            "#]],
        );
    }
}
