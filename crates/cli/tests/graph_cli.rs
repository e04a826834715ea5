//! End-to-end tests of `mlforge graph`, running the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod run_support;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn examples() -> PathBuf {
    root().join("examples")
}

fn mlforge_with(dir: &Path, args: &[&str], path_env: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mlforge"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    if let Some(path) = path_env {
        command.env("PATH", path);
    }
    command.output().expect("the mlforge binary runs")
}

fn mlforge(dir: &Path, args: &[&str]) -> Output {
    mlforge_with(dir, args, None)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("output is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("errors are UTF-8")
}

fn dot_present() -> bool {
    Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A fresh folder for files a test writes.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mlforge-graph-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn dot_is_the_default_and_parses() {
    let output = mlforge(&examples(), &["graph", "quickstart.mlf"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    let dot = stdout(&output);
    assert!(dot.starts_with("digraph \"quickstart\" {"));
    mlforge_graph::parse_dot(&dot).expect("graphviz-rust parses the DOT");
    assert!(dot.contains("\"fitted\"[id=\"fitted\""));
    assert!(dot.contains("mlf_file=\"quickstart.mlf\""));
}

#[test]
fn json_has_nodes_edges_and_clusters() {
    let output = mlforge(
        &examples(),
        &[
            "graph",
            "compose.mlf",
            "--pipeline",
            "nightly",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let model: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(model["pipeline"], "nightly");
    let ids: Vec<&str> = model["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["feats", "parts", "te.fit", "te.eval", "done"]);
    assert_eq!(model["clusters"][0]["id"], "te");
    assert_eq!(model["clusters"][0]["kind"], "pipeline");
    let fit = &model["nodes"][2];
    assert_eq!(
        fit["range"][0], 28,
        "ranges are [start_line, start_column, …]"
    );
    assert_eq!(fit["op"], "ml.train");

    // One line for machines; `--pretty` indents the same model for people.
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    let pretty = mlforge(
        &examples(),
        &[
            "graph",
            "compose.mlf",
            "--pipeline",
            "nightly",
            "--format",
            "json",
            "--pretty",
        ],
    );
    assert!(stdout(&pretty).lines().count() > 100);
    let same: serde_json::Value = serde_json::from_slice(&pretty.stdout).unwrap();
    assert_eq!(same, model);
}

#[test]
fn output_goes_to_the_file_given() {
    let dir = scratch("out");
    let out = dir.join("wine.json");
    let output = mlforge(
        &examples(),
        &[
            "graph",
            "wine/pipeline.mlf",
            "--format",
            "json",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    let written = std::fs::read_to_string(&out).unwrap();
    let model: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(model["pipeline"], "wine");

    // The same bytes on every run.
    let again = mlforge(
        &examples(),
        &["graph", "wine/pipeline.mlf", "--format", "json"],
    );
    assert_eq!(stdout(&again), written);
}

#[test]
fn svg_through_dot_when_installed() {
    if !dot_present() {
        run_support::missing_tool("Graphviz's `dot` is not installed; SVG not tested");
        return;
    }
    let dir = scratch("svg");
    let out = dir.join("q.svg");
    let output = mlforge(
        &examples(),
        &[
            "graph",
            "quickstart.mlf",
            "--format",
            "svg",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.contains("<svg"));
    assert!(svg.contains("id=\"fitted\""));
    assert!(svg.contains("class=\"node step\""));
}

#[test]
fn svg_without_dot_says_how_to_install_graphviz() {
    let empty = scratch("nopath");
    let output = mlforge_with(
        &examples(),
        &["graph", "quickstart.mlf", "--format", "svg"],
        Some(empty.to_str().unwrap()),
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "error: the `dot` program from Graphviz is not installed: install it (e.g. `apt-get install graphviz`, `brew install graphviz`) or use `--format dot`\n"
    );
}

#[test]
fn unreadable_files_and_unknown_pipelines_exit_2() {
    let output = mlforge(&examples(), &["graph", "nope.mlf"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: cannot read `nope.mlf`: it does not exist\n"
    );

    let output = mlforge(&examples(), &["graph", "compose.mlf"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("defines several pipelines; choose one with --pipeline"),
        "{}",
        stderr(&output)
    );

    let output = mlforge(
        &examples(),
        &["graph", "quickstart.mlf", "--pipeline", "nope"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("has no pipeline `nope`"));
    assert_eq!(stdout(&output), "");

    let output = mlforge(&examples(), &["graph", "quickstart.mlf", "--format", "png"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn broken_steps_are_drawn_and_the_command_succeeds() {
    let dir = scratch("broken");
    let text = std::fs::read_to_string(examples().join("quickstart.mlf"))
        .unwrap()
        .replace(
            "step check  = score(model: fitted.model, data: parts.test)",
            "step check  = score(model: fitted.model, data: parts.test, colour: 3)",
        );
    std::fs::write(dir.join("q.mlf"), text).unwrap();
    let output = mlforge(&dir, &["graph", "q.mlf", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stderr(&output),
        "note: 1 part has errors and is marked broken; `mlforge check q.mlf` lists them\n"
    );
    let model: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let broken: Vec<&str> = model["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["broken"] == true)
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(broken, ["check"]);
    assert_eq!(model["nodes"].as_array().unwrap().len(), 6);
}

#[test]
fn warnings_print_nothing() {
    // W0104: an output the body never writes.
    let dir = root().join("docs/diagnostics/W0104");
    let check = mlforge(&dir, &["check", "bad.mlf"]);
    assert!(stdout(&check).contains("W0104"));
    let output = mlforge(&dir, &["graph", "bad.mlf"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stderr(&output), "");
}

#[test]
fn collapse_draws_a_cluster_as_one_node() {
    let output = mlforge(
        &examples(),
        &[
            "graph",
            "compose.mlf",
            "--pipeline",
            "nightly",
            "--collapse",
            "te",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let dot = stdout(&output);
    assert!(dot.contains("\"te\"[id=\"te\""));
    assert!(!dot.contains("\"te.fit\"["));

    let output = mlforge(
        &examples(),
        &["graph", "quickstart.mlf", "--collapse", "nope"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: cannot collapse `nope`: the clusters of `quickstart` are `for#1`, `if#1`\n"
    );
}

/// An error the graph cannot draw (in an op, or in the pipeline's params) is not silent:
/// the graph is printed, the error counted, and the exit status is 1.
#[test]
fn errors_outside_every_step_are_reported_and_fail() {
    let dir = scratch("outside");
    let op = "op a(x: int) -> (y: File) {\n  timeout = \"soon\"\n  python \"\"\"print(${x}, ${y})\"\"\"\n}\n";
    std::fs::write(
        dir.join("g.mlf"),
        format!("{op}pipeline p() {{\n  step s = a(x: 1)\n}}\n"),
    )
    .unwrap();
    for format in ["dot", "json"] {
        let output = mlforge(&dir, &["graph", "g.mlf", "--format", format]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(!output.stdout.is_empty());
        assert_eq!(
            stderr(&output),
            "error: 1 error lies outside the steps drawn, so the graph may be incomplete; `mlforge check g.mlf` lists it\n"
        );
    }
    // An error inside a step is drawn (the step is marked broken): exit 0, as before.
    std::fs::write(
        dir.join("g.mlf"),
        "op a(x: int) -> (y: File) {\n  python \"\"\"print(${x}, ${y})\"\"\"\n}\npipeline p() {\n  step s = a(x: \"one\")\n}\n",
    )
    .unwrap();
    let output = mlforge(&dir, &["graph", "g.mlf", "--format", "dot"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
