//! `mlforge lsp` as a process, over its standard input and output, as an editor runs it:
//! `--stdio` accepted, diagnostics for an example with an error, a hover, a bad request
//! answered with an error, the restart that sets mimalloc's lazy commit, and the exit codes
//! LSP asks for (0 after `shutdown` then `exit`, 1 after `exit` alone). The protocol in
//! depth is tested in `crates/lsp/tests`.

mod lsp_support;

use std::path::Path;

use lsp_support::Server;
use serde_json::{json, Value};

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
