//! Injection: string params and list elements holding quotes, `$(…)`, backticks, newlines
//! and `"""` reach python and shell bodies as the exact value, and run nothing.

mod run_support;

use std::path::Path;

use run_support::Scratch;

/// Values that would break out of a naive substitution; each tries to create `PWNED`.
fn nasty(dir: &Path) -> Vec<String> {
    let pwned = dir.join("PWNED");
    let p = pwned.display();
    vec![
        "it's".to_string(),
        "say \"hi\"".to_string(),
        format!("$(touch {p})"),
        format!("`touch {p}`"),
        format!("'; touch {p}; echo '"),
        format!("\"; touch {p}; echo \""),
        format!("line one\ntouch {p}\n"),
        format!("\"\"\"; import os; os.system('touch {p}'); \"\"\""),
        format!("'''; import os; os.system('touch {p}'); '''"),
        format!("\\'; __import__('os').system('touch {p}') #"),
        format!("' + __import__('os').system('touch {p}') + '"),
        format!("{{__import__('os').system('touch {p}')}}"),
        "${HOME} $$ %s \\n \\ trailing\\".to_string(),
        "tab\there, é ✓ \u{2028} \u{7f} end ".to_string(),
        String::new(),
    ]
}

const PYTHON: &str = r#"
op py(v: string, l: list<string>) -> (code: File, dq: File, tq: File, fs: File) {
  python """
    import json
    # a comment mentioning ${v}
    json.dump({"v": ${v}, "l": ${l}}, open(${code}, "w"))
    open(${dq}, "w").write("${v}")
    open(${tq}, "w").write('''${v}''')
    open(${fs}, "w").write(f"{${v}}|${v}")
  """
}
pipeline p(v: string, l: list<string>) {
  step s = py(v: v, l: l)
}
"#;

const SHELL: &str = r#"
op sh(v: string, l: list<string>) -> (word: File, dq: File, sq: File, list: File) {
  shell """
    # a comment mentioning ${v}
    printf '%s' ${v} > ${word}
    printf '%s' "${v}" > ${dq}
    printf '%s' '${v}' > ${sq}
    printf '%s\0' ${l} > ${list}
    echo "$(printf '%s' ${v})" > /dev/null
  """
}
pipeline p(v: string, l: list<string>) {
  step s = sh(v: v, l: l)
}
"#;

const FILES: &str = r#"
op pyfile(v: string, l: list<string>) -> (out: File) {
  python file "body.py"
}
op shfile(v: string) -> (out: File) {
  shell file "body.sh"
}
pipeline p(v: string, l: list<string>) {
  step a = pyfile(v: v, l: l)
  step b = shfile(v: v)
}
"#;

const BODY_PY: &str = r#"
import json, os
io = json.load(open(os.environ["MLFORGE_IO"]))
assert io["inputs"]["v"] == os.environ["MLFORGE_IN_V"]
assert io["inputs"]["l"] == json.loads(os.environ["MLFORGE_IN_L"])
json.dump({"v": os.environ["MLFORGE_IN_V"], "l": io["inputs"]["l"]}, open(os.environ["MLFORGE_OUT_OUT"], "w"))
"#;

const BODY_SH: &str = r#"
printf '%s' "$MLFORGE_IN_V" > "$MLFORGE_OUT_OUT"
"#;

fn read_output(s: &Scratch, step: &str, name: &str) -> String {
    let run = s.latest_run();
    let value = s.output(run.id, step, "", name);
    std::fs::read_to_string(s.artifact_path(&value)).unwrap()
}

fn run_with(s: &Scratch, file: &str, value: &str, list: &[String]) {
    let v = format!("v={value}");
    let l = format!("l={}", serde_json::to_string(list).unwrap());
    s.run(&["run", file, "--param", &v, "--param", &l, "--no-cache"])
        .expect(0);
    assert!(
        !s.path().join("PWNED").exists(),
        "a value ran as code: {value:?}"
    );
}

#[test]
fn python_bodies_get_exact_values_in_code_and_in_strings() {
    let s = Scratch::new();
    s.write("p.mlf", PYTHON);
    let values = nasty(s.path());
    for value in &values {
        run_with(&s, "p.mlf", value, &values);
        let code: serde_json::Value = serde_json::from_str(&read_output(&s, "s", "code")).unwrap();
        assert_eq!(code["v"], value.as_str());
        assert_eq!(code["l"], serde_json::json!(values));
        assert_eq!(&read_output(&s, "s", "dq"), value, "inside \"…\"");
        assert_eq!(&read_output(&s, "s", "tq"), value, "inside '''…'''");
        assert_eq!(
            read_output(&s, "s", "fs"),
            format!("{value}|{value}"),
            "inside f\"…\""
        );
    }
}

#[test]
fn shell_bodies_get_exact_values_as_words_and_in_quotes() {
    let s = Scratch::new();
    s.write("p.mlf", SHELL);
    let values = nasty(s.path());
    for value in &values {
        run_with(&s, "p.mlf", value, &values);
        assert_eq!(&read_output(&s, "s", "word"), value, "as a word");
        assert_eq!(&read_output(&s, "s", "dq"), value, "inside \"…\"");
        assert_eq!(&read_output(&s, "s", "sq"), value, "inside '…'");
        let list: Vec<String> = read_output(&s, "s", "list")
            .split('\0')
            .map(str::to_string)
            .collect();
        let mut expected = values.clone();
        expected.push(String::new()); // after the last NUL
        assert_eq!(list, expected);
    }
}

#[test]
fn file_bodies_get_values_as_environment_variables() {
    let s = Scratch::new();
    s.write("p.mlf", FILES);
    s.write("body.py", BODY_PY);
    s.write("body.sh", BODY_SH);
    let values = nasty(s.path());
    for value in values.iter().filter(|v| !v.contains('\0')) {
        run_with(&s, "p.mlf", value, &values);
        let out: serde_json::Value = serde_json::from_str(&read_output(&s, "a", "out")).unwrap();
        assert_eq!(out["v"], value.as_str());
        assert_eq!(out["l"], serde_json::json!(values));
        assert_eq!(&read_output(&s, "b", "out"), value);
    }
}

#[test]
fn places_where_no_quoting_is_safe_are_refused() {
    let s = Scratch::new();
    s.write(
        "p.mlf",
        r#"
op doc(v: string) -> (out: File) {
  shell """
    cat > ${out} <<EOF
    ${v}
    EOF
  """
}
pipeline p(v: string) {
  step d = doc(v: v)
}
"#,
    );
    let pwned = s.path().join("PWNED");
    let v = format!("v=x\nEOF\ntouch {}", pwned.display());
    let ran = s.run(&["run", "p.mlf", "--param", &v]);
    ran.expect(1);
    assert!(
        ran.stderr.contains("`${v}` is inside a here-document"),
        "{}",
        ran.stderr
    );
    assert!(!pwned.exists());
}
