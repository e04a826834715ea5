//! `mlforge/graph` at a new document version on the 5,000-step synthetic program, through
//! the server's own code path: `mlforge_lsp::serve` in-process over in-memory pipes with
//! real JSON-RPC framing (the test client of `tests/support`), `debounceMs: 0`, graph
//! notifications off (so that no background refresh builds the graph first).
//!
//! Each iteration makes a real edit (one digit of a `rows: 500` argument in the middle of
//! `main.mlf`, added and removed in turn), then asks for the graph:
//!
//! - `edit_then_graph`: the edit and the request together, the analysis of the new text
//!   included (a preview asking straight after a keystroke);
//! - `graph_after_diagnostics`: the edit's diagnostics have arrived (untimed); only the
//!   request is timed (a preview asking on `mlforge/graphChanged`).
//!
//! Each with the whole graph and its DOT (`whole`), the whole graph without DOT
//! (`whole_json`, what a preview laying out the JSON itself asks), and the focus of two hops
//! around the edited step with DOT (`focus`). Target: under 30 ms at 5,000 steps.
//!
//! Run: `cargo bench -p mlforge-lsp --bench graph` (`STEPS` changes the size).

#[path = "../tests/support/mod.rs"]
mod support;

use std::cell::Cell;

use divan::Bencher;
use serde_json::{json, Value};
use support::{uri, Client};

fn main() {
    divan::main();
}

fn steps() -> usize {
    std::env::var("STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000)
}

struct Session {
    rt: tokio::runtime::Runtime,
    client: tokio::sync::Mutex<Client>,
    uri: String,
    /// Where the digit goes: line and character of the end of `rows: 500`.
    at: (u64, u64),
    version: Cell<i64>,
    /// The last answer, being parsed by the client.
    parsed: std::sync::Mutex<Option<tokio::sync::oneshot::Receiver<Value>>>,
    _dir: tempfile::TempDir,
}

impl Session {
    fn start() -> Session {
        let steps = steps();
        let dir = tempfile::tempdir().expect("a temporary folder");
        mlforge_synth::write_to(dir.path(), steps).expect("the program is written");
        let path = dir.path().join("main.mlf");
        let text = std::fs::read_to_string(&path).unwrap();
        let uri = uri(&path);
        let offset = text.find("rows: 500)").expect("a `rows: 500` argument") + "rows: 500".len();
        let line = text[..offset].matches('\n').count() as u64;
        let column = (offset - text[..offset].rfind('\n').map_or(0, |i| i + 1)) as u64;
        let (rt, client) = support::open_clean(&uri, &text);
        Session {
            rt,
            client: tokio::sync::Mutex::new(client),
            uri,
            at: (line, column),
            version: Cell::new(1),
            parsed: std::sync::Mutex::new(None),
            _dir: dir,
        }
    }

    /// Adds or removes the digit, as the next version.
    async fn edit(&self) -> i64 {
        let version = self.version.get() + 1;
        self.version.set(version);
        let (line, column) = self.at;
        let end = if version % 2 == 0 { column } else { column + 1 };
        let text = if version % 2 == 0 { "1" } else { "" };
        let change = json!([{
            "range": {"start": {"line": line, "character": column}, "end": {"line": line, "character": end}},
            "text": text,
        }]);
        self.client
            .lock()
            .await
            .change(&self.uri, version, change)
            .await;
        version
    }

    fn params(&self, kind: &str) -> Value {
        let (line, column) = self.at;
        match kind {
            "whole" => json!({"uri": self.uri}),
            "whole_json" => json!({"uri": self.uri, "dot": false}),
            "focus" => json!({
                "uri": self.uri,
                "focus": {"position": {"line": line, "character": column}, "hops": 2},
            }),
            _ => unreachable!("a kind of request"),
        }
    }

    /// Asks for the graph; returns once the answer's last byte has arrived (this client's
    /// parse of it goes on untimed, see [`Session::settle`]).
    async fn graph(&self, params: Value) {
        let parsed = self
            .client
            .lock()
            .await
            .request_arrived("mlforge/graph", params)
            .await;
        *self.parsed.lock().unwrap() = Some(parsed);
    }

    /// Waits for the client to finish parsing the last answer, and drops the notifications
    /// the edits brought; returns the answer.
    async fn settle(&self) -> Option<Value> {
        let parsed = self.parsed.lock().unwrap().take();
        let answer = match parsed {
            Some(rx) => Some(rx.await.expect("the answer")["result"].take()),
            None => None,
        };
        self.client.lock().await.drain();
        answer
    }
}

const KINDS: &[&str] = &["whole", "whole_json", "focus"];

#[divan::bench(args = KINDS, sample_count = 20, sample_size = 1)]
fn edit_then_graph(bencher: Bencher, kind: &str) {
    let session = Session::start();
    let params = session.params(kind);
    session.rt.block_on(async {
        session.graph(params.clone()).await;
        let answer = session.settle().await.expect("an answer");
        let expected = mlforge_synth::step_count(steps());
        assert!(answer["total"]["nodes"].as_u64().unwrap() as usize >= expected);
    });
    bencher
        .with_inputs(|| session.rt.block_on(session.settle()))
        .bench_local_values(|_| {
            session.rt.block_on(async {
                session.edit().await;
                session.graph(params.clone()).await;
            })
        });
    session.rt.block_on(session.settle());
    let client = session.client.into_inner();
    session.rt.block_on(client.shutdown());
}

#[divan::bench(args = KINDS, sample_count = 20, sample_size = 1)]
fn graph_after_diagnostics(bencher: Bencher, kind: &str) {
    let session = Session::start();
    let params = session.params(kind);
    bencher
        .with_inputs(|| {
            session.rt.block_on(async {
                session.settle().await;
                let version = session.edit().await;
                session
                    .client
                    .lock()
                    .await
                    .diagnostics(&session.uri, Some(version))
                    .await;
            })
        })
        .bench_local_values(|()| session.rt.block_on(session.graph(params.clone())));
    session.rt.block_on(session.settle());
    let client = session.client.into_inner();
    session.rt.block_on(client.shutdown());
}
