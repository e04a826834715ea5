//! The server through the protocol: diagnostics on open and after edits, completion, hover,
//! errors for bad positions, the panic boundary, formatting, the graph request.

mod support;

use serde_json::{json, Value};
use support::{apply, examples, pos_of, rich_capabilities, uri, workspace, Client};

/// A workspace holding the quickstart example, open in a server with VS Code-like
/// capabilities and no debounce, its first diagnostics received.
async fn open_quickstart() -> (tempfile::TempDir, String, String, Client) {
    let text = read("quickstart.mlf");
    let dir = workspace(&[("quickstart.mlf", &text)]);
    let file = uri(&dir.path().join("quickstart.mlf"));
    let mut client = Client::start(rich_capabilities(), json!({"debounceMs": 0}), None).await;
    client.open(&file, &text).await;
    client.diagnostics(&file, Some(1)).await;
    (dir, file, text, client)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(examples().join(path)).unwrap()
}

fn read_diagnostic(path: &str) -> String {
    std::fs::read_to_string(support::diagnostics().join(path)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_on_open_have_code_range_related_and_explain_link() {
    let bad = read_diagnostic("E0401/bad.mlf");
    let dir = workspace(&[("bad.mlf", &bad)]);
    let file = uri(&dir.path().join("bad.mlf"));
    let mut client = Client::start(rich_capabilities(), json!({}), Some(dir.path())).await;
    client.open(&file, &bad).await;
    let diagnostics = client.diagnostics(&file, Some(1)).await;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "E0401");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "mlforge");
    assert_eq!(
        d["codeDescription"]["href"],
        "https://mlforge.dev/explain/E0401"
    );
    assert_eq!(d["data"]["code"], "E0401");
    // `"0.5"` on line 12 (1-based), columns 40..45 (1-based) in `mlforge check`.
    assert_eq!(
        d["range"],
        json!({"start": {"line": 11, "character": 39}, "end": {"line": 11, "character": 44}})
    );
    let related = &d["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], file);
    assert_eq!(
        related["location"]["range"]["start"],
        json!({"line": 0, "character": 24})
    );
    assert!(related["message"]
        .as_str()
        .unwrap()
        .contains("declared here"));
    assert!(client.shutdown().await, "a clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_related_information_or_code_descriptions_gets_neither() {
    let bad = read_diagnostic("E0401/bad.mlf");
    let dir = workspace(&[("bad.mlf", &bad)]);
    let file = uri(&dir.path().join("bad.mlf"));
    let mut client = Client::start(json!({}), json!({}), None).await;
    client.open(&file, &bad).await;
    let d = &client.diagnostics(&file, Some(1)).await[0];
    assert_eq!(d["code"], "E0401");
    assert!(d.get("relatedInformation").is_none());
    assert!(d.get("codeDescription").is_none());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_breaks_then_repairs() {
    let good = read_diagnostic("E0401/fixed.mlf");
    let dir = workspace(&[("a.mlf", &good)]);
    let file = uri(&dir.path().join("a.mlf"));
    let mut client = Client::start(rich_capabilities(), json!({"debounceMs": 0}), None).await;
    client.open(&file, &good).await;
    assert!(client.diagnostics(&file, Some(1)).await.is_empty());
    // Rename the op's use `train(` to `trian(`: an unresolved callee.
    let at = pos_of(&good, "train(data", 0, 0);
    let end = json!({"line": at["line"], "character": at["character"].as_u64().unwrap() + 5});
    client
        .change(
            &file,
            2,
            json!([{"range": {"start": at, "end": end}, "text": "trian"}]),
        )
        .await;
    let broken = client.diagnostics(&file, Some(2)).await;
    assert!(
        broken.iter().any(|d| d["code"] == "E0203"),
        "an unresolved callee: {broken:#?}"
    );
    client
        .change(
            &file,
            3,
            json!([{"range": {"start": at, "end": end}, "text": "train"}]),
        )
        .await;
    assert!(client.diagnostics(&file, Some(3)).await.is_empty());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_after_step_dot_lists_outputs() {
    let (_dir, file, text, client) = open_quickstart().await;
    // `split(data: data.table)`: replace `table` with nothing, ask after `data.`.
    let at = pos_of(&text, "data.table", 0, 5);
    let end = json!({"line": at["line"], "character": at["character"].as_u64().unwrap() + 5});
    client
        .change(
            &file,
            2,
            json!([{"range": {"start": at, "end": end}, "text": ""}]),
        )
        .await;
    let result = client
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": file}, "position": at}),
        )
        .await
        .expect("completion");
    let items = result["items"].as_array().expect("a completion list");
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    assert!(labels.contains(&"table"), "{labels:?}");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_an_op_shows_its_signature() {
    let text = read("quickstart.mlf");
    let dir = workspace(&[("quickstart.mlf", &text)]);
    let file = uri(&dir.path().join("quickstart.mlf"));
    let client = Client::start(rich_capabilities(), json!({}), None).await;
    client.open(&file, &text).await;
    let result = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": file}, "position": pos_of(&text, "make_data(rows: 300)", 0, 2)}),
        )
        .await
        .expect("hover");
    let value = result["contents"]["value"].as_str().unwrap_or_default();
    assert!(value.contains("make_data"), "{result:#}");
    assert_eq!(result["contents"]["kind"], "markdown");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_positions_get_errors_and_the_server_answers_the_next_request() {
    let text = read("quickstart.mlf");
    let dir = workspace(&[("quickstart.mlf", &text)]);
    let file = uri(&dir.path().join("quickstart.mlf"));
    let client = Client::start(rich_capabilities(), json!({}), None).await;
    client.open(&file, &text).await;
    for (method, position) in [
        (
            "textDocument/hover",
            json!({"line": 100000, "character": 0}),
        ),
        (
            "textDocument/completion",
            json!({"line": 0, "character": 100000}),
        ),
        (
            "textDocument/definition",
            json!({"line": 4294967295u64, "character": 4294967295u64}),
        ),
    ] {
        let error = client
            .request(
                method,
                json!({"textDocument": {"uri": file}, "position": position}),
            )
            .await
            .expect_err("an error");
        assert_eq!(error["code"], -32602, "{method}: {error}");
    }
    // Malformed params: a string where a position belongs.
    let error = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": file}, "position": "here"}),
        )
        .await
        .expect_err("an error");
    assert_eq!(error["code"], -32602);
    // A document nobody opened and no file has.
    let error = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": "file:///nowhere/x.mlf"}, "position": {"line": 0, "character": 0}}),
        )
        .await
        .expect_err("an error");
    assert_eq!(error["code"], -32602);
    // Still alive.
    let result = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": file}, "position": pos_of(&text, "make_data(rows", 0, 1)}),
        )
        .await
        .expect("hover");
    assert!(result.is_object());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_handler_is_an_internal_error_and_the_server_lives_on() {
    let client = Client::start(json!({}), json!({"testHooks": true}), None).await;
    let error = client
        .request("mlforge/debugPanic", json!({}))
        .await
        .expect_err("an error");
    assert_eq!(error["code"], -32603);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("deliberate panic"));
    let error = client
        .request("mlforge/debugPanic", json!({}))
        .await
        .expect_err("again");
    assert_eq!(error["code"], -32603);
    let symbols = client
        .request("workspace/symbol", json!({"query": ""}))
        .await
        .expect("the server still answers");
    assert!(symbols.is_array());
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panic_hook_is_off_without_test_hooks() {
    let client = Client::start(json!({}), json!({}), None).await;
    let error = client
        .request("mlforge/debugPanic", json!({}))
        .await
        .expect_err("an error");
    assert_eq!(error["code"], -32601);
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_request_answers_json_and_dot_and_the_last_good_graph_when_the_pipeline_is_lost() {
    let (dir, file, text, mut client) = open_quickstart().await;
    let answer = client
        .request("mlforge/graph", json!({"uri": file}))
        .await
        .expect("a graph");
    assert_eq!(answer["pipeline"], "quickstart");
    assert_eq!(answer["stale"], false);
    assert!(answer["dot"].as_str().unwrap().starts_with("digraph"));
    let nodes: Vec<&str> = answer["graph"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(
        nodes.contains(&"data") && nodes.contains(&"release"),
        "{nodes:?}"
    );
    // Break the step `parts`: it is marked broken, the others stay.
    let at = pos_of(&text, "split(data: data.table)", 0, 0);
    let end = json!({"line": at["line"], "character": at["character"].as_u64().unwrap() + 5});
    client
        .change(
            &file,
            2,
            json!([{"range": {"start": at, "end": end}, "text": "splat"}]),
        )
        .await;
    client.diagnostics(&file, Some(2)).await;
    let answer = client
        .request(
            "mlforge/graph",
            json!({"uri": file, "pipeline": "quickstart"}),
        )
        .await
        .expect("a graph");
    assert_eq!(answer["stale"], false);
    let parts = answer["graph"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "parts")
        .expect("the broken step is drawn");
    assert_eq!(parts["broken"], true);
    // Lose the pipeline: rename the keyword.
    let at = pos_of(&text, "pipeline quickstart", 0, 0);
    let end = json!({"line": at["line"], "character": 8});
    client
        .change(
            &file,
            3,
            json!([{"range": {"start": at, "end": end}, "text": "pipelin"}]),
        )
        .await;
    client.diagnostics(&file, Some(3)).await;
    let answer = client
        .request("mlforge/graph", json!({"uri": file}))
        .await
        .expect("the last good graph");
    assert_eq!(answer["stale"], true);
    assert_eq!(answer["pipeline"], "quickstart");
    // No pipeline at all, never: an error with a message.
    let other = uri(&dir.path().join("ops.mlf"));
    client
        .open(
            &other,
            "op x() -> (y: int) {\n  shell \"\"\"echo 1 > ${y}\"\"\"\n}\n",
        )
        .await;
    let error = client
        .request("mlforge/graph", json!({"uri": other}))
        .await
        .expect_err("no pipeline");
    assert!(
        error["message"].as_str().unwrap().contains("no pipeline"),
        "{error}"
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_answers_are_kept_per_version_and_rebuilt_after_an_edit() {
    let (_dir, file, text, mut client) = open_quickstart().await;
    let params = |dot: bool| json!({"uri": file, "dot": dot});
    let first = client.request("mlforge/graph", params(true)).await.unwrap();
    // The same version again: the same answer (from the kept text).
    assert_eq!(
        client.request("mlforge/graph", params(true)).await.unwrap(),
        first
    );
    // Without DOT: the same model, `dot` null.
    let bare = client
        .request("mlforge/graph", params(false))
        .await
        .unwrap();
    assert_eq!(bare["dot"], Value::Null);
    assert_eq!(bare["graph"], first["graph"]);
    // An edit that adds a step: the next answer has it (nothing stale is kept).
    let at = pos_of(&text, "step parts", 0, 0);
    client
        .insert(&file, 2, at, "step extra = make_data(rows: 7)\n  ")
        .await;
    client.diagnostics(&file, Some(2)).await;
    for dot in [false, true] {
        let after = client.request("mlforge/graph", params(dot)).await.unwrap();
        let ids: Vec<&str> = after["graph"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"extra"), "{ids:?}");
        assert_eq!(after["dot"].is_string(), dot);
    }
    let again = client.request("mlforge/graph", params(true)).await.unwrap();
    assert!(again["dot"].as_str().unwrap().contains("\"extra\""));
    client.shutdown().await;
}

fn node_ids(answer: &Value) -> Vec<&str> {
    let mut ids: Vec<&str> = answer["graph"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_focus_answers_the_steps_around_one_with_what_it_hides_and_the_totals() {
    let (_dir, file, text, client) = open_quickstart().await;
    let whole = client
        .request("mlforge/graph", json!({"uri": file, "dot": false}))
        .await
        .unwrap();
    assert_eq!(whole["focus"], Value::Null);
    let count = |key: &str| whole["graph"][key].as_array().unwrap().len();
    assert_eq!(
        whole["total"],
        json!({"nodes": count("nodes"), "edges": count("edges"), "clusters": count("clusters")})
    );

    // By node id, one hop each way.
    let by_node = client
        .request(
            "mlforge/graph",
            json!({"uri": file, "focus": {"node": "best", "hops": 1}}),
        )
        .await
        .unwrap();
    assert_eq!(by_node["focus"], "best");
    assert_eq!(by_node["total"], whole["total"]);
    assert_eq!(node_ids(&by_node), ["best", "check", "fitted", "release"]);
    let node = |answer: &Value, id: &str| {
        answer["graph"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(node(&by_node, "fitted")["hidden_up"], 1);
    assert_eq!(node(&by_node, "best").get("hidden_up"), None);
    // The DOT draws what `graph` holds, and nothing else.
    let dot = by_node["dot"].as_str().unwrap();
    mlforge_graph::parse_dot(dot).expect("the DOT parses");
    assert!(
        dot.contains("\"fitted\"") && !dot.contains("\"parts\""),
        "{dot}"
    );

    // By position (the default two hops): the cursor on `step best`.
    let at = pos_of(&text, "step best", 0, 2);
    let by_position = client
        .request(
            "mlforge/graph",
            json!({"uri": file, "dot": false, "focus": {"position": at}}),
        )
        .await
        .unwrap();
    assert_eq!(by_position["focus"], "best");
    assert_eq!(by_position["dot"], Value::Null);
    assert_eq!(
        node_ids(&by_position),
        ["best", "check", "fitted", "parts", "release"]
    );
    assert_eq!(node(&by_position, "parts")["hidden_up"], 1);
    // A position before the pipeline means its first step.
    let top = client
        .request(
            "mlforge/graph",
            json!({"uri": file, "focus": {"position": {"line": 0, "character": 0}, "hops": 0}}),
        )
        .await
        .unwrap();
    assert_eq!(node_ids(&top), ["data"]);

    // What cannot be answered says why.
    for (focus, words) in [
        (json!({"node": "nope"}), "has no node `nope`"),
        (json!({"hops": 1}), "needs `node`"),
    ] {
        let error = client
            .request("mlforge/graph", json!({"uri": file, "focus": focus}))
            .await
            .expect_err("an error");
        assert_eq!(error["code"], -32602, "{error}");
        assert!(
            error["message"].as_str().unwrap().contains(words),
            "{error}"
        );
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_changed_is_sent_after_an_edit_that_changes_the_graph() {
    let text = read("quickstart.mlf");
    let dir = workspace(&[("quickstart.mlf", &text)]);
    let file = uri(&dir.path().join("quickstart.mlf"));
    let mut client = Client::start(rich_capabilities(), json!({"debounceMs": 0}), None).await;
    client.open(&file, &text).await;
    let first = client.notification("mlforge/graphChanged").await;
    assert_eq!(first["uri"], file);
    let at = pos_of(&text, "step data  = make_data(rows: 300)", 0, 30);
    client.insert(&file, 2, at, "0").await;
    let again = client.notification("mlforge/graphChanged").await;
    assert_eq!(again["uri"], file);
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formatting_formats_and_refuses_broken_files_with_the_formatters_message() {
    let messy = "op  a() -> (x: int) {\n    shell \"\"\"echo 1 > ${x}\"\"\"\n}\n";
    let dir = workspace(&[("m.mlf", messy)]);
    let file = uri(&dir.path().join("m.mlf"));
    let client = Client::start(rich_capabilities(), json!({}), None).await;
    client.open(&file, messy).await;
    let edits = client
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": file}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await
        .expect("formatting");
    let formatted = mlforge_fmt::format(messy).unwrap();
    assert_eq!(apply(messy, &edits), formatted);
    // Broken: refused with the formatter's message.
    let broken = uri(&dir.path().join("broken.mlf"));
    client.open(&broken, "op a( {\n").await;
    let error = client
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": broken}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await
        .expect_err("refused");
    assert!(
        error["message"].as_str().unwrap().contains("syntax error"),
        "{error}"
    );
    client.shutdown().await;
}
