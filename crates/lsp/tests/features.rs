//! Each editor feature through the protocol, on the spec's examples: expected positions and
//! contents, across imported files, with Unicode before the cursor, edits that break and
//! repair, files that change on disk, and requests racing edits.

mod support;

use std::path::Path;

use serde_json::{json, Value};
use support::{examples, pos_of, rich_capabilities, uri, Client};

/// The examples folder copied to a temporary workspace.
fn example_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy(&examples(), dir.path());
    copy(&support::diagnostics(), &dir.path().join("errors"));
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

struct Doc {
    uri: String,
    text: String,
}

async fn open(client: &Client, root: &Path, rel: &str) -> Doc {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = uri(&path);
    client.open(&uri, &text).await;
    Doc { uri, text }
}

fn at(doc: &Doc, needle: &str, delta: usize) -> Value {
    json!({"textDocument": {"uri": doc.uri}, "position": pos_of(&doc.text, needle, 0, delta)})
}

fn line_of(v: &Value) -> u64 {
    v["range"]["start"]["line"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definition_goes_across_imports_and_to_steps() {
    let dir = example_workspace();
    let client = Client::start(rich_capabilities(), json!({}), Some(dir.path())).await;
    let compose = open(&client, dir.path(), "compose.mlf").await;
    // `ml.train(` → `op train` in wine/ops.mlf, line 24 (1-based).
    let result = client
        .request("textDocument/definition", at(&compose, "ml.train(", 4))
        .await
        .unwrap();
    let target = &result[0];
    assert!(
        target["uri"].as_str().unwrap().ends_with("wine/ops.mlf"),
        "{result}"
    );
    assert_eq!(line_of(target), 23);
    // `fit.model` → the step `fit`.
    let result = client
        .request("textDocument/definition", at(&compose, "fit.model", 1))
        .await
        .unwrap();
    assert_eq!(result[0]["uri"], compose.uri);
    assert_eq!(
        result[0]["range"]["start"],
        pos_of(&compose.text, "fit  = ml.train", 0, 0)
    );
    // The import's path → the file.
    let result = client
        .request("textDocument/definition", at(&compose, "wine/ops.mlf", 2))
        .await
        .unwrap();
    assert!(
        result[0]["uri"].as_str().unwrap().ends_with("wine/ops.mlf"),
        "{result}"
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_and_rename_work_across_files() {
    let dir = example_workspace();
    let client = Client::start(rich_capabilities(), json!({}), Some(dir.path())).await;
    let ops = open(&client, dir.path(), "wine/ops.mlf").await;
    let compose_uri = uri(&dir.path().join("compose.mlf"));
    let pipeline_uri = uri(&dir.path().join("wine/pipeline.mlf"));
    let refs = client
        .request(
            "textDocument/references",
            json!({
                "textDocument": {"uri": ops.uri},
                "position": pos_of(&ops.text, "op train", 0, 3),
                "context": {"includeDeclaration": true},
            }),
        )
        .await
        .unwrap();
    let uris: Vec<&str> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert!(uris.contains(&compose_uri.as_str()), "{uris:?}");
    assert!(uris.contains(&pipeline_uri.as_str()), "{uris:?}");
    assert!(uris.contains(&ops.uri.as_str()), "{uris:?}");

    let edit = client
        .request(
            "textDocument/rename",
            json!({
                "textDocument": {"uri": ops.uri},
                "position": pos_of(&ops.text, "op train", 0, 3),
                "newName": "fit_model",
            }),
        )
        .await
        .unwrap();
    let changes = edit["changes"].as_object().expect("changes by uri");
    assert!(changes.contains_key(&compose_uri), "{edit}");
    assert!(changes.contains_key(&ops.uri), "{edit}");
    for edits in changes.values() {
        for e in edits.as_array().unwrap() {
            assert_eq!(e["newText"], "fit_model");
        }
    }
    // prepareRename gives the name's range.
    let range = client
        .request("textDocument/prepareRename", at(&ops, "op train", 3))
        .await
        .unwrap();
    assert_eq!(range["start"], pos_of(&ops.text, "train(data", 0, 0));
    // Keywords and built-in types are refused with a message.
    let error = client
        .request(
            "textDocument/rename",
            json!({
                "textDocument": {"uri": ops.uri},
                "position": pos_of(&ops.text, "op train", 0, 0),
                "newName": "x",
            }),
        )
        .await
        .expect_err("refused");
    assert_eq!(error["code"], -32803);
    assert!(!error["message"].as_str().unwrap().is_empty());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_symbols_nested_or_flat_by_client_capability() {
    let dir = example_workspace();
    let client = Client::start(rich_capabilities(), json!({}), Some(dir.path())).await;
    let quick = open(&client, dir.path(), "quickstart.mlf").await;
    let tree = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": quick.uri}}),
        )
        .await
        .unwrap();
    let names: Vec<&str> = tree
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"make_data") && names.contains(&"quickstart"),
        "{names:?}"
    );
    let pipeline = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "quickstart")
        .unwrap();
    assert!(
        pipeline["children"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{pipeline}"
    );
    client.shutdown().await;

    let client = Client::start(json!({}), json!({}), Some(dir.path())).await;
    client.open(&quick.uri, &quick.text).await;
    let flat = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": quick.uri}}),
        )
        .await
        .unwrap();
    let flat = flat.as_array().unwrap();
    assert!(flat
        .iter()
        .all(|s| s.get("location").is_some() && s.get("children").is_none()));
    assert!(flat
        .iter()
        .any(|s| s["name"] == "data" && s["containerName"].is_string()));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_symbols_find_definitions_in_unopened_files() {
    let dir = example_workspace();
    let client = Client::start(rich_capabilities(), json!({}), Some(dir.path())).await;
    let _ = open(&client, dir.path(), "quickstart.mlf").await;
    // The workspace scan runs in the background after `initialized`; ask until it is done.
    let mut found = Value::Null;
    for _ in 0..50 {
        found = client
            .request("workspace/symbol", json!({"query": "featurize"}))
            .await
            .unwrap();
        if found.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let first = &found[0];
    assert_eq!(first["name"], "featurize");
    assert!(first["location"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("compose.mlf"));
    client.shutdown().await;
}

fn decode(data: &[Value]) -> Vec<[u64; 5]> {
    data.chunks(5)
        .map(|c| {
            [
                c[0].as_u64().unwrap(),
                c[1].as_u64().unwrap(),
                c[2].as_u64().unwrap(),
                c[3].as_u64().unwrap(),
                c[4].as_u64().unwrap(),
            ]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn semantic_tokens_full_and_delta() {
    let dir = example_workspace();
    let mut client = Client::start(rich_capabilities(), json!({"debounceMs": 0}), None).await;
    let quick = open(&client, dir.path(), "quickstart.mlf").await;
    let full = client
        .request(
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": quick.uri}}),
        )
        .await
        .unwrap();
    let data = full["data"].as_array().unwrap().clone();
    assert!(data.len() > 100 && data.len() % 5 == 0);
    // Absolute positions of the tokens, to find the `op` keyword of line 5.
    let mut line = 0;
    let mut col = 0;
    let mut absolute = Vec::new();
    for t in decode(&data) {
        if t[0] > 0 {
            line += t[0];
            col = t[1];
        } else {
            col += t[1];
        }
        absolute.push((line, col, t[2], t[3]));
    }
    let op_line = pos_of(&quick.text, "op make_data", 0, 0)["line"]
        .as_u64()
        .unwrap();
    let keyword = absolute
        .iter()
        .find(|t| t.0 == op_line && t.1 == 0)
        .expect("`op`");
    assert_eq!(keyword.2, 2);
    assert_eq!(keyword.3, 0, "`keyword` is type 0 of the legend");
    let name = absolute
        .iter()
        .find(|t| t.0 == op_line && t.1 == 3)
        .expect("`make_data`");
    assert_eq!(name.2, 9);
    assert_eq!(name.3, 1, "ops are `function`, type 1 of the legend");

    // Edit, then a delta against the first answer reconstructs the new full tokens.
    let insert_at = pos_of(&quick.text, "step data  =", 0, 0);
    client
        .change(
            &quick.uri,
            2,
            json!([{"range": {"start": insert_at, "end": insert_at}, "text": "step extra = make_data()\n  "}]),
        )
        .await;
    client.diagnostics(&quick.uri, Some(2)).await;
    let delta = client
        .request(
            "textDocument/semanticTokens/full/delta",
            json!({"textDocument": {"uri": quick.uri}, "previousResultId": full["resultId"]}),
        )
        .await
        .unwrap();
    let mut rebuilt = data.clone();
    let mut edits = delta["edits"].as_array().expect("a delta").clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e["start"].as_u64().unwrap()));
    for e in edits {
        let start = e["start"].as_u64().unwrap() as usize;
        let count = e["deleteCount"].as_u64().unwrap() as usize;
        let insert = e["data"].as_array().cloned().unwrap_or_default();
        rebuilt.splice(start..start + count, insert);
    }
    let fresh = client
        .request(
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": quick.uri}}),
        )
        .await
        .unwrap();
    assert_eq!(&rebuilt, fresh["data"].as_array().unwrap());
    // An unknown previous result id gets full tokens.
    let again = client
        .request(
            "textDocument/semanticTokens/full/delta",
            json!({"textDocument": {"uri": quick.uri}, "previousResultId": "nope"}),
        )
        .await
        .unwrap();
    assert!(again["data"].is_array());
    client.shutdown().await;
}

/// A client with VS Code-like capabilities on `root`, diagnostics without debounce.
async fn eager_client(root: &Path) -> Client {
    Client::start(rich_capabilities(), json!({"debounceMs": 0}), Some(root)).await
}

/// Opens the E0203 example (an unknown op, which has quick fixes) and returns it with
/// its E0203 diagnostic.
async fn open_e0203(client: &mut Client, root: &Path) -> (Doc, Value) {
    let bad = open(client, root, "errors/E0203/bad.mlf").await;
    let diagnostics = client.diagnostics(&bad.uri, Some(1)).await;
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == "E0203")
        .expect("E0203")
        .clone();
    (bad, d)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_actions_offer_quick_fixes_with_edits() {
    let dir = example_workspace();
    let mut client = eager_client(dir.path()).await;
    let (bad, d) = open_e0203(&mut client, dir.path()).await;
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": bad.uri},
                "range": d["range"],
                "context": {"diagnostics": [d]},
            }),
        )
        .await
        .unwrap();
    let actions = actions.as_array().unwrap();
    assert!(!actions.is_empty(), "a quick fix for E0203");
    for a in actions {
        assert!(a["title"].is_string());
        assert!(a["edit"]["changes"].is_object(), "{a}");
    }
    let fix = actions
        .iter()
        .find(|a| a["kind"] == "quickfix")
        .expect("a quick fix");
    assert_eq!(fix["diagnostics"][0]["code"], "E0203");
    client.shutdown().await;
}

/// A client without `CodeAction` literals gets each fix as the command `mlforge.applyEdit`;
/// running it makes the server send the fix's edit as `workspace/applyEdit`, and a fix
/// offered before an edit is refused after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixes_reach_clients_without_literals_as_commands() {
    let dir = example_workspace();
    let capabilities = json!({"workspace": {"applyEdit": true}});
    let mut client = Client::start(capabilities, json!({"debounceMs": 0}), Some(dir.path())).await;
    let (bad, d) = open_e0203(&mut client, dir.path()).await;
    let params = json!({
        "textDocument": {"uri": bad.uri},
        "range": d["range"],
        "context": {"diagnostics": [d]},
    });
    let actions = client
        .request("textDocument/codeAction", params.clone())
        .await
        .unwrap();
    let commands = actions.as_array().unwrap();
    assert!(!commands.is_empty(), "a fix for E0203");
    for c in commands {
        assert_eq!(c["command"], "mlforge.applyEdit", "{c}");
        assert!(c.get("edit").is_none(), "a command, not a CodeAction: {c}");
    }
    let fix = &commands[0];
    let expected_edit = fix["arguments"][0]["edit"].clone();
    assert!(expected_edit["changes"][&bad.uri].is_array(), "{fix}");
    let run = json!({"command": fix["command"], "arguments": fix["arguments"]});
    let answer = client
        .request("workspace/executeCommand", run.clone())
        .await;
    assert_eq!(answer, Ok(Value::Null));
    let sent: Vec<Value> = client.server_requests.lock().unwrap().clone();
    let apply = sent
        .iter()
        .find(|r| r["method"] == "workspace/applyEdit")
        .expect("the server asked the client to apply the edit");
    assert_eq!(apply["params"]["edit"], expected_edit);

    // After an edit of the document, the old fix no longer applies.
    client
        .insert(&bad.uri, 2, json!({"line": 0, "character": 0}), "\n")
        .await;
    let stale = client.request("workspace/executeCommand", run).await;
    assert_eq!(stale.unwrap_err()["code"], -32801, "ContentModified");
    // Malformed or unknown commands get errors, not a crash.
    let unknown = client
        .request(
            "workspace/executeCommand",
            json!({"command": "mlforge.nope", "arguments": []}),
        )
        .await;
    assert_eq!(unknown.unwrap_err()["code"], -32602);
    let malformed = client
        .request(
            "workspace/executeCommand",
            json!({"command": "mlforge.applyEdit", "arguments": [{"edit": 3}]}),
        )
        .await;
    assert_eq!(malformed.unwrap_err()["code"], -32602);
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_lenses_above_pipelines_and_steps() {
    let dir = example_workspace();
    let client = Client::start(rich_capabilities(), json!({}), None).await;
    let quick = open(&client, dir.path(), "quickstart.mlf").await;
    let lenses = client
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": quick.uri}}),
        )
        .await
        .unwrap();
    let lenses = lenses.as_array().unwrap();
    let commands: Vec<&str> = lenses
        .iter()
        .map(|l| l["command"]["command"].as_str().unwrap())
        .collect();
    for wanted in [
        "mlforge.run",
        "mlforge.plan",
        "mlforge.showGraph",
        "mlforge.runStep",
        "mlforge.runFrom",
    ] {
        assert!(commands.contains(&wanted), "{commands:?}");
    }
    let pipeline_line = pos_of(&quick.text, "pipeline quickstart", 0, 0)["line"]
        .as_u64()
        .unwrap();
    assert!(lenses
        .iter()
        .any(|l| l["command"]["command"] == "mlforge.run" && line_of(l) == pipeline_line));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_help_inlay_hints_highlights_folding_and_selection() {
    let dir = example_workspace();
    let client = Client::start(rich_capabilities(), json!({}), None).await;
    let quick = open(&client, dir.path(), "quickstart.mlf").await;
    let uri = json!({"uri": quick.uri});

    let help = client
        .request(
            "textDocument/signatureHelp",
            at(&quick, "make_data(rows: 300)", 10),
        )
        .await
        .unwrap();
    let signature = &help["signatures"][0];
    assert!(
        signature["label"]
            .as_str()
            .unwrap()
            .starts_with("make_data("),
        "{help}"
    );
    let label = signature["label"].as_str().unwrap();
    let first = &signature["parameters"][0]["label"];
    let [s, e] = [
        first[0].as_u64().unwrap() as usize,
        first[1].as_u64().unwrap() as usize,
    ];
    assert!(label
        .encode_utf16()
        .skip(s)
        .take(e - s)
        .map(|u| u as u8 as char)
        .collect::<String>()
        .starts_with("rows"));

    let end = json!({"line": quick.text.lines().count(), "character": 0});
    let hints = client
        .request(
            "textDocument/inlayHint",
            json!({"textDocument": uri, "range": {"start": {"line": 0, "character": 0}, "end": end}}),
        )
        .await
        .unwrap();
    let hints = hints.as_array().unwrap();
    assert!(!hints.is_empty());
    assert!(hints
        .iter()
        .all(|h| h["kind"] == 1 && h["label"].is_string()));

    let highlights = client
        .request("textDocument/documentHighlight", at(&quick, "best.mse", 1))
        .await
        .unwrap();
    assert!(highlights.as_array().unwrap().len() >= 3, "{highlights}");

    let folds = client
        .request("textDocument/foldingRange", json!({"textDocument": uri}))
        .await
        .unwrap();
    let folds = folds.as_array().unwrap();
    assert!(folds.len() >= 7, "{folds:?}");
    assert!(folds
        .iter()
        .all(|f| f["startLine"].as_u64() < f["endLine"].as_u64()));

    let ranges = client
        .request(
            "textDocument/selectionRange",
            json!({"textDocument": uri, "positions": [pos_of(&quick.text, "parts.train", 0, 2)]}),
        )
        .await
        .unwrap();
    let mut range = &ranges[0];
    let mut depth = 0;
    while range.is_object() {
        depth += 1;
        range = &range["parent"];
    }
    assert!(depth >= 3, "{ranges}");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snippets_only_for_clients_that_support_them() {
    let dir = example_workspace();
    let text = "\n";
    let path = dir.path().join("empty.mlf");
    std::fs::write(&path, text).unwrap();
    let file = uri(&path);
    let ask = json!({"textDocument": {"uri": file}, "position": {"line": 0, "character": 0}});

    let client = Client::start(rich_capabilities(), json!({}), None).await;
    client.open(&file, text).await;
    let with = client
        .request("textDocument/completion", ask.clone())
        .await
        .unwrap();
    let with = with["items"].as_array().unwrap().clone();
    assert!(
        with.iter().any(|i| i["insertTextFormat"] == 2),
        "snippets offered"
    );
    client.shutdown().await;

    let client = Client::start(json!({}), json!({}), None).await;
    client.open(&file, text).await;
    let without = client
        .request("textDocument/completion", ask)
        .await
        .unwrap();
    let without = without["items"].as_array().unwrap().clone();
    assert!(!without.is_empty());
    for item in &without {
        assert_ne!(item["insertTextFormat"], 2, "{item}");
        let text = item["textEdit"]["newText"].as_str().unwrap();
        assert!(!text.contains("${") && !text.contains("$0"), "{item}");
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicode_before_the_cursor_in_utf16_and_utf8() {
    let text = "op make(x: int) -> (out: int) {\n  shell \"\"\"echo ${x} > ${out}\"\"\"\n}\n\npipeline p() {\n  step a = make(x: 1)\n  step b = make(x: 2) /* 🦀 é e\u{301} 汉 */ after a\n}\n";
    for encoding in ["utf-16", "utf-8"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u.mlf");
        std::fs::write(&path, text).unwrap();
        let file = uri(&path);
        let mut caps = rich_capabilities();
        caps["general"]["positionEncodings"] = json!([encoding]);
        let client = Client::start(caps, json!({}), None).await;
        client.open(&file, text).await;
        // The `a` after `after`, behind the emoji and combining characters.
        let offset = text.rfind(" a\n").unwrap() + 1;
        let line_start = text[..offset].rfind('\n').unwrap() + 1;
        let column = if encoding == "utf-8" {
            offset - line_start
        } else {
            text[line_start..offset].encode_utf16().count()
        };
        let line = text[..offset].matches('\n').count();
        let result = client
            .request(
                "textDocument/definition",
                json!({"textDocument": {"uri": file}, "position": {"line": line, "character": column}}),
            )
            .await
            .unwrap();
        assert_eq!(
            result[0]["range"]["start"],
            pos_of(text, "a = make", 0, 0),
            "{encoding}: {result}"
        );
        let highlights = client
            .request(
                "textDocument/documentHighlight",
                json!({"textDocument": {"uri": file}, "position": {"line": line, "character": column}}),
            )
            .await
            .unwrap();
        let last = highlights
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["range"]["start"]["character"].as_u64().unwrap())
            .max()
            .unwrap();
        assert_eq!(
            last as usize, column,
            "{encoding}: the range comes back in the same units"
        );
        client.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_imported_file_updates_the_open_files_that_import_it() {
    let dir = example_workspace();
    let mut client = eager_client(dir.path()).await;
    let pipeline = open(&client, dir.path(), "wine/pipeline.mlf").await;
    assert!(client.diagnostics(&pipeline.uri, Some(1)).await.is_empty());
    let ops = open(&client, dir.path(), "wine/ops.mlf").await;
    // Rename `op train` to `op trainer`: the pipeline's call breaks.
    let p = pos_of(&ops.text, "op train", 0, 8);
    client
        .change(
            &ops.uri,
            2,
            json!([{"range": {"start": p, "end": p}, "text": "er"}]),
        )
        .await;
    let broken = client.diagnostics(&pipeline.uri, Some(1)).await;
    let broken = if broken.is_empty() {
        client.diagnostics(&pipeline.uri, Some(1)).await
    } else {
        broken
    };
    assert!(broken.iter().any(|d| d["code"] == "E0203"), "{broken:#?}");
    let end = json!({"line": p["line"], "character": p["character"].as_u64().unwrap() + 2});
    client
        .change(
            &ops.uri,
            3,
            json!([{"range": {"start": p, "end": end}, "text": ""}]),
        )
        .await;
    loop {
        if client.diagnostics(&pipeline.uri, Some(1)).await.is_empty() {
            break;
        }
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_changed_deleted_or_junk_on_disk_and_import_cycles() {
    let dir = example_workspace();
    let mut client = eager_client(dir.path()).await;
    // The watcher is registered dynamically.
    for _ in 0..100 {
        if !client.server_requests.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let registration = client.server_requests.lock().unwrap()[0].clone();
    assert_eq!(registration["method"], "client/registerCapability");
    let watcher = &registration["params"]["registrations"][0];
    assert_eq!(watcher["method"], "workspace/didChangeWatchedFiles");
    assert_eq!(
        watcher["registerOptions"]["watchers"][0]["globPattern"],
        "**/*.mlf"
    );

    let pipeline = open(&client, dir.path(), "wine/pipeline.mlf").await;
    assert!(client.diagnostics(&pipeline.uri, Some(1)).await.is_empty());
    let ops_path = dir.path().join("wine/ops.mlf");
    let ops_uri = uri(&ops_path);
    let notify = |typ: u8| json!({"changes": [{"uri": ops_uri, "type": typ}]});
    // Deleted: the import is not found.
    let saved = std::fs::read_to_string(&ops_path).unwrap();
    std::fs::remove_file(&ops_path).unwrap();
    client
        .notify("workspace/didChangeWatchedFiles", notify(3))
        .await;
    let d = client.diagnostics(&pipeline.uri, Some(1)).await;
    assert!(d.iter().any(|d| d["code"] == "E0201"), "{d:#?}");
    // Replaced by binary junk: the server still answers.
    std::fs::write(&ops_path, [0u8, 159, 146, 150, 255, 0, b'{', b'"']).unwrap();
    client
        .notify("workspace/didChangeWatchedFiles", notify(1))
        .await;
    let d = client.diagnostics(&pipeline.uri, Some(1)).await;
    assert!(!d.is_empty());
    let hover = client
        .request("textDocument/hover", at(&pipeline, "ops.train", 5))
        .await;
    assert!(hover.is_ok(), "{hover:?}");
    // Restored.
    std::fs::write(&ops_path, &saved).unwrap();
    client
        .notify("workspace/didChangeWatchedFiles", notify(2))
        .await;
    loop {
        if client.diagnostics(&pipeline.uri, Some(1)).await.is_empty() {
            break;
        }
    }
    // Junk in an open buffer.
    let junk_uri = uri(&dir.path().join("junk.mlf"));
    client
        .open(
            &junk_uri,
            "\u{0}\u{1}\u{fffd}{{{{\"\"\"${ op op pipeline (((",
        )
        .await;
    client.diagnostics(&junk_uri, Some(1)).await;
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": junk_uri}}),
        )
        .await;
    assert!(symbols.is_ok());
    // An import cycle.
    let a = uri(&dir.path().join("a.mlf"));
    let b = uri(&dir.path().join("b.mlf"));
    std::fs::write(dir.path().join("b.mlf"), "import \"a.mlf\"\n").unwrap();
    client.open(&a, "import \"b.mlf\"\n").await;
    let d = client.diagnostics(&a, Some(1)).await;
    assert!(d.iter().any(|d| d["code"] == "E0202"), "{d:#?}");
    client
        .open(
            &b,
            "import \"a.mlf\"\nop x() -> (y: int) {\n  shell \"\"\"echo 1 > ${y}\"\"\"\n}\n",
        )
        .await;
    client.diagnostics(&b, Some(1)).await;
    let completion = client
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": a}, "position": {"line": 1, "character": 0}}),
        )
        .await;
    assert!(completion.is_ok());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_racing_edits_all_get_answers() {
    let dir = example_workspace();
    let mut client = Client::start(rich_capabilities(), json!({"debounceMs": 0}), None).await;
    let quick = open(&client, dir.path(), "quickstart.mlf").await;
    client.diagnostics(&quick.uri, Some(1)).await;
    let mut pending = Vec::new();
    let p = pos_of(&quick.text, "step data", 0, 0);
    for version in 2..60 {
        for method in [
            "textDocument/completion",
            "textDocument/hover",
            "textDocument/semanticTokens/full",
        ] {
            let params = if method.ends_with("full") {
                json!({"textDocument": {"uri": quick.uri}})
            } else {
                at(&quick, "data.table", 2)
            };
            pending.push(client.send_request(method, params).await.1);
        }
        client
            .change(
                &quick.uri,
                version,
                json!([{"range": {"start": p, "end": p}, "text": " "}]),
            )
            .await;
    }
    for rx in pending {
        let answer = tokio::time::timeout(std::time::Duration::from_secs(20), rx)
            .await
            .expect("answered")
            .unwrap();
        if let Some(error) = answer.get("error") {
            assert!(
                [-32801, -32800].contains(&error["code"].as_i64().unwrap()),
                "{error}"
            );
        }
    }
    client.diagnostics(&quick.uri, Some(59)).await;
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_clears_diagnostics() {
    let dir = example_workspace();
    let mut client = Client::start(rich_capabilities(), json!({}), None).await;
    let bad = open(&client, dir.path(), "errors/E0401/bad.mlf").await;
    assert!(!client.diagnostics(&bad.uri, Some(1)).await.is_empty());
    client
        .notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": bad.uri}}),
        )
        .await;
    assert!(client.diagnostics(&bad.uri, None).await.is_empty());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_formatting_formats_the_items_it_touches() {
    let text = "op  a() -> (x: int) {\n    shell \"\"\"echo 1 > ${x}\"\"\"\n}\n\n// keep\nop   b() -> (y: int) {\n    shell \"\"\"echo 1 > ${y}\"\"\"\n}\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.mlf");
    std::fs::write(&path, text).unwrap();
    let file = uri(&path);
    let client = Client::start(rich_capabilities(), json!({}), None).await;
    client.open(&file, text).await;
    let start = pos_of(text, "op   b", 0, 0);
    let edits = client
        .request(
            "textDocument/rangeFormatting",
            json!({
                "textDocument": {"uri": file},
                "range": {"start": start, "end": start},
                "options": {"tabSize": 2, "insertSpaces": true},
            }),
        )
        .await
        .unwrap();
    let edits = edits.as_array().unwrap();
    assert!(!edits.is_empty());
    for e in edits {
        assert!(
            e["range"]["start"]["line"].as_u64().unwrap() >= start["line"].as_u64().unwrap(),
            "{e}"
        );
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_completion_inside_import() {
    let dir = example_workspace();
    let client = Client::start(rich_capabilities(), json!({}), None).await;
    let text = "import \"wine/\"\n";
    let file = uri(&dir.path().join("paths.mlf"));
    client.open(&file, text).await;
    let result = client
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": file}, "position": {"line": 0, "character": 13}}),
        )
        .await
        .unwrap();
    let labels: Vec<&str> = result["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(labels.iter().any(|l| l.contains("ops.mlf")), "{labels:?}");
    client.shutdown().await;
}
