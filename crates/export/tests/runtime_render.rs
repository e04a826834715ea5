//! The task runtime renders bodies byte for byte as the local runner does: random values
//! of every type in random bodies (every place a `${…}` can stand in shell and Python),
//! rendered by `mlforge_runner::body::render` and by `mlforge_task.py`, must give the
//! same text, or the same refusal.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use mlforge_body::Template;
use mlforge_export::runtime;
use mlforge_ir::{Field, Interpreter, Type};
use mlforge_runner::value::RValue;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

fn text() -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        8 => proptest::char::range('a', 'e'),
        6 => proptest::sample::select(vec![
            '\'', '"', '\\', '$', '{', '}', '`', '(', ')', '#', ' ', '\n', '\r', '\t', 'é',
            '\u{85}', '\u{2028}', '\u{7f}', '\u{1}', '€', '😀', '\u{feff}', '\u{10ffff}', '\0',
        ]),
    ];
    proptest::collection::vec(chars, 0..12).prop_map(|c| c.into_iter().collect())
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        proptest::sample::select(vec![
            0.0,
            -0.0,
            0.1,
            1e-4,
            1e-5,
            9.99e-5,
            1e15,
            1e16,
            1e17,
            123456789.125,
            -2.5,
            1e300,
            5e-324,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ]),
    ]
}

fn scalar_type() -> impl Strategy<Value = Type> {
    prop_oneof![
        Just(Type::Int),
        Just(Type::Float),
        Just(Type::Bool),
        Just(Type::String),
        Just(Type::Optional {
            of: Box::new(Type::String)
        }),
    ]
}

fn a_type() -> impl Strategy<Value = Type> {
    prop_oneof![
        3 => scalar_type(),
        1 => scalar_type().prop_map(|t| Type::List { of: Box::new(t) }),
        1 => proptest::collection::vec(scalar_type(), 1..4).prop_map(|types| Type::Record {
            name: "R".into(),
            fields: types
                .into_iter()
                .enumerate()
                .map(|(i, ty)| Field { name: format!("f{i}"), ty, default: None })
                .collect(),
        }),
    ]
}

fn value_of(ty: &Type) -> BoxedStrategy<RValue> {
    match ty {
        Type::Int => any::<i64>().prop_map(RValue::Int).boxed(),
        Type::Float => float().prop_map(RValue::Float).boxed(),
        Type::Bool => any::<bool>().prop_map(RValue::Bool).boxed(),
        Type::Optional { of } => prop_oneof![Just(RValue::Absent), value_of(of)].boxed(),
        Type::List { of } => proptest::collection::vec(value_of(of), 0..4)
            .prop_map(RValue::List)
            .boxed(),
        Type::Record { fields, .. } => {
            let parts: Vec<_> = fields
                .iter()
                .map(|f| (Just(f.name.clone()), value_of(&f.ty)))
                .collect();
            parts
                .prop_map(|entries| RValue::Map(entries.into_iter().collect()))
                .boxed()
        }
        _ => text().prop_map(RValue::Str).boxed(),
    }
}

/// Code around `${v}` (and `${w}`): every place the place analysis knows.
const PYTHON: &[&str] = &[
    "x = ${v}\n",
    "print(\"a ${v} b\")\n",
    "print('${v}')\n",
    "f'{${v}}'\n",
    "f\"{${v}!r} ${w}\"\n",
    "r'${v}'\n",
    "rb\"${v}\"\n",
    "b'${v}'\n",
    "'''${v}\n${w}'''\n",
    "\"\"\"${v}\"\"\"\n",
    "# ${v}\n",
    "f'{ {\"k\": ${v}} }'\n",
    "'\\${v}'\n",
    "y = '$${v}'\n",
    "fr'{${w}}'\n",
    "z = [${v}, ${w}]\n",
    "f'''{${w}} ${v}'''\n",
    "(\n",
    ")\n",
    "'",
    "\"",
    "{",
    "}",
];
const SHELL: &[&str] = &[
    "echo ${v}\n",
    "echo \"${v}\"\n",
    "echo '${v}'\n",
    "echo $(( ${v} + 1 ))\n",
    "echo `${v}`\n",
    "cat <<EOF\n${v}\nEOF\n",
    "cat <<-'E'\n\tx\n\tE\necho ${w}\n",
    "echo $${HOME:-${v}}\n",
    "# ${v}\n",
    "echo \\${v}\n",
    "v=$(echo ${v} \"${w}\")\n",
    "echo \"$(printf %s ${w})\"\n",
    "echo $${v}\n",
    "x=\"`echo ${v}`\"\n",
    "'",
    "\"",
    "(",
    ")",
    "$(",
];

#[derive(Debug)]
struct Case {
    interpreter: Interpreter,
    body: String,
    values: BTreeMap<String, (Type, RValue)>,
}

fn case() -> impl Strategy<Value = Case> {
    let body = |snippets: &'static [&'static str]| {
        proptest::collection::vec(proptest::sample::select(snippets), 1..5)
            .prop_map(|parts| parts.concat())
    };
    let typed = || a_type().prop_flat_map(|ty| (Just(ty.clone()), value_of(&ty)));
    (
        prop_oneof![
            body(PYTHON).prop_map(|b| (Interpreter::Python, b)),
            body(SHELL).prop_map(|b| (Interpreter::Shell, b)),
        ],
        typed(),
        typed(),
        any::<bool>(),
    )
        .prop_map(|((interpreter, body), v, w, with_w)| {
            let mut values = BTreeMap::from([("v".to_string(), v)]);
            if with_w {
                values.insert("w".into(), w);
            }
            Case {
                interpreter,
                body,
                values,
            }
        })
}

/// The runner's JSON form of a value (non-finite floats as strings).
fn json(value: &RValue) -> serde_json::Value {
    value.to_json()
}

const HARNESS: &str = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
import mlforge_task as t
out = []
for case in json.load(sys.stdin):
    values = {k: t.typed(v["value"], v["type"]) for k, v in case["values"].items()}
    try:
        out.append({"ok": t.render(case["template"], values)})
    except t.StepFailed as e:
        out.append({"err": str(e)})
sys.stdout.write(json.dumps(out))
"#;

fn python() -> String {
    std::env::var("MLFORGE_PYTHON").unwrap_or_else(|_| "python3".into())
}

#[test]
fn the_runtime_renders_as_the_runner_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(runtime::FILE_NAME), runtime::source()).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 1,
        ..Config::default()
    });
    let strategy = case();
    let cases: Vec<Case> = (0..2000)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    let input: Vec<serde_json::Value> = cases
        .iter()
        .map(|c| {
            let values: serde_json::Map<String, serde_json::Value> = c
                .values
                .iter()
                .map(|(k, (ty, v))| (k.clone(), serde_json::json!({"type": ty, "value": json(v)})))
                .collect();
            let spans = mlforge_body::scan(&c.body);
            serde_json::json!({"template": Template::new(c.interpreter, &c.body, &spans), "values": values})
        })
        .collect();
    let mut child = Command::new(python())
        .arg("-c")
        .arg(HARNESS)
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the harness failed");
    let results: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), cases.len());
    let mut refused = 0;
    for (case, result) in cases.iter().zip(&results) {
        let values: BTreeMap<String, RValue> = case
            .values
            .iter()
            .map(|(k, (_, v))| (k.clone(), v.clone()))
            .collect();
        let spans = mlforge_body::scan(&case.body);
        let expected = mlforge_runner::body::render(case.interpreter, &case.body, &spans, &values);
        let got = match (result.get("ok"), result.get("err")) {
            (Some(ok), _) => Ok(ok.as_str().unwrap().to_string()),
            (_, Some(err)) => Err(err.as_str().unwrap().to_string()),
            _ => panic!("a harness result without ok or err"),
        };
        refused += usize::from(expected.is_err());
        assert_eq!(got, expected, "case {case:#?}");
    }
    // Both outcomes were exercised.
    assert!(
        refused > 0 && refused < cases.len(),
        "{refused} of {} refused",
        cases.len()
    );
}
