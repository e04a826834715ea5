//! `mlforge/opCatalog` and `mlforge/graphEdit` through the protocol.

mod support;

use serde_json::{json, Value};
use support::{apply, rich_capabilities, uri, workspace, Client};

const MAIN: &str = "import \"lib/ops.mlf\"\n\n/// Makes a table.\n///\n/// Second paragraph.\nop make(rows: int = 10) -> (table: Dataset) {\n  shell \"\"\"\n    seq ${rows} > ${table}\n  \"\"\"\n}\n\npipeline p() {\n  step m = make()\n}\n";
const OPS: &str = "op train(data: Dataset, lr: float, tags: list<string>? ) -> (model: Model) {\n  shell \"\"\"\n    cp ${data} ${model}\n  \"\"\"\n}\n";
const OTHER: &str = "pipeline extra(n: int) {\n}\n";

async fn open_main() -> (tempfile::TempDir, String, Client) {
    let dir = workspace(&[
        ("main.mlf", MAIN),
        ("lib/ops.mlf", OPS),
        ("more/other.mlf", OTHER),
    ]);
    let file = uri(&dir.path().join("main.mlf"));
    let mut client = Client::start(
        rich_capabilities(),
        json!({"debounceMs": 0}),
        Some(dir.path()),
    )
    .await;
    client.open(&file, MAIN).await;
    client.diagnostics(&file, Some(1)).await;
    (dir, file, client)
}

fn op<'a>(catalog: &'a Value, name: &str) -> &'a Value {
    catalog["ops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no `{name}` in {catalog:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_lists_own_imported_and_workspace_ops() {
    let (dir, file, client) = open_main().await;
    let catalog = client
        .request("mlforge/opCatalog", json!({"uri": file}))
        .await
        .unwrap();
    let make = op(&catalog, "make");
    assert_eq!(make["kind"], "op");
    assert_eq!(make["doc"], "Makes a table.");
    assert_eq!(make["file"], file);
    assert_eq!(make["import"], Value::Null);
    assert_eq!(
        make["inputs"],
        json!([{"name": "rows", "type": "int", "required": false, "default": "10"}])
    );
    assert_eq!(
        make["outputs"],
        json!([{"name": "table", "type": "Dataset"}])
    );
    let train = op(&catalog, "ops.train");
    assert_eq!(train["import"], Value::Null);
    assert_eq!(train["inputs"][0]["required"], true);
    assert_eq!(train["inputs"][2]["type"], "list<string>?");
    assert_eq!(train["inputs"][2]["required"], false);
    assert_eq!(op(&catalog, "p")["kind"], "pipeline");
    let extra = op(&catalog, "other.extra");
    assert_eq!(extra["import"], "more/other.mlf");
    assert_eq!(extra["file"], uri(&dir.path().join("more/other.mlf")));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_edits_answer_versioned_workspace_edits_and_refuse_stale_or_mistyped_ones() {
    let (_dir, file, client) = open_main().await;
    let added = client
        .request(
            "mlforge/graphEdit",
            json!({"uri": file, "version": 1, "pipeline": "p",
                   "edit": {"kind": "addStep", "op": "ops.train"}}),
        )
        .await
        .unwrap();
    assert_eq!(added["select"], "train");
    let change = &added["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"], json!({"uri": file, "version": 1}));
    let text = apply(MAIN, &change["edits"]);
    assert!(
        text.contains("  step m = make()\n  step train = ops.train()\n}"),
        "{text}"
    );

    // The client applies it as version 2; an edit of version 1 is now stale.
    client.change(&file, 2, json!([{"text": text}])).await;
    let stale = client
        .request(
            "mlforge/graphEdit",
            json!({"uri": file, "version": 1, "pipeline": "p",
                   "edit": {"kind": "setArg", "step": "m", "input": "rows", "value": 3}}),
        )
        .await
        .unwrap_err();
    assert_eq!(stale["code"], -32801, "{stale}");

    let mistyped = client
        .request(
            "mlforge/graphEdit",
            json!({"uri": file, "version": 2, "pipeline": "p",
                   "edit": {"kind": "connect", "from": {"step": "m", "output": "table"},
                            "to": {"step": "train", "input": "lr"}}}),
        )
        .await
        .unwrap_err();
    assert_eq!(mistyped["code"], -32803, "{mistyped}");
    assert_eq!(mistyped["data"]["reason"], "typeMismatch");
    assert!(
        mistyped["message"]
            .as_str()
            .unwrap()
            .contains("expects `float`"),
        "{mistyped}"
    );

    let blocked = client
        .request(
            "mlforge/graphEdit",
            json!({"uri": file, "version": 2, "pipeline": "p",
                   "edit": {"kind": "connect", "from": {"step": "m", "output": "table"},
                            "to": {"step": "train", "input": "data"}}}),
        )
        .await
        .unwrap();
    let text = apply(&text, &blocked["edit"]["documentChanges"][0]["edits"]);
    assert!(
        text.contains("step train = ops.train(data: m.table)"),
        "{text}"
    );
    client.change(&file, 3, json!([{"text": text}])).await;
    let refused = client
        .request(
            "mlforge/graphEdit",
            json!({"uri": file, "version": 3, "pipeline": "p",
                   "edit": {"kind": "deleteStep", "step": "m"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused["data"],
        json!({"reason": "dependants", "dependants": ["train"]})
    );

    let set = client
        .request(
            "mlforge/graphEdit",
            json!({"uri": file, "version": 3, "pipeline": "p",
                   "edit": {"kind": "setArg", "step": "train", "input": "tags", "value": ["a", "b"]}}),
        )
        .await
        .unwrap();
    let text = apply(&text, &set["edit"]["documentChanges"][0]["edits"]);
    assert!(
        text.contains("ops.train(data: m.table, tags: [\"a\", \"b\"])"),
        "{text}"
    );
    client.shutdown().await;
}
