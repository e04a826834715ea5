//! The language server on the 5,000-step synthetic program, measured through the protocol:
//! this program starts the real `mlforge lsp` binary, talks JSON-RPC to it over its standard
//! input and output, and times each exchange in the client (so JSON encoding, the pipe and
//! the server's scheduling are all counted). Targets are `spec/PRODUCT.md`'s:
//!
//! | what | target |
//! |---|---|
//! | one-character edit → new diagnostics (debounce set to 0) | < 10 ms median, < 15 ms p95 |
//! | completion after `step.` | < 0.5 ms median, < 2 ms p99 |
//! | hover | < 0.5 ms median, < 2 ms p99 |
//! | a completion listing thousands of items (5,010) | < 10 ms |
//! | `mlforge/graph` | < 50 ms |
//! | resident memory with the file open | < 100 MiB |
//!
//! The figures measured are in `benches/README.md` ("Language server") and, with where the
//! time goes, in `crates/lsp/README.md` ("Performance").
//!
//! Run: `cargo bench -p mlforge-lsp --bench protocol`. It builds the release binary first
//! (`cargo build --release -p mlforge`), or uses `MLFORGE_BIN` when set. `STEPS` changes the
//! program's size (default 5,000), `ROUNDS` the number of timed edits (default 200).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn main() {
    let steps: usize = env_or("STEPS", 5000);
    let rounds: usize = env_or("ROUNDS", 200);
    let bin = binary();
    let dir = tempfile::tempdir().expect("a temporary folder");
    mlforge_synth::write_to(dir.path(), steps).expect("the synthetic program is written");
    let main_path = dir.path().join("main.mlf");
    let text = std::fs::read_to_string(&main_path).unwrap();
    let uri = format!("file://{}", main_path.display());
    println!(
        "mlforge lsp on the {}-step program ({} KiB in main.mlf + 2 imported files), binary {}",
        mlforge_synth::step_count(steps),
        text.len() / 1024,
        bin.display()
    );

    let mut server = Server::start(&bin, dir.path());
    let t = Instant::now();
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "mlforge", "version": 1, "text": text}}),
    );
    let first = server.wait_diagnostics(&uri, 1);
    let open_ms = ms(t.elapsed());
    assert!(
        first.as_array().is_some_and(|d| d.is_empty()),
        "the synthetic program checks clean: {first}"
    );

    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut memory = vec![("after open", server.rss_mib())];
    rows.push((
        "open → first diagnostics (cold: parse + full check)".into(),
        format!("{open_ms:.1} ms"),
        "—".into(),
    ));

    // Edits inside a step's arguments in the middle of the file, each waited for. First
    // one-character edits of a literal: `rows: 500` ↔ `rows: 5001`, alternating.
    let mut version = 1;
    let (line, col) = line_col(&text, "rows: 500)", 0, "rows: 500".len());
    let literal = [
        json!({"range": range(line, col, line, col), "text": "1"}),
        json!({"range": range(line, col, line, col + 1), "text": ""}),
    ];
    let (add, remove) = time_edits(&mut server, &uri, &mut version, &literal, rounds);
    let edit_times: Vec<Duration> = add.into_iter().chain(remove).collect();
    memory.push(("after the edits", server.rss_mib()));
    rows.push(edit_row(
        format!("edit → new diagnostics ({rounds} one-character edits)"),
        edit_times,
    ));
    // Edits that make and mend an error, as typing a reference does: `s250_3.table` ↔
    // `s250_3.tabl` (no such output).
    let needle = format!("{}.table", mlforge_synth::step_name(250, 3));
    let (line, col) = line_col(&text, &needle, 0, needle.len() - 1);
    let breaking = [
        json!({"range": range(line, col, line, col + 1), "text": ""}),
        json!({"range": range(line, col, line, col), "text": "e"}),
    ];
    let (breaks, mends) = time_edits(&mut server, &uri, &mut version, &breaking, rounds);
    rows.push(edit_row(
        format!("edit that makes an error ({})", rounds / 2),
        breaks,
    ));
    rows.push(edit_row(
        format!("edit that mends it ({})", rounds / 2),
        mends,
    ));
    // A new reference: the argument reads another step (`s250_3` ↔ `s250_1`), which
    // changes the graph's edges.
    let (line, col) = line_col(&text, &needle, 0, needle.len() - ".table".len() - 1);
    let other = [
        json!({"range": range(line, col, line, col + 1), "text": "1"}),
        json!({"range": range(line, col, line, col + 1), "text": "3"}),
    ];
    let (there, back) = time_edits(&mut server, &uri, &mut version, &other, rounds);
    rows.push(edit_row(
        format!("edit that reads another step ({rounds})"),
        there.into_iter().chain(back).collect(),
    ));

    // Completion right after the dot of `s250_3.table` (outputs of a step).
    let needle = format!("{}.table", mlforge_synth::step_name(250, 3));
    let (line, col) = line_col(&text, &needle, 0, needle.len() - "table".len());
    let params =
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col}});
    let answer = server.request("textDocument/completion", params.clone());
    let outputs = labels(&answer);
    assert!(
        outputs.iter().any(|l| l == "table"),
        "outputs after the dot: {outputs:?}"
    );
    let times = time_requests(&mut server, "textDocument/completion", &params, 1000);
    rows.push((
        format!("completion after `step.` ({} items)", outputs.len()),
        both(times, 3, "p99"),
        "< 0.5 ms median, < 2 ms p99".into(),
    ));

    // Hover on a step reference.
    let (line, col) = line_col(&text, &needle, 0, 2);
    let params =
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col}});
    let answer = server.request("textDocument/hover", params.clone());
    assert!(answer["contents"].is_object(), "a hover: {answer}");
    let times = time_requests(&mut server, "textDocument/hover", &params, 1000);
    rows.push((
        "hover on a step reference".into(),
        both(times, 3, "p99"),
        "< 0.5 ms median, < 2 ms p99".into(),
    ));

    // A completion listing thousands of items: the value of an argument of the last step,
    // where every step of the pipeline (and every param) is in scope.
    let (line, col) = line_col(&text, "name: label)", 0, "name: ".len());
    let params =
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": col}});
    let answer = server.request("textDocument/completion", params.clone());
    let count = labels(&answer).len();
    assert!(count > 1000, "thousands of items: {count}");
    let times = time_requests(&mut server, "textDocument/completion", &params, 50);
    rows.push((
        format!("completion listing {count} items"),
        both(times, 1, "p99"),
        "< 10 ms".into(),
    ));

    memory.push(("after completion and hover", server.rss_mib()));
    // The graph.
    let params = json!({"uri": uri});
    let answer = server.request("mlforge/graph", params.clone());
    let nodes = answer["graph"]["nodes"].as_array().map_or(0, Vec::len);
    assert!(nodes > steps, "the graph has the steps: {nodes}");
    let times = time_requests(&mut server, "mlforge/graph", &params, 20);
    let bytes = serde_json::to_string(&answer).map_or(0, |s| s.len());
    rows.push((
        format!(
            "mlforge/graph ({nodes} nodes, JSON + DOT, {:.1} MB)",
            bytes as f64 / 1e6
        ),
        both(times, 1, "max"),
        "< 50 ms".into(),
    ));
    let params = json!({"uri": uri, "dot": false});
    let times = time_requests(&mut server, "mlforge/graph", &params, 20);
    rows.push((
        "mlforge/graph without DOT (`dot: false`)".into(),
        both(times, 1, "max"),
        "—".into(),
    ));

    memory.push(("after mlforge/graph", server.rss_mib()));
    // Semantic tokens of the whole file (not a promise; for the record).
    let params = json!({"textDocument": {"uri": uri}});
    let times = time_requests(&mut server, "textDocument/semanticTokens/full", &params, 10);
    rows.push((
        "semantic tokens, whole file".into(),
        both(times, 1, "max"),
        "—".into(),
    ));

    memory.push(("after semantic tokens", server.rss_mib()));
    // What stays once the editor is idle (the server gives freed memory back every 2 s).
    std::thread::sleep(Duration::from_secs(5));
    server.drain();
    memory.push(("idle, with the file open", server.rss_mib()));
    let summary: Vec<String> = memory
        .iter()
        .map(|(when, mib)| format!("{mib:.0} {when}"))
        .collect();
    rows.push((
        "resident memory (VmRSS, MiB)".into(),
        summary.join(", "),
        "< 100 MiB".into(),
    ));
    server.stop();

    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    println!();
    println!("| {:w0$} | {:w1$} | target |", "measure", "result");
    println!("|{}|{}|---|", "-".repeat(w0 + 2), "-".repeat(w1 + 2));
    for (a, b, c) in rows {
        println!("| {a:w0$} | {b:w1$} | {c} |");
    }
}

/// Sends `changes[0]` and `changes[1]` alternately, `rounds` edits in all, each waited for
/// until its diagnostics arrive; returns the times of each kind.
fn time_edits(
    server: &mut Server,
    uri: &str,
    version: &mut i64,
    changes: &[Value; 2],
    rounds: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut times = (Vec::new(), Vec::new());
    for i in 0..rounds {
        *version += 1;
        let t = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": *version}, "contentChanges": [changes[i % 2]]}),
        );
        server.wait_diagnostics(uri, *version);
        // Until the notification's first byte arrives: the server's time (and the pipe's).
        let took = server.last_arrival.saturating_duration_since(t);
        if i % 2 == 0 {
            times.0.push(took)
        } else {
            times.1.push(took)
        }
        // Let the graph refresh that follows an analysis finish, as between keystrokes.
        std::thread::sleep(Duration::from_millis(30));
        server.drain();
    }
    times
}

fn edit_row(what: String, mut times: Vec<Duration>) -> (String, String, String) {
    let (median, p95, _) = stats(&mut times);
    (
        what,
        format!("{median:.2} ms median, {p95:.2} ms p95"),
        "< 10 ms median, < 15 ms p95".into(),
    )
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `mlforge` release binary: `MLFORGE_BIN`, or built now.
fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("MLFORGE_BIN") {
        return PathBuf::from(bin);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "-p", "mlforge"])
        .current_dir(&root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --release -p mlforge failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("release/mlforge")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// "server: median, tail; with the client's parse: median, tail" (tail: p99 or max).
fn both(times: (Vec<Duration>, Vec<Duration>), digits: usize, tail: &str) -> String {
    let (mut first_byte, mut parsed) = times;
    let (m1, _, t1) = stats(&mut first_byte);
    let (m2, _, t2) = stats(&mut parsed);
    format!(
        "server {m1:.digits$} ms median, {t1:.digits$} ms {tail}; parsed by the client {m2:.digits$} / {t2:.digits$} ms"
    )
}

/// Median, p95 and p99 in milliseconds.
fn stats(times: &mut [Duration]) -> (f64, f64, f64) {
    times.sort();
    let at = |q: f64| ms(times[((times.len() - 1) as f64 * q).round() as usize]);
    (at(0.5), at(0.95), at(0.99))
}

fn range(l1: usize, c1: usize, l2: usize, c2: usize) -> Value {
    json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}})
}

/// Line and UTF-16 column of the `n`th `needle`, plus `delta` bytes (ASCII text).
fn line_col(text: &str, needle: &str, n: usize, delta: usize) -> (usize, usize) {
    let offset = text.match_indices(needle).nth(n).expect("the needle").0 + delta;
    let line = text[..offset].matches('\n').count();
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    (line, text[start..offset].encode_utf16().count())
}

fn labels(answer: &Value) -> Vec<String> {
    let items = answer["items"].as_array().or(answer.as_array());
    items
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["label"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Times `n` requests (after a warm-up): until the answer's first byte arrives (the server's
/// time, the pipe included) and until the client has parsed it.
fn time_requests(
    server: &mut Server,
    method: &str,
    params: &Value,
    n: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    for _ in 0..n.min(20) {
        server.request(method, params.clone());
    }
    let mut first_byte = Vec::new();
    let mut parsed = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        server.request(method, params.clone());
        parsed.push(t.elapsed());
        first_byte.push(server.last_arrival.saturating_duration_since(t));
    }
    (first_byte, parsed)
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<(Value, Instant)>,
    next_id: i64,
    /// When the first byte of the last message read arrived (before the client parsed it).
    last_arrival: Instant,
}

impl Server {
    fn start(bin: &Path, root: &Path) -> Server {
        let mut child = Command::new(bin)
            .args(["lsp", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
                let mut arrived = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    arrived.get_or_insert_with(Instant::now);
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        length = v.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let message: Value = serde_json::from_slice(&body).unwrap();
                if tx.send((message, arrived.unwrap())).is_err() {
                    return;
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            messages,
            next_id: 1,
            last_arrival: Instant::now(),
        };
        let root_uri = format!("file://{}", root.display());
        server.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": root_uri,
                "capabilities": {
                    "general": {"positionEncodings": ["utf-16"]},
                    "textDocument": {
                        "completion": {"completionItem": {"snippetSupport": true}},
                        "hover": {"contentFormat": ["markdown"]},
                        "publishDiagnostics": {"relatedInformation": true},
                    }
                },
                "initializationOptions": {
                    "debounceMs": 0,
                    "graphNotifications": std::env::var_os("NO_GRAPH").is_none(),
                },
            }),
        );
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_vec(message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its answer (answering the server's own requests, and
    /// skipping notifications, meanwhile).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next_message();
            if message["id"] == id && message.get("method").is_none() {
                if let Some(error) = message.get("error") {
                    panic!("{method} failed: {error}");
                }
                return message["result"].clone();
            }
        }
    }

    fn next_message(&mut self) -> Value {
        let (message, arrived) = self
            .messages
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers within a minute");
        self.last_arrival = arrived;
        if message.get("method").is_some() && message.get("id").is_some() {
            let answer = json!({"jsonrpc": "2.0", "id": message["id"], "result": null});
            self.send(&answer);
        }
        message
    }

    fn wait_diagnostics(&mut self, uri: &str, version: i64) -> Value {
        loop {
            let message = self.next_message();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
                && message["params"]["version"] == version
            {
                return message["params"]["diagnostics"].clone();
            }
        }
    }

    fn drain(&mut self) {
        while let Ok((message, _)) = self.messages.try_recv() {
            if message.get("method").is_some() && message.get("id").is_some() {
                let answer = json!({"jsonrpc": "2.0", "id": message["id"], "result": null});
                self.send(&answer);
            }
        }
    }

    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "the server exits with 0 after shutdown");
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        panic!("the server did not exit after `exit`");
    }
}
