//! `mlforge/opCatalog` and `mlforge/graphEdit` through the protocol.

mod support;

use serde_json::{json, Value};
use support::{rich_capabilities, uri, workspace, Client};

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
