//! A test client for the language server, driving `mlforge_lsp::serve` in-process over a
//! pair of in-memory pipes with real JSON-RPC framing (`Content-Length` headers): the same
//! bytes as over stdio, without a process.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

pub const TIMEOUT: Duration = Duration::from_secs(20);

type Pending = Arc<Mutex<HashMap<i64, oneshot::Sender<Value>>>>;

pub struct Client {
    writer: Arc<tokio::sync::Mutex<tokio::io::WriteHalf<tokio::io::DuplexStream>>>,
    pending: Pending,
    notifications: mpsc::UnboundedReceiver<Value>,
    next_id: AtomicI64,
    pub server: tokio::task::JoinHandle<bool>,
    /// Requests the server sent us, answered with `null` (`workspace/applyEdit`: applied).
    pub server_requests: Arc<Mutex<Vec<Value>>>,
}

/// Benchmarks wait for an answer's last byte, not for this client's parse of it (a
/// 5,000-step graph takes longer to parse into a `Value` than to make): per request id, who
/// waits for its arrival.
static ARRIVALS: Mutex<Option<HashMap<i64, oneshot::Sender<()>>>> = Mutex::new(None);

/// Tells a waiter that the answer in `body` has arrived. The id is read from the end of the
/// text, where tower-lsp-server writes it (`…,"id":7}`), so that nothing parses the body
/// first; a body without one is not an answer anybody waits for.
fn arrived(body: &[u8]) {
    let mut arrivals = ARRIVALS.lock().unwrap();
    let Some(waiting) = arrivals.as_mut().filter(|w| !w.is_empty()) else {
        return;
    };
    let tail = &body[body.len().saturating_sub(32)..];
    let tail = String::from_utf8_lossy(tail);
    let id = tail
        .rsplit_once("\"id\":")
        .and_then(|(_, rest)| rest.strip_suffix('}'))
        .and_then(|n| n.trim().parse::<i64>().ok());
    if let Some(sender) = id.and_then(|id| waiting.remove(&id)) {
        let _ = sender.send(());
    }
}

/// Capabilities like VS Code's that matter here: snippets, markdown, UTF-16, hierarchical
/// symbols, code action literals, related information, dynamic file watching.
pub fn rich_capabilities() -> Value {
    json!({
        "general": { "positionEncodings": ["utf-16"] },
        "workspace": {
            "didChangeWatchedFiles": { "dynamicRegistration": true },
            "semanticTokens": { "refreshSupport": true },
        },
        "textDocument": {
            "synchronization": { "didSave": true },
            "completion": { "completionItem": { "snippetSupport": true } },
            "hover": { "contentFormat": ["markdown", "plaintext"] },
            "documentSymbol": { "hierarchicalDocumentSymbolSupport": true },
            "codeAction": { "codeActionLiteralSupport": { "codeActionKind": { "valueSet": ["quickfix", "refactor"] } } },
            "publishDiagnostics": { "relatedInformation": true, "codeDescriptionSupport": true, "tagSupport": { "valueSet": [1, 2] } },
            "rename": { "prepareSupport": true },
            "signatureHelp": { "signatureInformation": { "parameterInformation": { "labelOffsetSupport": true } } },
        }
    })
}

async fn read_message<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).await.ok()?;
    arrived(&body);
    serde_json::from_slice(&body).ok()
}

impl Client {
    /// Starts a server and initializes it with `capabilities` and `options`
    /// (`initializationOptions`); `root` becomes the workspace folder.
    pub async fn start(capabilities: Value, options: Value, root: Option<&Path>) -> Client {
        let (client_side, server_side) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_side);
        let server = tokio::spawn(mlforge_lsp::serve(server_read, server_write));
        let (client_read, client_write) = tokio::io::split(client_side);
        let writer = Arc::new(tokio::sync::Mutex::new(client_write));
        let pending: Pending = Arc::default();
        let (tx, notifications) = mpsc::unbounded_channel();
        let server_requests = Arc::new(Mutex::new(Vec::new()));
        {
            let pending = pending.clone();
            let writer = writer.clone();
            let server_requests = server_requests.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(client_read);
                while let Some(message) = read_message(&mut reader).await {
                    let has_id = message.get("id").is_some_and(|id| !id.is_null());
                    if message.get("method").is_some() && has_id {
                        // A request from the server: an edit is applied, anything else
                        // answered `null`.
                        server_requests.lock().unwrap().push(message.clone());
                        let result = if message["method"] == "workspace/applyEdit" {
                            json!({"applied": true})
                        } else {
                            Value::Null
                        };
                        let answer =
                            json!({"jsonrpc": "2.0", "id": message["id"], "result": result});
                        write(&writer, &answer).await;
                    } else if message.get("method").is_some() {
                        let _ = tx.send(message);
                    } else if let Some(id) = message.get("id").and_then(Value::as_i64) {
                        if let Some(sender) = pending.lock().unwrap().remove(&id) {
                            let _ = sender.send(message);
                        }
                    }
                }
            });
        }
        let client = Client {
            writer,
            pending,
            notifications,
            next_id: AtomicI64::new(1),
            server,
            server_requests,
        };
        let mut params = json!({
            "processId": null,
            "capabilities": capabilities,
            "initializationOptions": options,
        });
        if let Some(root) = root {
            let uri = uri(root);
            params["rootUri"] = json!(uri);
            params["workspaceFolders"] = json!([{ "uri": uri, "name": "root" }]);
        }
        let result = client
            .request("initialize", params)
            .await
            .expect("initialize");
        assert!(result["capabilities"].is_object());
        client.notify("initialized", json!({})).await;
        client
    }

    pub async fn request(&self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        write(
            &self.writer,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .await;
        let answer = tokio::time::timeout(TIMEOUT, rx)
            .await
            .unwrap_or_else(|_| panic!("no answer to {method} within {TIMEOUT:?}"))
            .expect("the reader is alive");
        match answer.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(answer["result"].clone()),
        }
    }

    /// Sends a request; returns when its answer's last byte has arrived, with a receiver of
    /// the parsed answer (for one request at a time: benchmarks).
    pub async fn request_arrived(&self, method: &str, params: Value) -> oneshot::Receiver<Value> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        let (arrived_tx, arrived_rx) = oneshot::channel();
        ARRIVALS
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .insert(id, arrived_tx);
        write(
            &self.writer,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .await;
        tokio::time::timeout(TIMEOUT, arrived_rx)
            .await
            .unwrap_or_else(|_| panic!("no answer to {method} within {TIMEOUT:?}"))
            .expect("the reader is alive");
        rx
    }

    /// Sends a request without waiting; returns its id.
    pub async fn send_request(
        &self,
        method: &str,
        params: Value,
    ) -> (i64, oneshot::Receiver<Value>) {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        write(
            &self.writer,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .await;
        (id, rx)
    }

    pub async fn notify(&self, method: &str, params: Value) {
        write(
            &self.writer,
            &json!({"jsonrpc": "2.0", "method": method, "params": params}),
        )
        .await;
    }

    /// Writes raw bytes (for malformed-message tests).
    pub async fn write_raw(&self, bytes: &[u8]) {
        let mut writer = self.writer.lock().await;
        writer.write_all(bytes).await.unwrap();
        writer.flush().await.unwrap();
    }

    /// The next notification named `method` (others are dropped).
    pub async fn notification(&mut self, method: &str) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let message = tokio::time::timeout_at(deadline, self.notifications.recv())
                .await
                .unwrap_or_else(|_| panic!("no {method} within {TIMEOUT:?}"))
                .expect("the server is alive");
            if message["method"] == method {
                return message["params"].clone();
            }
        }
    }

    /// The next `publishDiagnostics` for `uri` (at `version`, if given).
    pub async fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        loop {
            let params = self.notification("textDocument/publishDiagnostics").await;
            if params["uri"] == uri && version.is_none_or(|v| params["version"].as_i64() == Some(v))
            {
                return params["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }

    /// Notifications received so far and not yet read, drained.
    pub fn drain(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok(m) = self.notifications.try_recv() {
            out.push(m);
        }
        out
    }

    pub async fn open(&self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "mlforge", "version": 1, "text": text}}),
        )
        .await;
    }

    /// Inserts `text` at `at` (an LSP position) as version `version`.
    pub async fn insert(&self, uri: &str, version: i64, at: Value, text: &str) {
        let change = json!([{"range": {"start": at, "end": at}, "text": text}]);
        self.change(uri, version, change).await;
    }

    pub async fn change(&self, uri: &str, version: i64, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        )
        .await;
    }

    pub async fn shutdown(self) -> bool {
        self.request("shutdown", Value::Null)
            .await
            .expect("shutdown");
        self.notify("exit", Value::Null).await;
        tokio::time::timeout(TIMEOUT, self.server)
            .await
            .expect("the server stops after exit")
            .expect("the server task did not panic")
    }
}

async fn write(
    writer: &tokio::sync::Mutex<tokio::io::WriteHalf<tokio::io::DuplexStream>>,
    message: &Value,
) {
    let body = serde_json::to_vec(message).unwrap();
    let mut writer = writer.lock().await;
    writer
        .write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await
        .unwrap();
    writer.write_all(&body).await.unwrap();
    writer.flush().await.unwrap();
}

/// For benchmarks: a runtime, and a server (rich capabilities, no debounce, no graph
/// notifications) with `text` open as `uri` and checked clean.
#[allow(dead_code)]
pub fn open_clean(uri: &str, text: &str) -> (tokio::runtime::Runtime, Client) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async {
        let mut client = Client::start(
            rich_capabilities(),
            json!({"debounceMs": 0, "graphNotifications": false}),
            None,
        )
        .await;
        client.open(uri, text).await;
        let first = client.diagnostics(uri, Some(1)).await;
        assert!(first.is_empty(), "the program checks clean: {first:?}");
        client
    });
    (rt, client)
}

/// Applies LSP text edits (ASCII text, so UTF-16 columns are bytes).
#[allow(dead_code)]
pub fn apply(text: &str, edits: &Value) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let character = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + character
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, t) in edits {
        out.replace_range(s..e, &t);
    }
    out
}

pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The repository's `examples/` folder.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// The per-code programs (`docs/diagnostics/CODE/{bad,fixed}.mlf`).
pub fn diagnostics() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnostics")
}

/// A copy of `files` in a fresh temporary folder.
pub fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The LSP position (UTF-16) of the `n`th occurrence (0-based) of `needle` in `text`,
/// plus `delta` characters.
pub fn pos_of(text: &str, needle: &str, n: usize, delta: usize) -> Value {
    let offset = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("{needle:?} #{n} in the text"))
        .0;
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character = text[line_start..offset].encode_utf16().count() + delta;
    json!({"line": line, "character": character})
}
