//! The templates of a run's own work: the setup that puts the runtime into the artifact
//! repository (and computes the run key), and one per computed block list or condition.
//! Steps run through their op's template (`op.rs`). Each pod runs `mlforge_argo.py`
//! (beside the shared task runtime) with a JSON spec saying where every value it reads lies
//! in the pod; the spec is inert JSON (`inert.rs`), so Argo passes it through.

use mlforge_ir::Block;
use serde_json::{json, Map, Value};

use super::dag::{ancestors, for_depth, inner_inputs};
use super::inert::inert_json;
use super::keys::{self, index_param, instance_path, RUN_KEY};
use super::pod::{image, indices_env, source};
use super::reader::{holds_artifact, unsupported, Reader};
use super::Ctx;
use crate::ExportError;

/// The adapter between Argo's pod layout and the task runtime.
pub const ADAPTER: &str = include_str!("mlforge_argo.py");
pub const ADAPTER_FILE: &str = "mlforge_argo.py";

/// Where an items task leaves the list it evaluated, and the setup the run key.
const ITEMS_DIR: &str = "/mlforge/out/items";
const RUN_KEY_FILE: &str = "/mlforge/out/run-key";

/// The template evaluating a block's list (`for`) or condition (`if`).
pub(crate) fn block_eval(ctx: &Ctx, block: &str) -> Result<Value, ExportError> {
    let plan_block = &ctx.plan.blocks[block];
    let (place, is_for) = match plan_block.block {
        Block::For { source, .. } => (source, true),
        Block::If { source, .. } => (source, false),
    };
    let scope = ancestors(ctx, block);
    let depth = for_depth(ctx, scope.iter().copied());
    let bname = ctx.names.blocks.get(block);
    let mut reader = Reader::new(ctx, scope, &format!("{{{{inputs.parameters.{RUN_KEY}}}}}"));
    for read in &plan_block.reads {
        reader.read(read, place)?;
    }
    if is_for {
        // Checks the element type, as a reader of the loop variable would.
        if let Block::For { element, var, .. } = plan_block.block {
            if holds_artifact(element) {
                return Err(unsupported(
                    format!("the loop over `{var}` walks a list of files; the Argo export cannot fan out over files yet, so loop over their indices or names instead"),
                    place,
                ));
            }
        }
    }
    let exprs = plan_block
        .block
        .exprs()
        .into_iter()
        .map(|e| reader.artifact_literals(e, place))
        .collect::<Result<Vec<_>, _>>()?;
    let mut spec = json!({
        "block": block,
        "kind": if is_for { "for" } else { "if" },
        "exprs": exprs,
        "sources": reader.take_sources(),
    });
    if is_for {
        spec["items"] = json!(ITEMS_DIR);
    }
    if let Block::If { branch, .. } = plan_block.block {
        spec["branch"] = json!(branch);
    }
    let name = keys::eval_task(bname, is_for);
    let mut template = json!({
        "name": name,
        "inputs": {"parameters": inner_inputs(depth), "artifacts": reader.declared()},
        "script": {
            "image": image(ctx, None, Some(place))?,
            "command": ["python3"],
            "source": source("block", &spec),
        },
    });
    let indices: Vec<String> = (1..=depth)
        .map(|k| format!("{{{{inputs.parameters.{}}}}}", index_param(k)))
        .collect();
    let mut env = vec![indices_env(indices.join("/"))];
    env.extend(reader.env.iter().cloned());
    template["script"]["env"] = json!(env);
    if is_for {
        template["outputs"] = json!({"artifacts": [{
            "name": "items",
            "path": ITEMS_DIR,
            "archive": {"none": {}},
            "s3": {"key": format!("{}{}", keys::items_prefix(bname), instance_path(depth))},
        }]});
    }
    Ok(template)
}

/// The first task: writes the runtime into the repository for every other pod, and the
/// run key (a digest of the params' values) that memoized steps key their outputs by.
pub(crate) fn setup(ctx: &Ctx) -> Result<Value, ExportError> {
    let mut env = Vec::new();
    let mut params = Map::new();
    for param in ctx.plan.params {
        let mapped = ctx.names.params.get(&param.name);
        let var = format!("MLFORGE_PARAM_{mapped}");
        env.push(json!({"name": var, "value": format!("{{{{workflow.parameters.{mapped}}}}}")}));
        params.insert(param.name.clone(), json!(var));
    }
    let files = json!({ADAPTER_FILE: ADAPTER, crate::runtime::FILE_NAME: crate::runtime::source()});
    let mut script = json!({
        "image": image(ctx, None, None)?,
        "command": ["python3"],
        "source": format!(
            "import sys\nimport json\nimport os\nFILES = json.loads(r'''{files}''')\nos.makedirs('/mlforge/out/setup', exist_ok=True)\nfor name, text in sorted(FILES.items()):\n    with open(os.path.join('/mlforge/out/setup', name), 'w', encoding='utf-8') as f:\n        f.write(text)\nsys.path.insert(0, '/mlforge/out/setup')\nimport mlforge_argo\nmlforge_argo.setup(r'''{spec}''')\n",
            files = inert_json(&files),
            spec = inert_json(&json!({"params": params, "run_key": RUN_KEY_FILE})),
        ),
    });
    if !env.is_empty() {
        script["env"] = json!(env);
    }
    Ok(json!({
        "name": keys::SETUP,
        "script": script,
        "outputs": {
            "parameters": [{"name": RUN_KEY, "valueFrom": {"path": RUN_KEY_FILE}}],
            "artifacts": [{
                "name": "mlforge",
                "path": "/mlforge/out/setup",
                "archive": {"none": {}},
                "s3": {"key": keys::setup_key()},
            }],
        },
    }))
}
