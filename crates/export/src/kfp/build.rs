//! The PipelineSpec of one plan: a task per step and per block in the DAG it stands in,
//! `for` blocks as ParallelFor sub-DAGs, `if` branches as condition sub-DAGs, values
//! wired across them (see `wiring.rs`), one component and executor per op.

use std::collections::{BTreeMap, HashMap};

use mlforge_ir::{Block, Branch, Expr, Function, Source as IrSource, Type, Value};
use serde_json::{json, Map, Value as Json};

use super::cel;
use super::component::{self, set_definitions, value_json};
use super::launch;
use super::types::{artifact_type, KfpType};
use super::wiring::{self, add_dependency, set_input, DagId, Ref, Source, Wiring};
use super::Documents;
use crate::names::{NameMap, Naming};
use crate::plan::{DepKind, InputSource, Plan};
use crate::{ExportError, ExportOptions, ExportWarning};

/// The PipelineSpec's `pipelineInfo.name`: KFP allows a DNS-1123 label.
pub fn pipeline_name(name: &str) -> String {
    Naming::Dns1123Label.apply(name)
}

/// Ids of the things that become KFP tasks besides steps.
fn block_key(plan: &Plan, block: &str) -> String {
    match plan.blocks.get(block).map(|b| b.block) {
        Some(Block::For { .. }) => format!("for-{block}"),
        Some(Block::If {
            branch: Branch::Else,
            ..
        }) => format!("else-{block}"),
        _ => format!("if-{block}"),
    }
}

fn import_key(param: &str) -> String {
    format!("import-{param}")
}

fn literal_import_key(step: &str, input: &str) -> String {
    format!("import-{step}-{input}")
}

/// The computed inputs of a step: each input's name and the types of the values it reads.
type Shape = Vec<(String, Vec<KfpType>)>;

fn is_artifact(ty: &Type) -> bool {
    KfpType::of(ty).is_artifact()
}

/// The block tree as wiring asks about it, looked up once per block: wiring asks for
/// every read, and a block's task name is otherwise a `format!` and two map lookups.
struct Tree<'a, 'p> {
    blocks: HashMap<&'p str, TreeBlock<'a, 'p>>,
}

struct TreeBlock<'a, 'p> {
    parent: DagId<'p>,
    is_for: bool,
    task: &'a str,
}

impl<'a, 'p> Tree<'a, 'p> {
    fn new(plan: &Plan<'p>, tasks: &'a NameMap) -> Self {
        let blocks = plan
            .blocks
            .iter()
            .map(|(id, b)| {
                let node = TreeBlock {
                    parent: b.parent,
                    is_for: matches!(b.block, Block::For { .. }),
                    task: tasks.get(&block_key(plan, id)),
                };
                (*id, node)
            })
            .collect();
        Tree { blocks }
    }
}

impl<'a, 'p> wiring::Tree<'p> for Tree<'a, 'p> {
    fn parent(&self, block: &'p str) -> DagId<'p> {
        self.blocks.get(block).and_then(|b| b.parent)
    }
    fn is_for(&self, block: &'p str) -> bool {
        self.blocks.get(block).is_some_and(|b| b.is_for)
    }
    fn block_task(&self, block: &'p str) -> &str {
        self.blocks[block].task
    }
}

fn unsupported(message: String, place: &IrSource) -> ExportError {
    ExportError::Unsupported {
        message,
        place: Some(place.clone()),
    }
}

/// What an importer brings in: a root param's URI, or a constant path.
enum ImportFrom<'v> {
    Param(&'v str),
    Constant(String),
}

struct Importer {
    component: String,
    executor: String,
    schema: &'static str,
}

pub fn build(plan: &Plan, opts: &ExportOptions) -> Result<Documents, ExportError> {
    let program = plan.program;
    let mut warnings = Vec::new();

    // Names: one map for every task (steps, blocks, importers), one for components.
    let artifact_params: Vec<&mlforge_ir::Param> =
        plan.params.iter().filter(|p| is_artifact(&p.ty)).collect();
    let mut literal_imports = Vec::new();
    for task in &plan.tasks {
        for input in &task.inputs {
            if let InputSource::Literal(v) | InputSource::Default(v) = input.source {
                if is_artifact(input.ty) {
                    literal_imports.push((task.id(), input.name, v));
                }
            }
        }
    }
    let mut task_keys: Vec<String> = plan.tasks.iter().map(|t| t.id().to_string()).collect();
    task_keys.extend(plan.blocks.keys().map(|b| block_key(plan, b)));
    task_keys.extend(artifact_params.iter().map(|p| import_key(&p.name)));
    task_keys.extend(
        literal_imports
            .iter()
            .map(|(s, i, _)| literal_import_key(s, i)),
    );
    let tasks = NameMap::new(
        "step or block",
        Naming::Dns1123Label,
        task_keys.iter().map(String::as_str),
    )?;
    let mut component_keys: Vec<String> = program.ops.keys().cloned().collect();
    component_keys.extend(plan.blocks.keys().map(|b| block_key(plan, b)));
    component_keys.extend(artifact_params.iter().map(|p| import_key(&p.name)));
    component_keys.extend(
        literal_imports
            .iter()
            .map(|(s, i, _)| literal_import_key(s, i)),
    );
    let components = NameMap::new(
        "op or block",
        Naming::KfpComponent,
        component_keys.iter().map(String::as_str),
    )?;
    let executor_of = |key: &str| format!("exec-{}", &components.get(key)["comp-".len()..]);

    let tree = Tree::new(plan, &tasks);
    let mut w = Wiring::new(&tree);
    let mut spec_components = Map::new();
    let mut executors = Map::new();
    let mut platform = Map::new();
    w.dag(None);

    // Importers: artifact params (the URI is a root parameter) and constant paths.
    let mut importers: Vec<(String, DagId, ImportFrom, Importer)> = Vec::new();
    for p in &artifact_params {
        let schema = match KfpType::of(&p.ty) {
            KfpType::Artifact { schema, list: false } => schema,
            _ => {
                return Err(unsupported(
                    format!("param `{}` is a list of artifacts; Kubeflow Pipelines imports one artifact per URI, so pass a folder (`Dir`) or one artifact per param", p.name),
                    &p.source,
                ))
            }
        };
        let key = import_key(&p.name);
        warnings.push(
            ExportWarning::new(
                "KFP011",
                format!("artifact param `{}` becomes a string param holding the artifact's URI, which must be one the cluster's artifact store serves (gs://, s3://, minio://)", p.name),
            )
            .at(&p.source),
        );
        importers.push((
            key.clone(),
            None,
            ImportFrom::Param(&p.name),
            Importer {
                component: components.get(&key).to_string(),
                executor: executor_of(&key),
                schema,
            },
        ));
        w.types.insert(
            Source::Output {
                task: tasks.get(&key),
                output: "artifact",
                dag: None,
            },
            KfpType::Artifact {
                schema,
                list: false,
            },
        );
    }
    for (step, input, value) in &literal_imports {
        let task = plan.task(step).expect("the literal came from this task");
        let key = literal_import_key(step, input);
        let path = match value {
            Value::String(path) => resolve_path(path, opts),
            _ => {
                return Err(unsupported(
                    format!("step `{step}` passes a list of artifact paths to `{input}`; Kubeflow Pipelines imports one artifact per path"),
                    &task.step.source,
                ))
            }
        };
        let ty = task
            .inputs
            .iter()
            .find(|i| i.name == *input)
            .map(|i| KfpType::of(i.ty))
            .expect("the input exists");
        let KfpType::Artifact { schema, .. } = ty else {
            unreachable!("only artifact inputs are imported")
        };
        warnings.push(
            ExportWarning::new(
                "KFP011",
                format!("step `{step}` reads the file `{path}` as `{input}`; on Kubeflow Pipelines it is imported from that URI, which must be one the cluster's artifact store serves"),
            )
            .step(step)
            .at(&task.step.source),
        );
        importers.push((
            key.clone(),
            task.block,
            ImportFrom::Constant(path),
            Importer {
                component: components.get(&key).to_string(),
                executor: executor_of(&key),
                schema,
            },
        ));
    }
    for (key, dag, from, importer) in &importers {
        let mut task = json!({
            "taskInfo": {"name": key},
            "componentRef": {"name": importer.component},
        });
        task["inputs"]["parameters"]["uri"] = match from {
            ImportFrom::Param(p) => json!({"componentInputParameter": p}),
            ImportFrom::Constant(path) => json!({"runtimeValue": {"constant": path}}),
        };
        w.dag(*dag).tasks.insert(tasks.get(key).to_string(), task);
        spec_components.insert(
            importer.component.clone(),
            json!({
                "executorLabel": importer.executor,
                "inputDefinitions": {"parameters": {"uri": {"parameterType": "STRING"}}},
                "outputDefinitions": {"artifacts": {"artifact": {"artifactType": artifact_type(importer.schema)}}},
            }),
        );
        executors.insert(
            importer.executor.clone(),
            json!({"importer": {
                "artifactUri": {"runtimeParameter": "uri"},
                "typeSchema": artifact_type(importer.schema),
            }}),
        );
    }

    // Sources: params, loop elements, step outputs.
    for p in plan.params.iter().filter(|p| !is_artifact(&p.ty)) {
        w.types.insert(Source::Param(&p.name), KfpType::of(&p.ty));
    }
    for (id, b) in &plan.blocks {
        if let Block::For {
            element,
            second_over,
            ..
        } = b.block
        {
            let ty = if second_over.is_some() {
                KfpType::Parameter("LIST")
            } else {
                KfpType::of(element)
            };
            w.types.insert(Source::Item(id), ty);
        }
    }
    for task in &plan.tasks {
        for output in &task.op.outputs {
            w.types.insert(
                Source::Output {
                    task: tasks.get(task.id()),
                    output: &output.name,
                    dag: task.block,
                },
                KfpType::of(&output.ty),
            );
        }
    }

    // Every task in its DAG, before any wiring touches them.
    for (id, b) in &plan.blocks {
        let key = block_key(plan, id);
        let task = json!({
            "taskInfo": {"name": key},
            "componentRef": {"name": components.get(&key)},
        });
        w.dag(b.parent)
            .tasks
            .insert(tasks.get(&key).to_string(), task);
        w.dag(Some(id));
    }
    // A step's own spec is kept aside (in `plan.tasks`' order) while its inputs and
    // component are filled in, and moved into its DAG after: wiring only ever touches the
    // tasks of blocks, and a step's spec is otherwise looked up by name for each input.
    // Its `componentRef` is set with its component, below.
    let mut step_specs: Vec<Json> = Vec::with_capacity(plan.tasks.len());
    for task in &plan.tasks {
        let op = task.op;
        let mut spec = json!({
            "taskInfo": {"name": task.id()},
            "cachingOptions": {"enableCache": op.cache},
        });
        // KFP's `cacheKey` replaces its own key (component, image, command and input
        // values) rather than adding to it, and the step's content hash says which values
        // a step reads, not what they are. So it is the key only of a step that reads no
        // value (its hash is then the runner's key); a step that reads params, loop
        // elements or outputs is keyed by KFP on its component and those values, as the
        // runner keys it on the op and the values.
        if op.cache && task.inputs.iter().all(|i| i.reads.is_empty()) {
            spec["cachingOptions"]["cacheKey"] = json!(task.step.hash);
        }
        if op.retries > 0 {
            // The local runner's back-off: 0.5 s, doubling, at most 30 s.
            spec["retryPolicy"] = json!({
                "maxRetryCount": op.retries,
                "backoffDuration": "0.500s",
                "backoffFactor": 2.0,
                "backoffMaxDuration": "30s",
            });
        }
        step_specs.push(spec);
    }

    // Blocks: what each `for` walks and each `if` decides on, outer blocks first.
    let mut blocks: Vec<&str> = plan.blocks.keys().copied().collect();
    blocks.sort_by_key(|b| (wiring::path(&tree, Some(b)).len(), *b));
    for id in blocks {
        let b = &plan.blocks[id];
        let task_name = tasks.get(&block_key(plan, id)).to_string();
        match b.block {
            Block::For {
                over,
                second_over,
                source,
                var,
                ..
            } => {
                let item = Wiring::channel(Source::Item(id));
                let item_ty = w.types[&Source::Item(id)].clone();
                w.dag(Some(id)).inputs.insert(item.clone(), (item_ty, true));
                let iterator =
                    match (over, second_over.as_deref()) {
                        (over, None) => match constant_list(over) {
                            Some(items) => {
                                json!({"parameterIterator": {"items": {"raw": items.to_string()}, "itemInput": item}})
                            }
                            None => {
                                let src = source_of(plan, &tasks, over).ok_or_else(|| {
                                unsupported(
                                    format!("`for {var} in …` walks a list computed from other values; Kubeflow Pipelines can only walk a constant list, a param or a step output, so compute the list in a step"),
                                    source,
                                )
                            })?;
                                let (r, ty) = w.resolve(src, b.parent)?;
                                let key = Wiring::channel(src);
                                w.pass_into(id, &key, &r, &ty)?;
                                if ty.is_artifact() {
                                    json!({"artifactIterator": {"items": {"inputArtifact": key}, "itemInput": item}})
                                } else {
                                    json!({"parameterIterator": {"items": {"inputParameter": key}, "itemInput": item}})
                                }
                            }
                        },
                        (first, Some(second)) => {
                            match (constant_list(first), constant_list(second)) {
                            (Some(Json::Array(a)), Some(Json::Array(c))) if a.len() == c.len() => {
                                let pairs: Vec<Json> = a
                                    .into_iter()
                                    .zip(c)
                                    .map(|(x, y)| json!([x, y]))
                                    .collect();
                                json!({"parameterIterator": {"items": {"raw": Json::Array(pairs).to_string()}, "itemInput": item}})
                            }
                            (Some(Json::Array(a)), Some(Json::Array(c))) => {
                                return Err(unsupported(
                                    format!("`zip` walks two lists together, but they have {} and {} elements", a.len(), c.len()),
                                    source,
                                ))
                            }
                            _ => {
                                return Err(unsupported(
                                    "`zip` over lists known only at run time cannot be walked by Kubeflow Pipelines (ParallelFor walks one list); zip them in a step and walk its output".into(),
                                    source,
                                ))
                            }
                        }
                        }
                    };
                let spec = w
                    .dag(b.parent)
                    .tasks
                    .get_mut(&task_name)
                    .expect("made above");
                for (k, v) in iterator.as_object().expect("an object") {
                    spec[k] = v.clone();
                }
            }
            Block::If {
                condition,
                branch,
                source,
                ..
            } => {
                let mut keys: BTreeMap<String, String> = BTreeMap::new();
                for read in refs(condition) {
                    let src = source_of(plan, &tasks, read).ok_or_else(|| {
                        unsupported("the condition reads a value Kubeflow Pipelines cannot hand to a condition".into(), source)
                    })?;
                    let (r, ty) = w.resolve(src, b.parent)?;
                    if ty.is_artifact() {
                        return Err(unsupported(
                            "the condition reads an artifact; a Kubeflow condition can only compare parameters".into(),
                            source,
                        ));
                    }
                    if matches!(src, Source::Item(blk) if is_zip(plan, blk)) {
                        return Err(unsupported(
                            "the condition reads a variable of a `zip` loop, which Kubeflow conditions cannot take apart; pass it through a step".into(),
                            source,
                        ));
                    }
                    let key = Wiring::channel(src);
                    w.pass_into(id, &key, &r, &ty)?;
                    keys.insert(serde_json::to_string(read).unwrap_or_default(), key);
                }
                let text = cel::condition(condition, &mut |e| {
                    keys.get(&serde_json::to_string(e).unwrap_or_default())
                        .cloned()
                        .unwrap_or_default()
                })
                .map_err(|cel::Unsupported(what)| {
                    unsupported(
                        format!("the condition uses {what}, which Kubeflow's CEL conditions cannot express as the runner means it; compute it in a step"),
                        source,
                    )
                })?;
                let text = match branch {
                    Branch::Then => text,
                    Branch::Else => format!("!({text})"),
                };
                let spec = w
                    .dag(b.parent)
                    .tasks
                    .get_mut(&task_name)
                    .expect("made above");
                spec["triggerPolicy"] = json!({"condition": text});
            }
        }
    }

    // Step inputs. A step whose inputs are computed needs a component of its own shape
    // (its op's inputs plus the values they are computed from), recorded here.
    let mut shapes: Vec<Shape> = Vec::with_capacity(plan.tasks.len());
    for (task, spec) in plan.tasks.iter().zip(&mut step_specs) {
        let mut shape = Shape::new();
        for input in &task.inputs {
            let ty = KfpType::of(input.ty);
            let artifact = ty.is_artifact();
            let r = match &input.source {
                InputSource::Literal(v) | InputSource::Default(v) if artifact => {
                    let _ = v;
                    let key = literal_import_key(task.id(), input.name);
                    Ref::Task {
                        task: tasks.get(&key).to_string(),
                        key: "artifact".into(),
                    }
                }
                InputSource::Literal(v) | InputSource::Default(v) => {
                    spec["inputs"]["parameters"][input.name] =
                        json!({"runtimeValue": {"constant": value_json(v)}});
                    continue;
                }
                // Not passed: the executor's `IfPresent` leaves it out, so the body sees
                // no value.
                InputSource::Absent => continue,
                InputSource::Param(_)
                | InputSource::LoopVar { .. }
                | InputSource::StepOutput { .. }
                | InputSource::Computed(_) => {
                    let expr = match &task
                        .step
                        .bindings
                        .iter()
                        .find(|b| b.input == input.name)
                        .map(|b| &b.value)
                    {
                        Some(mlforge_ir::BindingValue::Given { expr }) => expr,
                        _ => {
                            return Err(ExportError::BadIr(format!(
                                "step `{}` has no expression for `{}`",
                                task.id(),
                                input.name
                            )))
                        }
                    };
                    // A param, a step output or a loop variable is wired as it is; anything
                    // else (and a `zip` variable, half of the loop's pair) is computed in
                    // the step's container by the runtime, as the runner computes it, from
                    // the values it reads, each wired as an input of its own.
                    let direct = match expr {
                        Expr::Param { .. } | Expr::StepOutput { .. } => true,
                        Expr::LoopVar { block, .. } => !is_zip(plan, block),
                        _ => false,
                    };
                    if !direct {
                        let (expr_def, reads) =
                            computed_input(&mut w, plan, &tasks, task, input.name, expr)?;
                        spec["inputs"]["parameters"][format!("{}--expr", input.name)] =
                            json!({"runtimeValue": {"constant": expr_def}});
                        for (i, (r, ty)) in reads.iter().enumerate() {
                            set_input(
                                spec,
                                &format!("{}--read-{i}", input.name),
                                ty.is_artifact(),
                                r,
                            );
                        }
                        shape.push((
                            input.name.to_string(),
                            reads.into_iter().map(|(_, t)| t).collect(),
                        ));
                        continue;
                    }
                    let src = source_of(plan, &tasks, expr).ok_or_else(|| {
                        ExportError::BadIr(format!("step `{}` reads an unknown value", task.id()))
                    })?;
                    w.resolve(src, task.block)?.0
                }
            };
            set_input(spec, input.name, artifact, &r);
        }
        shapes.push(shape);
    }

    // Components and executors: one per op, and one more per other shape of computed
    // inputs among its steps (`comp-<op>--1`, …; `--` never occurs in a mapped name).
    let mut variants: BTreeMap<&str, Vec<(Shape, String)>> = BTreeMap::new();
    for ((task, shape), mut spec) in plan.tasks.iter().zip(shapes).zip(step_specs) {
        let list = variants.entry(task.op_id).or_default();
        let label = match list.iter().find(|(s, _)| *s == shape) {
            Some((_, label)) => label.clone(),
            None => {
                let base = &components.get(task.op_id)["comp-".len()..];
                let others = list.iter().filter(|(s, _)| !s.is_empty()).count();
                let label = if shape.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}--{}", others + 1)
                };
                let inputs = component::inputs(task.op, &shape);
                let exec = format!("exec-{label}");
                spec_components.insert(
                    format!("comp-{label}"),
                    component::component(task.op, &inputs, &exec),
                );
                let made = component::executor(
                    task.op_id,
                    task.op,
                    &inputs,
                    &launch::task_spec(task),
                    opts,
                );
                executors.insert(exec.clone(), made.spec);
                if let Some(p) = made.platform {
                    platform.insert(exec, p);
                }
                if list.is_empty() {
                    warnings.extend(made.warnings);
                }
                list.push((shape, label.clone()));
                label
            }
        };
        spec["componentRef"] = json!({"name": format!("comp-{label}")});
        w.dag(task.block)
            .tasks
            .insert(tasks.get(task.id()).to_string(), spec);
    }

    // `after`: the waiting task (or the block holding it) waits for the step (or the block
    // holding it) in the innermost DAG holding both.
    for task in &plan.tasks {
        for dep in task.deps.iter().filter(|d| d.kind == DepKind::After) {
            let Some(producer) = plan.task(dep.step) else {
                return Err(ExportError::BadIr(format!(
                    "step `{}` waits for an unknown step `{}`",
                    task.id(),
                    dep.step
                )));
            };
            let here = wiring::path(&tree, task.block);
            let there = wiring::path(&tree, producer.block);
            let common = here.iter().zip(&there).take_while(|(a, b)| a == b).count();
            let node = |path: &[&str], id: &str| match path.get(common) {
                Some(b) => tasks.get(&block_key(plan, b)).to_string(),
                None => tasks.get(id).to_string(),
            };
            let (waiter, waited) = (node(&here, task.id()), node(&there, producer.id()));
            if waiter != waited {
                let dag = if common == 0 {
                    None
                } else {
                    Some(here[common - 1])
                };
                let spec = w.dag(dag).tasks.get_mut(&waiter).expect("made above");
                add_dependency(spec, &waited);
            }
        }
    }

    // Pipeline outputs.
    let mut root_outputs = Vec::new();
    for out in &plan.outputs {
        let src = source_of(plan, &tasks, out.value).filter(|s| matches!(s, Source::Output { .. }));
        let Some(src) = src else {
            warnings.push(ExportWarning::new(
                "KFP010",
                format!("pipeline output `{}` is not a step's output; a KFP pipeline can only output its tasks' outputs, so it is left out", out.name),
            ));
            continue;
        };
        let (r, ty) = w.resolve(src, None)?;
        let Ref::Task { task, key } = r else {
            unreachable!("step outputs come from tasks")
        };
        let selector = if ty.is_artifact() {
            json!({"artifactSelectors": [{"producerSubtask": task, "outputArtifactKey": key}]})
        } else {
            json!({"valueFromParameter": {"producerSubtask": task, "outputParameterKey": key}})
        };
        root_outputs.push((out.name.to_string(), ty, selector));
    }

    // Sub-DAG components, and the root.
    let mut root = Json::Null;
    let ids: Vec<DagId> = w.dags.keys().copied().collect();
    for id in ids {
        let dag = w.dags.remove(&id).expect("listed above");
        // Moved, not through `json!`, which would copy every task by serializing it.
        let mut spec = json!({"dag": {}});
        spec["dag"]["tasks"] = Json::Object(dag.tasks.into_iter().collect());
        let mut out_params = Map::new();
        let mut out_artifacts = Map::new();
        let mut dag_params = Map::new();
        let mut dag_artifacts = Map::new();
        let mut outputs: Vec<(String, KfpType, Json)> = dag
            .outputs
            .into_iter()
            .map(|(k, (t, s))| (k, t, s))
            .collect();
        if id.is_none() {
            outputs.append(&mut root_outputs);
        }
        for (key, ty, selector) in outputs {
            let (defs, sels) = if ty.is_artifact() {
                (&mut out_artifacts, &mut dag_artifacts)
            } else {
                (&mut out_params, &mut dag_params)
            };
            defs.insert(key.clone(), ty.definition());
            sels.insert(key, selector);
        }
        let mut dag_outputs = Map::new();
        if !dag_artifacts.is_empty() {
            dag_outputs.insert("artifacts".into(), Json::Object(dag_artifacts));
        }
        if !dag_params.is_empty() {
            dag_outputs.insert("parameters".into(), Json::Object(dag_params));
        }
        if !dag_outputs.is_empty() {
            spec["dag"]["outputs"] = Json::Object(dag_outputs);
        }
        let mut in_params = Map::new();
        let mut in_artifacts = Map::new();
        match id {
            None => {
                for p in plan.params {
                    if is_artifact(&p.ty) {
                        let mut def = json!({"parameterType": "STRING"});
                        if let Some(Value::String(path)) = &p.default {
                            def["defaultValue"] = json!(resolve_path(path, opts));
                            def["isOptional"] = json!(true);
                        }
                        in_params.insert(p.name.clone(), def);
                        continue;
                    }
                    let mut def = KfpType::of(&p.ty).definition();
                    if let Some(default) = &p.default {
                        def["defaultValue"] = value_json(default);
                        def["isOptional"] = json!(true);
                    } else if matches!(p.ty, Type::Optional { .. }) {
                        def["isOptional"] = json!(true);
                    }
                    if let Some(doc) = &p.doc {
                        def["description"] = json!(doc);
                    }
                    in_params.insert(p.name.clone(), def);
                }
            }
            Some(_) => {
                for (key, (ty, _)) in dag.inputs {
                    let defs = if ty.is_artifact() {
                        &mut in_artifacts
                    } else {
                        &mut in_params
                    };
                    defs.insert(key, ty.definition());
                }
            }
        }
        set_definitions(&mut spec, "inputDefinitions", in_params, in_artifacts);
        set_definitions(&mut spec, "outputDefinitions", out_params, out_artifacts);
        match id {
            None => root = spec,
            Some(b) => {
                spec_components.insert(components.get(&block_key(plan, b)).to_string(), spec);
            }
        }
    }

    for (step, output, block) in &w.optional_reads {
        warnings.push(ExportWarning::new(
            "KFP003",
            format!("`{step}.{output}` is read outside its `if` block `{block}`; when the branch does not run, Kubeflow Pipelines fails the reading task where the local runner passes no value"),
        ));
    }
    for (step, output) in &w.nested_gathers {
        warnings.push(ExportWarning::new(
            "KFP004",
            format!("`{step}.{output}` is gathered over nested `for` loops; Kubeflow Pipelines collects it as it collects one loop, which may not keep the runner's list of lists"),
        ));
    }
    if let Some(schedule) = &program.schedule {
        warnings.push(ExportWarning::new(
            "KFP001",
            format!("the pipeline's schedule `{schedule}` is not part of a PipelineSpec; create a recurring run with this cron in Kubeflow Pipelines"),
        ));
    }
    if !program.scheduling.is_empty() {
        warnings.push(ExportWarning::new(
            "KFP002",
            "the pipeline's scheduler settings (start_date, catchup, tags, owner) have no place in a PipelineSpec; set them on the recurring run or experiment",
        ));
    }

    let mut info =
        json!({"name": pipeline_name(&program.pipeline), "displayName": program.pipeline});
    if let Some(doc) = &program.doc {
        info["description"] = json!(doc);
    }
    let mut pipeline_spec = json!({
        "schemaVersion": "2.1.0",
        "sdkVersion": concat!("mlforge-", env!("CARGO_PKG_VERSION")),
        "deploymentSpec": {},
    });
    pipeline_spec["pipelineInfo"] = info;
    pipeline_spec["root"] = root;
    pipeline_spec["components"] = Json::Object(spec_components);
    pipeline_spec["deploymentSpec"]["executors"] = Json::Object(executors);
    let platform_spec = (!platform.is_empty()).then(|| {
        let mut doc = json!({"platforms": {"kubernetes": {"deploymentSpec": {}}}});
        doc["platforms"]["kubernetes"]["deploymentSpec"]["executors"] = Json::Object(platform);
        doc
    });
    warnings.sort_by(|a, b| (a.code, &a.message).cmp(&(b.code, &b.message)));
    Ok(Documents {
        pipeline_spec,
        platform_spec,
        warnings,
    })
}

/// An artifact path of the program (relative to its folder) as the export names it.
fn resolve_path(path: &str, opts: &ExportOptions) -> String {
    match &opts.source_dir {
        Some(dir) if !path.contains("://") => dir.join(path).to_string_lossy().into_owned(),
        _ => path.to_string(),
    }
}

fn is_zip(plan: &Plan, block: &str) -> bool {
    matches!(
        plan.blocks.get(block).map(|b| b.block),
        Some(Block::For {
            second_over: Some(_),
            ..
        })
    )
}

/// The value a `for` walks when it is known at export time: a constant list or `range`
/// of a constant.
fn constant_list(expr: &Expr) -> Option<Json> {
    match expr {
        Expr::Literal {
            value: v @ Value::List(_),
            ty,
        } if !is_artifact(ty) => Some(value_json(v)),
        Expr::Call {
            function: Function::Range,
            args,
            ..
        } => match args.as_slice() {
            [Expr::Literal {
                value: Value::Int(n),
                ..
            }] => Some(json!((0..(*n).max(0)).collect::<Vec<i64>>())),
            _ => None,
        },
        _ => None,
    }
}

/// The source a reference expression names.
fn source_of<'p>(plan: &Plan<'p>, tasks: &'p NameMap, expr: &'p Expr) -> Option<Source<'p>> {
    match expr {
        Expr::Param { name, ty } if is_artifact(ty) => Some(Source::Output {
            task: tasks.get(&import_key(name)),
            output: "artifact",
            dag: None,
        }),
        Expr::Param { name, .. } => Some(Source::Param(name)),
        Expr::LoopVar { block, .. } => Some(Source::Item(block)),
        Expr::StepOutput { step, output, .. } => {
            let task = plan.task(step)?;
            Some(Source::Output {
                task: tasks.get(step),
                output,
                dag: task.block,
            })
        }
        _ => None,
    }
}

/// The references (params, loop variables, step outputs) an expression reads, each once.
fn refs(expr: &Expr) -> Vec<&Expr> {
    let mut out: Vec<&Expr> = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Param { .. } | Expr::LoopVar { .. } | Expr::StepOutput { .. } => {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
            _ => stack.extend(e.children().into_iter().rev()),
        }
    }
    out
}

/// Wires a computed input: each value the expression reads becomes a task input of its
/// own; returns the `x--expr` constant (JSON text of the IR expression and, for each read, where it
/// comes from and its type, as the runtime's `evaluate` takes them) and the reads.
fn computed_input<'p>(
    w: &mut Wiring<'_, 'p>,
    plan: &Plan<'p>,
    tasks: &'p NameMap,
    task: &crate::plan::Task<'p>,
    input: &str,
    expr: &'p Expr,
) -> Result<(Json, Vec<(Ref, KfpType)>), ExportError> {
    let mut roles = Vec::new();
    let mut reads = Vec::new();
    for read in refs(expr) {
        let src = source_of(plan, tasks, read).ok_or_else(|| {
            ExportError::BadIr(format!(
                "step `{}` reads an unknown value for `{input}`",
                task.id()
            ))
        })?;
        let (r, ty) = w.resolve(src, task.block)?;
        let role = match read {
            Expr::Param { name, ty } => json!({"param": name, "type": ty}),
            Expr::LoopVar { block, name, ty } => {
                // A `zip` loop's element is the pair; the runtime takes the variable's half.
                let index = match plan.blocks.get(block.as_str()).map(|b| b.block) {
                    Some(Block::For {
                        second_var: Some(second),
                        ..
                    }) => Some(usize::from(second == name)),
                    _ => None,
                };
                json!({"loop": block, "var": name, "pair_index": index, "type": ty})
            }
            Expr::StepOutput { step, output, ty } => {
                json!({"step": step, "output": output, "type": ty})
            }
            _ => unreachable!("refs returns references only"),
        };
        roles.push(role);
        reads.push((r, ty));
    }
    let text = json!({"expr": expr, "reads": roles}).to_string();
    Ok((json!(text), reads))
}
