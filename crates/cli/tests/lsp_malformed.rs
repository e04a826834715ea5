//! `mlforge lsp` as a process keeps serving after any malformed message: a body that is
//! not JSON or is truncated (-32700), `null` or another non-request (-32600), an edit whose
//! text holds half of a surrogate pair, a `Content-Length` too long or too short, bytes with
//! no header at all. Each is logged on standard error, and the session ends cleanly.

mod lsp_support;

use lsp_support::Server;
use serde_json::{json, Value};

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// The next answer (a message without a method) with `id`.
fn answer(server: &mut Server, id: Value) -> Value {
    loop {
        let message = server.next();
        if message.get("method").is_none() && message["id"] == id {
            return message;
        }
    }
}

fn symbols(server: &mut Server, uri: &str) -> Value {
    server.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    )
}

const URI: &str = "file:///malformed/a.mlf";
const TEXT: &str = "pipeline p() {\n}\n";

#[test]
fn malformed_messages_are_answered_and_the_server_goes_on() {
    let mut server = Server::initialized();
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "mlforge", "version": 1, "text": TEXT}}),
    );
    server.diagnostics(URI);

    // Truncated JSON: a parse error, with a null id (the id cannot be known).
    server.send_raw(&frame(
        r#"{"jsonrpc":"2.0","id":90,"method":"textDocument/hov"#,
    ));
    let error = answer(&mut server, Value::Null);
    assert_eq!(error["error"]["code"], -32700, "{error}");
    assert!(symbols(&mut server, URI)["result"].is_array());

    // `null`, an array, a wrong version: invalid requests.
    for body in [
        "null",
        "[1, 2]",
        r#"{"jsonrpc":"1.0","id":91,"method":"x"}"#,
    ] {
        server.send_raw(&frame(body));
        let id = if body.contains("91") {
            json!(91)
        } else {
            Value::Null
        };
        let error = answer(&mut server, id);
        assert_eq!(error["error"]["code"], -32600, "{body}: {error}");
    }
    assert!(symbols(&mut server, URI)["result"].is_array());

    // Half of a surrogate pair in an edit: read as U+FFFD, and the document stays in step.
    let change = r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///malformed/a.mlf","version":2},"contentChanges":[{"range":{"start":{"line":1,"character":0},"end":{"line":1,"character":0}},"text":"// \ud83d\n"}]}}"#;
    server.send_raw(&frame(change));
    let diagnostics = server.diagnostics(URI);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    // The edit arrived: a step typed after the comment's line is where the client thinks.
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}}, "text": " x"}]}),
    );
    let diagnostics = server.diagnostics(URI);
    assert!(
        diagnostics.is_empty(),
        "the edit landed inside the comment: {diagnostics:?}"
    );

    // A Content-Length too long, and the client waits for the answer.
    let hover = r#"{"jsonrpc":"2.0","id":92,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":"file:///malformed/a.mlf"}}}"#;
    server.send_raw(format!("Content-Length: {}\r\n\r\n{hover}", hover.len() + 50).as_bytes());
    assert!(answer(&mut server, json!(92))["result"].is_array());

    // Too short, with the next message right behind it: the first is read up to the next
    // header, the second as it is.
    let second = hover.replace("92", "93");
    server.send_raw(
        &[
            format!("Content-Length: {}\r\n\r\n{hover}", hover.len() - 30).into_bytes(),
            frame(&second),
        ]
        .concat(),
    );
    // Requests are answered concurrently: in either order.
    let mut ids = Vec::new();
    while ids.len() < 2 {
        let message = server.next();
        if message.get("method").is_none() && message["result"].is_array() {
            ids.push(message["id"].clone());
        }
    }
    ids.sort_by_key(|id| id.as_i64());
    assert_eq!(ids, [json!(92), json!(93)]);

    // Bytes without a header, then a message: skipped up to its header.
    server.send_raw(b"this is not LSP\r\n\r\n{}\r\n");
    server.send_raw(&frame(&hover.replace("92", "94")));
    assert!(answer(&mut server, json!(94))["result"].is_array());

    // A length no message has.
    server.send_raw(b"Content-Length: 99999999999999\r\n\r\n");
    server.send_raw(&frame(&hover.replace("92", "95")));
    assert!(answer(&mut server, json!(95))["result"].is_array());

    let stderr = server.stderr.clone();
    server.shut_down();
    let log = stderr.lock().unwrap().clone();
    for expected in [
        "not JSON; answered -32700",
        "answered -32600",
        "half of a UTF-16 surrogate pair",
        "Content-Length said",
        "skipped",
    ] {
        assert!(log.contains(expected), "{expected:?} in the log:\n{log}");
    }
}
