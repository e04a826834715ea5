//! A graph edit end to end, through the server's own code path (`mlforge_lsp::serve`
//! in-process over in-memory pipes with real JSON-RPC framing, as `benches/graph.rs`):
//! `mlforge/graphEdit` → its `WorkspaceEdit` applied by the client as `didChange` → the
//! re-analysis → `mlforge/graph` (JSON only, as the graph editor asks) answered for the new
//! version. What a drop or a connection on the graph costs until the server has the new
//! picture; the webview's layout and drawing come on top (editors/vscode/bench).
//!
//! - `add_step`: a new step calling an op (`make_data`, `ops.load`), the text put back
//!   between iterations (untimed);
//! - `connect`: an input of an existing step connected to one output, then to another, in
//!   turn (each iteration replaces the argument).
//!
//! On the quickstart (`examples/quickstart.mlf`) and on the 300-step synthetic program.
//! Target: well under 300 ms end to end. Run: `cargo bench -p mlforge-lsp --bench graph_edit`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::cell::Cell;

use divan::Bencher;
use serde_json::{json, Value};
use support::{examples, uri, Client};

fn main() {
    divan::main();
}

const PROGRAMS: &[&str] = &["quickstart", "synthetic_300"];

/// What the edits of one program name.
struct Program {
    file: &'static str,
    pipeline: &'static str,
    op: &'static str,
    /// `(from step, output)` pairs connected in turn to `to`.
    sources: [(&'static str, &'static str); 2],
    to: (&'static str, &'static str),
}

fn program(name: &str) -> Program {
    match name {
        "quickstart" => Program {
            file: "quickstart.mlf",
            pipeline: "quickstart",
            op: "make_data",
            sources: [("parts", "test"), ("parts", "train")],
            to: ("check", "data"),
        },
        _ => Program {
            file: "main.mlf",
            pipeline: "synthetic",
            op: "ops.load",
            sources: [("s0_2", "table"), ("s0_0", "table")],
            to: ("s1_0", "left"),
        },
    }
}

struct Session {
    rt: tokio::runtime::Runtime,
    client: tokio::sync::Mutex<Client>,
    uri: String,
    text: String,
    program: Program,
    version: Cell<i64>,
    _dir: tempfile::TempDir,
}

impl Session {
    fn start(name: &str) -> Session {
        let program = program(name);
        let dir = tempfile::tempdir().expect("a temporary folder");
        if name == "quickstart" {
            std::fs::copy(
                examples().join("quickstart.mlf"),
                dir.path().join("quickstart.mlf"),
            )
            .expect("the quickstart is copied");
        } else {
            mlforge_synth::write_to(dir.path(), 300).expect("the program is written");
        }
        let path = dir.path().join(program.file);
        let text = std::fs::read_to_string(&path).unwrap();
        let uri = uri(&path);
        let (rt, client) = support::open_clean(&uri, &text);
        Session {
            rt,
            client: tokio::sync::Mutex::new(client),
            uri,
            text,
            program,
            version: Cell::new(1),
            _dir: dir,
        }
    }

    /// The graph edit at the current version, its answer applied as the next version, and
    /// the new graph asked for (returns once the graph's answer has arrived).
    async fn edit_and_redraw(&self, edit: Value) {
        let client = self.client.lock().await;
        let answer = client
            .request(
                "mlforge/graphEdit",
                json!({"uri": self.uri, "version": self.version.get(),
                       "pipeline": self.program.pipeline, "edit": edit}),
            )
            .await
            .expect("the edit is made");
        let mut edits: Vec<Value> = answer["edit"]["documentChanges"][0]["edits"]
            .as_array()
            .expect("text edits")
            .clone();
        // Later ranges first, so that each applies to the text its range was made for.
        let key = |e: &Value| {
            let start = &e["range"]["start"];
            (start["line"].as_u64(), start["character"].as_u64())
        };
        edits.sort_by_key(|e| std::cmp::Reverse(key(e)));
        let changes: Vec<Value> = edits
            .iter()
            .map(|e| json!({"range": e["range"], "text": e["newText"]}))
            .collect();
        let version = self.version.get() + 1;
        self.version.set(version);
        client.change(&self.uri, version, json!(changes)).await;
        let graph = client
            .request_arrived("mlforge/graph", json!({"uri": self.uri, "dot": false}))
            .await;
        drop(graph);
    }

    /// Puts the original text back as the next version and waits for its analysis
    /// (untimed, between iterations).
    async fn reset(&self) {
        let mut client = self.client.lock().await;
        client.drain();
        let version = self.version.get() + 1;
        self.version.set(version);
        client
            .change(&self.uri, version, json!([{"text": self.text}]))
            .await;
        client.diagnostics(&self.uri, Some(version)).await;
        client.drain();
    }

    fn finish(self) {
        let client = self.client.into_inner();
        self.rt.block_on(client.shutdown());
    }
}

#[divan::bench(args = PROGRAMS, sample_count = 20, sample_size = 1)]
fn add_step(bencher: Bencher, name: &str) {
    let session = Session::start(name);
    let edit = json!({"kind": "addStep", "op": session.program.op});
    bencher
        .with_inputs(|| session.rt.block_on(session.reset()))
        .bench_local_values(|()| session.rt.block_on(session.edit_and_redraw(edit.clone())));
    session.finish();
}

#[divan::bench(args = PROGRAMS, sample_count = 20, sample_size = 1)]
fn connect(bencher: Bencher, name: &str) {
    let session = Session::start(name);
    let turn = Cell::new(0usize);
    let (to, input) = session.program.to;
    bencher
        .with_inputs(|| {
            session
                .rt
                .block_on(async { session.client.lock().await.drain() });
            let (from, output) = session.program.sources[turn.get() % 2];
            turn.set(turn.get() + 1);
            json!({"kind": "connect", "from": {"step": from, "output": output},
                   "to": {"step": to, "input": input}})
        })
        .bench_local_values(|edit| session.rt.block_on(session.edit_and_redraw(edit)));
    session.finish();
}
