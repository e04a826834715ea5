//! The graph of real programs: JSON snapshots of the examples, DOT that graphviz-rust parses
//! and Graphviz renders, broken steps drawn and marked, escaping, determinism.

mod support;

use std::path::{Path, PathBuf};

use mlforge_analysis::items::{parse, select_pipeline};
use mlforge_analysis::Db;
use mlforge_graph::model::{ClusterKind, EdgeKind};
use mlforge_graph::{build, parse_dot, to_dot, to_dot_with, to_svg, DotOptions, GraphModel};
use mlforge_syntax::ast::Item;
use support::{dot_nodes, example, example_db, memory, model_of, root};

fn dot_present() -> bool {
    std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn quickstart_json() {
    let model = example("examples/quickstart.mlf", None);
    insta::assert_snapshot!(model.to_json_pretty());
}

#[test]
fn wine_json() {
    let model = example("examples/wine/pipeline.mlf", None);
    insta::assert_snapshot!(model.to_json_pretty());
}

#[test]
fn compose_nightly_json_inlines_the_sub_pipeline() {
    let model = example("examples/compose.mlf", Some("nightly"));
    insta::assert_snapshot!(model.to_json_pretty());

    let te = model.cluster("te").expect("the calling step is a cluster");
    assert_eq!(te.kind, ClusterKind::Pipeline);
    assert_eq!(te.source, "train_eval");
    assert!(
        model.node("te").is_none(),
        "the calling step is not also a node"
    );
    for inner in ["te.fit", "te.eval"] {
        let node = model.node(inner).expect("inlined step");
        assert_eq!(node.cluster.as_deref(), Some("te"));
    }
    let edge = |from: &str, to: &str| {
        model
            .edges
            .iter()
            .find(|e| e.from == from && e.to == to)
            .unwrap_or_else(|| panic!("an edge {from} -> {to}"))
    };
    // Into the sub-pipeline: to the inner steps that read the params.
    assert_eq!(edge("parts", "te.fit").input.as_deref(), Some("data"));
    assert_eq!(edge("parts", "te.eval").label.as_deref(), Some("test"));
    assert_eq!(edge("te.fit", "te.eval").ty.as_deref(), Some("Model"));
    // `after te`: from the whole cluster.
    assert_eq!(edge("te", "done").kind, EdgeKind::After);
}

#[test]
fn compose_nightly_dot() {
    let model = example("examples/compose.mlf", Some("nightly"));
    let dot = to_dot(&model);
    insta::assert_snapshot!(dot);
}

#[test]
fn quickstart_blocks_are_clusters_with_their_list_and_condition() {
    let model = example("examples/quickstart.mlf", None);
    let for_block = model.cluster("for#1").expect("the for block");
    assert_eq!(for_block.kind, ClusterKind::For);
    assert_eq!(for_block.label, "for lr in rates");
    assert_eq!(for_block.size, Some(3));
    let if_block = model.cluster("if#1").expect("the if block");
    assert_eq!(if_block.label, "if best.mse <= max_mse");
    assert_eq!(
        model.node("release").unwrap().cluster.as_deref(),
        Some("if#1")
    );
    let control = model
        .edges
        .iter()
        .find(|e| e.kind == EdgeKind::Control)
        .expect("the condition reads best.mse");
    assert_eq!(
        (control.from.as_str(), control.to.as_str()),
        ("best", "if#1")
    );
    assert_eq!(control.label.as_deref(), Some("mse"));
    let dot = to_dot(&model);
    assert!(dot.contains("compound=\"true\""));
    assert!(dot.contains("lhead=\"cluster_if#1\""));
    assert!(dot.contains("label=\"for lr in rates · 3 items\""));
    // A list flows out of the loop.
    let out = model
        .edges
        .iter()
        .find(|e| e.from == "fitted" && e.to == "best")
        .unwrap();
    assert_eq!(out.ty.as_deref(), Some("list<Model>"));
}

/// Every `.mlf` under `examples/` and `docs/diagnostics/` (the per-code programs).
fn example_files() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "mlf") {
                let relative = path.strip_prefix(base).unwrap();
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("examples"), &root(), &mut out);
    walk(&root().join("docs/diagnostics"), &root(), &mut out);
    out
}

/// Every pipeline of every example, with its graph.
fn example_models() -> Vec<(String, GraphModel)> {
    let db = example_db();
    let mut models = Vec::new();
    for path in example_files() {
        let file = db.file(Path::new(&path));
        let names: Vec<String> = parse(&db, file)
            .file
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Pipeline(p) => Some(p.name.text.to_string()),
                _ => None,
            })
            .collect();
        for name in names {
            let key = select_pipeline(&db, file, Some(&name)).unwrap();
            models.push((format!("{path}:{name}"), build(&db, key)));
        }
    }
    assert!(models.len() > 20, "the examples hold many pipelines");
    models
}

#[test]
fn the_dot_of_every_example_parses_and_renders() {
    let render = dot_present();
    if !render {
        println!("note: Graphviz's `dot` is not installed: DOT is parsed but not rendered");
    }
    for (name, model) in example_models() {
        let all: Vec<String> = model.clusters.iter().map(|c| c.id.clone()).collect();
        for options in [DotOptions::default(), DotOptions { collapse: all }] {
            let dot = to_dot_with(&model, &options);
            let parsed = parse_dot(&dot).unwrap_or_else(|e| panic!("{name}: {e}\n{dot}"));
            let nodes = dot_nodes(&parsed);
            if options.collapse.is_empty() {
                for node in &model.nodes {
                    let attrs = nodes
                        .get(&node.id)
                        .unwrap_or_else(|| panic!("{name}: node {}", node.id));
                    assert_eq!(attrs["id"], node.id);
                }
            }
            if render {
                let svg = to_svg(&dot).unwrap_or_else(|e| panic!("{name}: {e}\n{dot}"));
                let svg = String::from_utf8(svg).unwrap();
                assert!(svg.contains("<svg"), "{name}");
                for node in model.nodes.iter().filter(|_| options.collapse.is_empty()) {
                    let id = format!("id=\"{}\"", node.id);
                    assert!(svg.contains(&id), "{name}: {id} in the SVG");
                }
            }
        }
    }
}

#[test]
fn a_broken_step_is_drawn_and_marked_and_the_rest_is_intact() {
    let good = std::fs::read_to_string(root().join("examples/quickstart.mlf")).unwrap();
    // An unknown argument in one step, and a syntax error in another's argument list.
    let bad = good
        .replace(
            "step check  = score(model: fitted.model, data: parts.test)",
            "step check  = score(model: fitted.model, data: parts.test, colour: 3)",
        )
        .replace(
            "step data  = make_data(rows: 300)",
            "step data  = make_data(rows: 300 +)",
        );
    assert_ne!(good, bad);
    let db = memory(&[("/p/good.mlf", &good), ("/p/bad.mlf", &bad)]);
    let good = model_of(&db, "/p/good.mlf", None);
    let bad = model_of(&db, "/p/bad.mlf", None);

    let broken: Vec<&str> = bad
        .nodes
        .iter()
        .filter(|n| n.broken)
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(broken, ["data", "check"]);
    let check = bad.node("check").unwrap();
    assert!(check
        .diagnostics
        .iter()
        .any(|d| d.code == "E0302" && d.severity == "error" && d.message.contains("colour")));
    assert!(bad.node("data").unwrap().diagnostics[0]
        .code
        .starts_with("E01"));
    // Same nodes, clusters and edges as the good file.
    let ids = |m: &GraphModel| m.nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&good), ids(&bad));
    let edges = |m: &GraphModel| m.edges.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(edges(&good), edges(&bad));
    assert_eq!(good.clusters.len(), bad.clusters.len());
    assert!(good.nodes.iter().all(|n| !n.broken));

    let dot = to_dot(&bad);
    let nodes = dot_nodes(&parse_dot(&dot).unwrap());
    assert_eq!(nodes["check"]["class"], "step broken");
    assert!(nodes["check"]["style"].contains("dashed"));
    assert!(nodes["check"]["tooltip"].contains("E0302"));
    assert_eq!(nodes["parts"]["class"], "step");
}

#[test]
fn diagnostics_outside_steps_land_on_blocks_and_the_model() {
    let text = r#"
op make() -> (n: int, t: Dataset) {
  shell """
    echo 1 > ${n}; touch ${t}
  """
}
op use(x: int) -> (done: File) {
  shell """
    echo ${x} > ${done}
  """
}
pipeline p(unused: int = 1) {
  step a = make()
  if a.n {
    step b = use(x: a.n)
  }
}
"#;
    let db = memory(&[("/p/d.mlf", text)]);
    let model = model_of(&db, "/p/d.mlf", None);
    let block = model.cluster("if#1").unwrap();
    assert!(block.broken, "an int condition is an error on the if");
    assert_eq!(block.diagnostics[0].code, "E0404");
    assert!(!model.node("b").unwrap().broken);
    assert_eq!(model.diagnostics.len(), 1, "the unused param");
    assert_eq!(model.diagnostics[0].severity, "warning");
    let dot = to_dot(&model);
    assert!(dot.contains("class=\"if broken\""));
}

#[test]
fn nasty_strings_and_paths_survive_dot() {
    let text = r#"/// Strings that break naive DOT writers.
op work(text: string, items: list<string>) -> (out: File) {
  shell """
    echo ${text} ${items} > ${out}
  """
}

pipeline nasty(names: list<string> = ["a\"b", "{c}", "<d>", "é\\"], mode: string = "a") {
  step first = work(text: "say \"hi\" {to} <you> & ünïcødé ✓ \\ end\\", items: names)
  for n in ["x\"y", "<z>|{w}"] {
    step each = work(text: n, items: ["{", "}"])
  }
  if mode == "<\"x\">\\" {
    step guarded = work(text: "\n\t", items: ["]"])
  }
}
"#;
    let path = "/tmp/wé\"ird {dir}/<p> \\ q.mlf";
    let db = memory(&[(path, text)]);
    let model = model_of(&db, path, None);
    assert!(
        model.nodes.iter().all(|n| !n.broken),
        "{:?}",
        model
            .nodes
            .iter()
            .map(|n| &n.diagnostics)
            .collect::<Vec<_>>()
    );
    let dot = to_dot(&model);
    let parsed = parse_dot(&dot).unwrap_or_else(|e| panic!("{e}\n{dot}"));
    let nodes = dot_nodes(&parsed);
    assert_eq!(
        nodes["first"]["label"],
        "first\nwork\ntext: \"say \\\"hi\\\" {to} <you> & ünïcød…\nitems: names"
    );
    assert_eq!(nodes["first"]["mlf_file"], path);
    assert!(
        nodes["first"]["tooltip"].contains(r#"text: "say \"hi\" {to} <you> & ünïcødé ✓ \\ end\\""#)
    );
    assert_eq!(
        nodes["guarded"]["label"],
        "guarded\nwork\ntext: \"\\n\\t\"\nitems: [\"]\"]"
    );
    assert!(
        nodes["first"]["URL"].starts_with("/tmp/w%C3%A9%22ird%20%7Bdir%7D/%3Cp%3E%20%5C%20q.mlf#L")
    );
    let for_block = model.cluster("for#1").unwrap();
    assert_eq!(for_block.label, r#"for n in ["x\"y", "<z>|{w}"]"#);
    assert_eq!(for_block.size, Some(2));
    assert!(dot.contains(r#"label="for n in [\"x\\\"y\", \"<z>|{w}\"] · 2 items""#));
    assert!(dot.contains(r#"label="if mode == \"<\\\"x\\\">\\\\\"""#));
    if dot_present() {
        let svg = String::from_utf8(to_svg(&dot).unwrap()).unwrap();
        assert!(svg.contains("&lt;you&gt;"), "{svg}");
        assert!(svg.contains("ünïc"));
        assert!(
            svg.contains(r#"if mode == &quot;&lt;\&quot;x\&quot;&gt;\\&quot;"#),
            "{svg}"
        );
    } else {
        println!("note: Graphviz's `dot` is not installed: not rendered");
    }
}

#[test]
fn graphs_are_deterministic() {
    for (path, pipeline) in [
        ("examples/quickstart.mlf", None),
        ("examples/compose.mlf", Some("nightly")),
        ("examples/wine/pipeline.mlf", None),
    ] {
        let a = example(path, pipeline);
        let b = example(path, pipeline);
        assert_eq!(a.to_json(), b.to_json(), "{path}");
        assert_eq!(to_dot(&a), to_dot(&b), "{path}");
        // A warm database gives the same bytes too.
        let db = example_db();
        let first = model_of(&db, path, pipeline);
        let again = model_of(&db, path, pipeline);
        assert_eq!(first.to_json(), again.to_json());
        assert_eq!(a.to_json(), first.to_json());
    }
}

#[test]
fn collapsing_a_sub_pipeline_draws_one_node_with_its_edges() {
    let model = example("examples/compose.mlf", Some("nightly"));
    let dot = to_dot_with(
        &model,
        &DotOptions {
            collapse: vec!["te".to_string()],
        },
    );
    let parsed = parse_dot(&dot).unwrap();
    let nodes = dot_nodes(&parsed);
    assert!(!nodes.contains_key("te.fit"));
    assert_eq!(nodes["te"]["class"], "collapsed pipeline");
    assert_eq!(nodes["te"]["label"], "te: train_eval\n2 steps");
    assert!(dot.contains(r#""parts" -> "te" [id="data:parts.train->te.fit.data""#));
    assert!(dot.contains(r#""te" -> "done" [id="after:te->done""#));
    assert!(
        !dot.contains("te.fit.model->te.eval"),
        "inner edges disappear"
    );
}

#[test]
fn nested_and_imported_sub_pipelines_inline_with_path_ids() {
    let lib = r#"
op make() -> (t: Dataset) {
  shell """
    touch ${t}
  """
}
op fit(data: Dataset, c: float) -> (m: Model) {
  shell """
    cp ${data} ${m} # ${c}
  """
}
pipeline inner(data: Dataset, cs: list<float>) -> (m: list<Model>) {
  for c in cs {
    step f = fit(data: data, c: c)
  }
  output m = f.m
}
pipeline middle(data: Dataset) -> (models: list<Model>) {
  step sweep = inner(data: data, cs: [0.1, 1.0])
  output models = sweep.m
}
"#;
    let main = r#"
import "lib.mlf"
op count(models: list<Model>) -> (n: int) {
  shell """
    echo ${models} > ${n}
  """
}
pipeline top() {
  step src = lib.make()
  step mid = lib.middle(data: src.t)
  step n = count(models: mid.models)
}
"#;
    let db = memory(&[("/w/lib.mlf", lib), ("/w/main.mlf", main)]);
    let model = model_of(&db, "/w/main.mlf", None);
    let f = model.node("mid.sweep.f").expect("two levels inlined");
    assert_eq!(model.file_of(&f.file), "/w/lib.mlf");
    // Parts in the model's own file leave `file` out.
    assert_eq!(model.node("src").unwrap().file, None);
    assert_eq!(
        model.file_of(&model.node("src").unwrap().file),
        "/w/main.mlf"
    );
    assert_eq!(f.cluster.as_deref(), Some("mid.sweep.for#1"));
    let sweep = model.cluster("mid.sweep").unwrap();
    assert_eq!(sweep.parent.as_deref(), Some("mid"));
    assert_eq!(
        model.cluster("mid.sweep.for#1").unwrap().parent.as_deref(),
        Some("mid.sweep")
    );
    let into = model
        .edges
        .iter()
        .find(|e| e.from == "src")
        .expect("src feeds the inner step");
    assert_eq!(
        (into.to.as_str(), into.input.as_deref()),
        ("mid.sweep.f", Some("data"))
    );
    let out = model.edges.iter().find(|e| e.to == "n").unwrap();
    assert_eq!(
        (out.from.as_str(), out.label.as_deref()),
        ("mid.sweep.f", Some("m"))
    );
    assert!(parse_dot(&to_dot(&model)).is_ok());
}

#[test]
fn steps_with_the_same_name_get_distinct_ids() {
    let model = example("docs/diagnostics/E0207/bad.mlf", None);
    let ids: Vec<&str> = model.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["fit", "fit~2"]);
    assert!(model.node("fit~2").unwrap().broken);
    assert_eq!(model.node("fit~2").unwrap().label, "fit");
    let nodes = dot_nodes(&parse_dot(&to_dot(&model)).unwrap());
    assert_eq!(nodes.len(), 2);
}

#[test]
fn a_recursive_pipeline_stops_at_the_repeat() {
    let text = r#"
op id(x: int) -> (y: int) {
  shell """
    echo ${x} > ${y}
  """
}
pipeline a(x: int) -> (y: int) {
  step inner = b(x: x)
  output y = inner.y
}
pipeline b(x: int) -> (y: int) {
  step again = a(x: x)
  output y = again.y
}
"#;
    let db = memory(&[("/r/r.mlf", text)]);
    let model = model_of(&db, "/r/r.mlf", Some("a"));
    // a → inner (b) → again (a, already being inlined: a node).
    let again = model.node("inner.again").expect("the repeat stays a node");
    assert_eq!(again.op_kind, Some("pipeline"));
    assert!(model.cluster("inner").is_some());
    assert!(parse_dot(&to_dot(&model)).is_ok());
}

#[test]
fn the_svg_error_says_how_to_install_graphviz() {
    let message = mlforge_graph::SvgError::DotMissing.to_string();
    assert!(message.contains("apt-get install graphviz"));
    assert!(message.contains("brew install graphviz"));
    assert!(message.contains("--format dot"));
}

/// The second edition's loops and values as the editor draws them: `zip` and `range` on
/// their clusters (with the number of branches when the text says it), a record type by
/// its name on an edge, and the fan-in that `present` reads.
#[test]
fn zip_range_present_and_records_on_the_graph() {
    let text = r#"
record Opts { rate: float = 0.1, tags: list<string> = [] }
record Report { score: float }
op fit(c: float, seed: int, opts: Opts) -> (report: Report, score: float) {
  python """
    print(${c}, ${seed}, ${opts}, ${report}, ${score})
  """
}
op best(scores: list<float>) -> (top: float) {
  python """
    print(${scores}, ${top})
  """
}
op keep(r: Report) -> (score: float) {
  python """
    print(${r}, ${score})
  """
}
pipeline p(cs: list<float> = [0.1, 1.0, 10.0], seeds: list<int> = [1, 2, 3], opts: Opts = {}) -> (top: float, kept: float) {
  for c, seed in zip(cs, seeds) {
    if c > opts.rate {
      step f = fit(c: c, seed: seed, opts: opts)
    }
  }
  for i in range(4) {
    step g = fit(c: 1.0, seed: i, opts: {rate: opts.rate})
  }
  step b = best(scores: present(f.score))
  step k = keep(r: g.report[0])
  output top = b.top
  output kept = k.score
}
"#;
    let db = memory(&[("/p/s.mlf", text)]);
    let model = model_of(&db, "/p/s.mlf", None);
    let zip = model.cluster("for#1").expect("the zip loop");
    assert_eq!(zip.kind, ClusterKind::For);
    assert_eq!(zip.label, "for c, seed in zip(cs, seeds)");
    assert_eq!(zip.size, Some(3));
    let range = model.cluster("for#2").expect("the range loop");
    assert_eq!(range.label, "for i in range(4)");
    assert_eq!(range.size, Some(4));
    let edge = |from: &str, to: &str| {
        model
            .edges
            .iter()
            .find(|e| e.from == from && e.to == to)
            .unwrap_or_else(|| panic!("an edge {from} -> {to}: {:#?}", model.edges))
    };
    // The fan-in of a step inside an `if` inside a `for`, read through `present`.
    assert_eq!(edge("f", "b").ty.as_deref(), Some("list<float?>"));
    // A record by its name, not its fields.
    assert_eq!(edge("g", "k").ty.as_deref(), Some("list<Report>"));
}
