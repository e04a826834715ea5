//! Artifacts in and out of the store with the real binary: artifact params with path
//! defaults (relative to the `.mlf` file, also in a sub-pipeline of another folder), an
//! earlier run's output as a param (`RUN/STEP.OUTPUT`), `run --publish DIR` and `get`.

mod run_support;

use run_support::Scratch;

const OPS: &str = r#"
op count(data: Dataset) -> (n: int, summary: File, copy: Dataset) {
  python """
    import shutil
    lines = open(${data}).read().splitlines()
    open(${n}, "w").write(str(len(lines)))
    open(${summary}, "w").write("rows=%d\n" % len(lines))
    shutil.copy(${data}, ${copy})
  """
}

op listing(folder: Dir) -> (names: string) {
  shell """
    ls ${folder} | tr '\n' ' ' > ${names}
  """
}
"#;

fn scratch() -> Scratch {
    let scratch = Scratch::new();
    scratch.write("project/ops.mlf", OPS);
    scratch.write("project/data/rows.csv", "a\nb\nc\n");
    scratch.write(
        "project/p.mlf",
        r#"import "ops.mlf"

pipeline p(raw: Dataset = "data/rows.csv") -> (rows: int, summary: File, copy: Dataset) {
  step c = ops.count(data: raw)
  output rows = c.n
  output summary = c.summary
  output copy = c.copy
}
"#,
    );
    scratch
}

#[test]
fn an_artifact_default_is_a_path_relative_to_the_file() {
    let scratch = scratch();
    // Run from the scratch folder, not the file's: the path is the file's own.
    scratch.run(&["run", "project/p.mlf"]).expect(0);
    let run = scratch.latest_run();
    assert_eq!(scratch.output(run.id, "c", "", "n"), 3);
    assert_eq!(run.params["raw"]["path"], "project/data/rows.csv");
    // A --param still wins over it.
    scratch.write("other.csv", "x\n");
    scratch
        .run(&["run", "project/p.mlf", "--param", "raw=other.csv"])
        .expect(0);
    assert_eq!(scratch.output(scratch.latest_run().id, "c", "", "n"), 1);
    // In a params file, a path is relative to the params file.
    scratch.write("conf/two.csv", "1\n2\n");
    scratch.write("conf/params.yaml", "raw: two.csv\n");
    scratch
        .run(&["run", "project/p.mlf", "--params", "conf/params.yaml"])
        .expect(0);
    assert_eq!(scratch.output(scratch.latest_run().id, "c", "", "n"), 2);
    // A default that names no file says so, and where the default is written.
    std::fs::remove_file(scratch.path().join("project/data/rows.csv")).unwrap();
    let ran = scratch.run(&["run", "project/p.mlf"]);
    ran.expect(2);
    assert!(
        ran.stderr.contains(
            "the default of param `raw`: cannot read `project/data/rows.csv`: no such file or directory"
        ),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_sub_pipeline_default_is_relative_to_its_own_file() {
    let scratch = scratch();
    // The project holds both folders (imports stay inside a project).
    scratch.write("project/mlforge.toml", "");
    scratch.write("project/lib/data/two.csv", "1\n2\n");
    scratch.write(
        "project/lib/sub.mlf",
        r#"import "../ops.mlf"

pipeline counted(raw: Dataset = "data/two.csv") -> (n: int) {
  step c = ops.count(data: raw)
  output n = c.n
}
"#,
    );
    scratch.write(
        "project/top.mlf",
        r#"import "lib/sub.mlf"

pipeline top() {
  step s = sub.counted()
}
"#,
    );
    scratch.run(&["run", "project/top.mlf"]).expect(0);
    assert_eq!(scratch.output(scratch.latest_run().id, "s.c", "", "n"), 2);
    let inputs = scratch
        .lineage()
        .run_inputs(scratch.latest_run().id)
        .unwrap();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert_eq!(inputs[0].source_path, "project/lib/data/two.csv");
}

#[test]
fn an_earlier_runs_output_may_be_a_param() {
    let scratch = scratch();
    scratch.run(&["run", "project/p.mlf"]).expect(0);
    scratch.write(
        "project/again.mlf",
        r#"import "ops.mlf"

pipeline again(raw: Dataset) {
  step c = ops.count(data: raw)
}
"#,
    );
    scratch
        .run(&["run", "project/again.mlf", "--param", "raw=latest/c.copy"])
        .expect(0);
    let run = scratch.latest_run();
    assert_eq!(scratch.output(run.id, "c", "", "n"), 3);
    assert_eq!(run.params["raw"]["path"], "latest/c.copy");
    // The same through a params file, by run number.
    scratch.write("params.yaml", "raw: 1/c.copy\n");
    scratch
        .run(&["run", "project/again.mlf", "--params", "params.yaml"])
        .expect(0);
    let mut report = String::new();
    for (value, case) in [
        ("9/c.copy", "no such run"),
        ("1/fit.copy", "no such step"),
        ("1/c.model", "no such output"),
        ("1/c.n", "a value, not an artifact"),
    ] {
        let ran = scratch.run(&[
            "plan",
            "project/again.mlf",
            "--param",
            &format!("raw={value}"),
        ]);
        assert_eq!(ran.code, 2, "{case}: {}", ran.stderr);
        report.push_str(ran.stderr.lines().next().unwrap());
        report.push('\n');
    }
    insta::assert_snapshot!(report);
}

#[test]
fn publish_copies_the_pipeline_outputs_out_of_the_store() {
    let scratch = scratch();
    let ran = scratch.run(&["run", "project/p.mlf", "--publish", "out"]);
    ran.expect(0);
    let out = scratch.path().join("out");
    assert_eq!(std::fs::read_to_string(out.join("rows")).unwrap(), "3\n");
    assert_eq!(
        std::fs::read_to_string(out.join("summary")).unwrap(),
        "rows=3\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("copy")).unwrap(),
        "a\nb\nc\n"
    );
    assert!(
        ran.stderr.contains("published `summary` to out/summary\n"),
        "{}",
        ran.stderr
    );
    // The copies are the user's: changing one leaves the store as it was.
    std::fs::write(out.join("copy"), "edited").unwrap();
    scratch.assert_store_consistent();
    // Publishing again replaces them, and says so.
    let again = scratch.run(&["run", "project/p.mlf", "--publish", "out"]);
    again.expect(0);
    assert!(
        again
            .stderr
            .contains("published `copy` to out/copy (replacing what was there)"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(out.join("copy")).unwrap(),
        "a\nb\nc\n"
    );
    // A failed run publishes nothing.
    std::fs::write(out.join("copy"), "kept").unwrap();
    let failed = scratch.run(&[
        "run",
        "project/p.mlf",
        "--publish",
        "out",
        "--param",
        "raw=missing.csv",
    ]);
    failed.expect(2);
    assert_eq!(std::fs::read_to_string(out.join("copy")).unwrap(), "kept");
}

#[test]
fn get_copies_one_output_and_never_replaces_without_force() {
    let scratch = scratch();
    scratch.run(&["run", "project/p.mlf"]).expect(0);
    let ran = scratch.run(&["get", "latest/c.summary"]);
    ran.expect(0);
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("summary")).unwrap(),
        "rows=3\n"
    );
    assert!(
        ran.stderr
            .contains("copied `c.summary` of run 1 (file, 7 bytes) to summary"),
        "{}",
        ran.stderr
    );
    let again = scratch.run(&["get", "latest/c.summary"]);
    again.expect(2);
    assert!(
        again.stderr.contains(
            "`summary` exists; add --force to replace it, or choose another path with -o"
        ),
        "{}",
        again.stderr
    );
    scratch.run(&["get", "1/c.summary", "--force"]).expect(0);
    scratch
        .run(&["get", "1/c.copy", "-o", "sub/dir/copy.csv"])
        .expect(0);
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("sub/dir/copy.csv")).unwrap(),
        "a\nb\nc\n"
    );
    let value = scratch.run(&["get", "latest/c.n", "-o", "-"]);
    value.expect(0);
    assert_eq!(value.stdout, "3\n");
    let file = scratch.run(&["get", "latest/c.summary", "-o", "-"]);
    assert_eq!(file.stdout, "rows=3\n");

    // A folder.
    scratch.write("project/tree/a.txt", "a");
    scratch.write("project/tree/b/c.txt", "c");
    scratch.write(
        "project/dir.mlf",
        r#"import "ops.mlf"

op keep(folder: Dir) -> (same: Dir) {
  shell """
    cp -r ${folder}/. ${same}/
  """
}

pipeline d(folder: Dir = "tree") {
  step k = keep(folder: folder)
  step l = ops.listing(folder: k.same)
}
"#,
    );
    scratch.run(&["run", "project/dir.mlf"]).expect(0);
    scratch
        .run(&["get", "latest/k.same", "-o", "got"])
        .expect(0);
    assert_eq!(
        std::fs::read_to_string(scratch.path().join("got/b/c.txt")).unwrap(),
        "c"
    );

    let mut report = String::new();
    for address in [
        "latest/k",
        "latest/nope.same",
        "latest/k.other",
        "7/k.same",
        "latest/k.same",
    ] {
        let ran = scratch.run(&[
            "get",
            address,
            "-o",
            if address == "latest/k.same" { "-" } else { "x" },
        ]);
        assert_eq!(ran.code, 2, "{address}: {}", ran.stderr);
        report.push_str(ran.stderr.lines().next().unwrap());
        report.push('\n');
    }
    insta::assert_snapshot!(report);
}

#[test]
fn publish_writes_lists_and_get_reads_loop_instances() {
    let scratch = Scratch::new();
    scratch.write(
        "loop.mlf",
        r#"
op note(x: int) -> (text: File, double: int) {
  shell """
    printf 'x=%s' ${x} > ${text}
    echo $((${x} * 2)) > ${double}
  """
}

pipeline l(xs: list<int> = [1, 2, 3]) -> (notes: list<File>, doubles: list<int>) {
  for x in xs {
    step n = note(x: x)
  }
  output notes = n.text
  output doubles = n.double
}
"#,
    );
    scratch
        .run(&["run", "loop.mlf", "--publish", "out"])
        .expect(0);
    let out = scratch.path().join("out");
    assert_eq!(std::fs::read_to_string(out.join("notes/0")).unwrap(), "x=1");
    assert_eq!(std::fs::read_to_string(out.join("notes/2")).unwrap(), "x=3");
    assert_eq!(
        std::fs::read_to_string(out.join("doubles")).unwrap(),
        "[2,4,6]\n"
    );
    // Fewer elements next time: the folder holds this run's, no stale ones.
    scratch
        .run(&["run", "loop.mlf", "--publish", "out", "--param", "xs=[5]"])
        .expect(0);
    let names: Vec<_> = std::fs::read_dir(out.join("notes"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["0"]);
    let got = scratch.run(&["get", "1/n[1].text", "-o", "-"]);
    got.expect(0);
    assert_eq!(got.stdout, "x=2");
}
