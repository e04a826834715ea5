//! `mlforge lsp` as a process, over its standard input and output, as an editor runs it:
//! `--stdio` accepted, diagnostics for an example with an error, a hover, a bad request
//! answered with an error, the restart that sets mimalloc's lazy commit, and the exit codes
//! LSP asks for (0 after `shutdown` then `exit`, 1 after `exit` alone). The protocol in
//! depth is tested in `crates/lsp/tests`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mlforge"))
            .args(["lsp", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("mlforge lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        length = v.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err()
                    || tx.send(serde_json::from_slice(&body).unwrap()).is_err()
                {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            messages,
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = serde_json::to_vec(&message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(&body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&mut self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(30))
            .expect("the server answers")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next();
            if message["id"] == id && message.get("method").is_none() {
                return message;
            }
        }
    }

    fn wait_exit(mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().expect("an exit code");
            }
            assert!(Instant::now() < deadline, "the server exits after `exit`");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn diagnostics_hover_errors_and_a_clean_exit() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnostics/E0401/bad.mlf");
    let text = std::fs::read_to_string(&bad).unwrap();
    let uri = format!("file://{}", bad.canonicalize().unwrap().display());
    let mut server = Server::start();
    let init = server.request(
        "initialize",
        json!({"processId": null, "capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]}}}),
    );
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-8");
    assert_eq!(init["result"]["serverInfo"]["name"], "mlforge");
    // The server restarted itself (same process) with mimalloc's lazy commit set.
    let environ = std::fs::read(format!("/proc/{}/environ", server.child.id())).unwrap();
    assert!(
        environ
            .split(|&b| b == 0)
            .any(|var| var == b"MIMALLOC_ARENA_EAGER_COMMIT=0"),
        "the server runs with MIMALLOC_ARENA_EAGER_COMMIT=0"
    );
    server.notify("initialized", json!({}));
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "mlforge", "version": 1, "text": text}}),
    );
    let diagnostics = loop {
        let message = server.next();
        if message["method"] == "textDocument/publishDiagnostics" {
            break message["params"]["diagnostics"].clone();
        }
    };
    assert_eq!(diagnostics[0]["code"], "E0401");
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 11, "character": 39})
    );

    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 11, "character": 14}}),
    );
    assert!(
        hover["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("train")),
        "{hover}"
    );

    let error = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 999, "character": 0}}),
    );
    assert_eq!(error["error"]["code"], -32602);

    let shutdown = server.request("shutdown", Value::Null);
    assert!(shutdown.get("error").is_none());
    server.notify("exit", Value::Null);
    assert_eq!(server.wait_exit(), 0);
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let mut server = Server::start();
    server.request("initialize", json!({"processId": null, "capabilities": {}}));
    server.notify("exit", Value::Null);
    assert_eq!(server.wait_exit(), 1);
}
