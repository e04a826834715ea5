use expect_test::expect;

use crate::support::check;

fn error_example(code: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnostics");
    std::fs::read_to_string(root.join(code).join("bad.mlf")).unwrap()
}

/// The example of `code` with a range over its whole text.
fn whole(code: &str) -> String {
    format!("@actions\n$0{}$0", error_example(code))
}

#[test]
fn e0203_stub_op_and_did_you_mean() {
    check(
        &whole("E0203"),
        expect![[r#"
            Change to `train` [quickfix E0203]
            /main.mlf
               22|   step fit  = train(data: data.table, c: 0.5)
            Create op `trian` [quickfix E0203]
            /main.mlf
            +  24| 
            +  25| op trian(data: Dataset, c: float) {
            +  26|   python """
            +  27|     # TODO: use ${data}, ${c}
            +  28|   """
            +  29| }
        "#]],
    );
}

#[test]
fn e0203_stub_with_inferred_outputs() {
    check(
        "@actions\nop load() -> (t: Dataset) {\n  python \"\"\"${t}\"\"\"\n}\nop use(m: Model, n: int) {\n  python \"\"\"${m}${n}\"\"\"\n}\npipeline p(k: int) {\n  step a = load()\n  step b = $0make$0(data: a.t, k: k, label: \"x\")\n  step c = use(m: b.model, n: 1)\n}\n",
        expect![[r#"
            Create op `make` [quickfix E0203]
            /main.mlf
            +  12| 
            +  13| op make(data: Dataset, k: int, label: string) -> (model: Model) {
            +  14|   python """
            +  15|     # TODO: use ${data}, ${k}, ${label}, ${model}
            +  16|   """
            +  17| }
        "#]],
    );
}

#[test]
fn e0203_import_from_known_file() {
    check(
        "@actions\n//- /main.mlf\n// Header.\n\n/// Doc.\npipeline p() {\n  step a = $0load$0()\n}\n//- /lib/io.mlf\nop load() -> (t: Dataset) {\n  python \"\"\"${t}\"\"\"\n}\n",
        expect![[r#"
            Create op `load` [quickfix E0203]
            /main.mlf
            +   7| 
            +   8| op load() {
            +   9|   python """
            +  10|     # TODO
            +  11|   """
            +  12| }
            Import `load` from `lib/io.mlf` [quickfix E0203]
            /main.mlf
            -   3| /// Doc.
            -   4| pipeline p() {
            -   5|   step a = load()
            +   3| import "lib/io.mlf"
            +   4| 
            +   5| /// Doc.
            +   6| pipeline p() {
            +   7|   step a = io.load()
        "#]],
    );
}

#[test]
fn e0301_missing_arguments() {
    check(
        &whole("E0301"),
        expect![[r#"
        Add missing argument `lr` [quickfix E0301]
        /main.mlf
           14|   step fit = train_mlp(data: train_set, epochs: 100, lr: 0.0)
    "#]],
    );
}

#[test]
fn e0302_remove_unknown_argument() {
    check(
        &whole("E0302"),
        expect![[r#"
        Remove the argument `shuffle` [quickfix E0302]
        /main.mlf
           22|   step parts = split(data: data.table, test_size: 0.25)
    "#]],
    );
}

#[test]
fn e0402_move_into_if() {
    check(
        &whole("E0402"),
        expect![[r#"
        Move step `serve` into `if retrain` [quickfix E0402]
        /main.mlf
           20|     step serve = deploy(model: fit.model, endpoint: "https://ml.example.com/churn")
           21|   }
           22|   // Outside the `if`, fit.model is a Model?: the step may have been skipped.
    "#]],
    );
}

#[test]
fn e0203_stub_in_imported_file_and_import_for_unknown_namespace() {
    check(
        "@actions\n//- /main.mlf\nimport \"lib.mlf\"\npipeline p() {\n  step a = lib.$0prepare$0(rows: 3)\n}\n//- /lib.mlf\nop other() {\n  python \"\"\"x\"\"\"\n}\n",
        expect![[r#"
            Create op `prepare` in `lib.mlf` [quickfix E0203]
            /lib.mlf
            +   4| 
            +   5| op prepare(rows: int) {
            +   6|   python """
            +   7|     # TODO: use ${rows}
            +   8|   """
            +   9| }
        "#]],
    );
    check(
        "@actions\n//- /app/main.mlf\npipeline p() {\n  step a = $0tools$0.load()\n}\n//- /shared/tools.mlf\nop load() -> (t: Dataset) {\n  python \"\"\"${t}\"\"\"\n}\n",
        expect![[r#"
            Add `import "../shared/tools.mlf"` [quickfix E0203]
            /app/main.mlf
            +   1| import "../shared/tools.mlf"
            +   2| 
        "#]],
    );
}

#[test]
fn e0203_use_existing_import() {
    check(
        "@actions\n//- /main.mlf\nimport \"ops.mlf\" as o\npipeline p() {\n  step a = $0load$0()\n}\n//- /ops.mlf\nop load() -> (t: Dataset) {\n  python \"\"\"${t}\"\"\"\n}\n",
        expect![[r#"
            Create op `load` [quickfix E0203]
            /main.mlf
            +   5| 
            +   6| op load() {
            +   7|   python """
            +   8|     # TODO
            +   9|   """
            +  10| }
            Use `o.load` [quickfix E0203]
            /main.mlf
                3|   step a = o.load()
        "#]],
    );
}

#[test]
fn e0301_placeholders_pick_fitting_values() {
    check(
        "@actions\nop load() -> (t: Dataset) {\n  python \"\"\"${t}\"\"\"\n}\nop fit(data: Dataset, c: float, tag: string, flags: list<bool>, m: Model) {\n  python \"\"\"${data}${c}${tag}${flags}${m}\"\"\"\n}\npipeline p(model: Model) {\n  step a = load()\n  step b = fit$0($0)\n}\n",
        expect![[r#"
            Add missing arguments `data`, `c`, `tag`, `flags`, `m` [quickfix E0301]
            /main.mlf
                9|   step b = fit(data: a.t, c: 0.0, tag: "", flags: [], m: model)
        "#]],
    );
}

#[test]
fn e0302_remove_first_middle_and_only_argument() {
    check(
        "@actions\nop f(a: int, b: int = 1) {\n  python \"\"\"${a}${b}\"\"\"\n}\npipeline p() {\n  $0step x = f(zz: 1, a: 2)\n  step y = f(a: 2, zz: 3, b: 4)\n  step z = f(a: 1,\n    zz: 2,\n  )$0\n}\n",
        expect![[r#"
            Remove the argument `zz` [quickfix E0302]
            /main.mlf
                5|   step x = f(a: 2)
            Remove the argument `zz` [quickfix E0302]
            /main.mlf
                6|   step y = f(a: 2, b: 4)
            Remove the argument `zz` [quickfix E0302]
            /main.mlf
            -   8|     zz: 2,
        "#]],
    );
    check(
        "@actions\nop f(a: int = 1) {\n  python \"\"\"${a}\"\"\"\n}\npipeline p() {\n  step x = f($0zz: 1$0)\n}\n",
        expect![[r#"
            Remove the argument `zz` [quickfix E0302]
            /main.mlf
                5|   step x = f()
        "#]],
    );
}

/// Applying each quick fix to its example leaves no diagnostic of the code it fixes.
#[test]
fn quick_fixes_fix_their_examples() {
    use mlforge_analysis::{file_diagnostics, Code};
    for code in ["E0203", "E0301", "E0302", "E0402"] {
        let count = {
            let f = crate::support::load(&whole(code));
            mlforge_ide::code_actions(&f.db, f.file, f.range, &f.files)
                .iter()
                .filter(|a| a.fixes.map(|c| c.as_str()) == Some(code))
                .count()
        };
        assert!(count > 0, "{code}: an action");
        for k in 0..count {
            // A fresh database each time: a write waits for every clone to be dropped.
            let mut f = crate::support::load(&whole(code));
            let action = mlforge_ide::code_actions(&f.db, f.file, f.range, &f.files)
                .into_iter()
                .filter(|a| a.fixes.map(|c| c.as_str()) == Some(code))
                .nth(k)
                .unwrap();
            for fe in &action.edits {
                let mut new = fe.file.text(&f.db).as_deref().unwrap_or("").to_string();
                let mut edits = fe.edits.clone();
                edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
                for e in edits {
                    new.replace_range(e.span.range(), &e.new_text);
                }
                let path = fe.file.path(&f.db).clone();
                f.db.set_file_text(&path, Some(new));
            }
            let left: Vec<Code> = file_diagnostics(&f.db, f.file)
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.code)
                .collect();
            assert!(
                left.is_empty(),
                "{code}: `{}` leaves {left:?}",
                action.title
            );
        }
    }
}
