"""Checks Kubeflow Pipelines exports with KFP's own code (crates/export/tests/kfp.rs).

Usage: python kfp_check.py CASES.json

CASES.json is a list of {"yaml": path, "json": [pipeline spec, platform spec or null],
"expect": [[json pointer, value], ...]}. For each case:
- the YAML file is read with PyYAML and must equal the documents the exporter built (the
  YAML writer loses and adds nothing);
- the PipelineSpec passes the strict protobuf parse (unknown fields, wrong types and bad
  enums fail), its `deploymentSpec` (a Struct in PipelineSpec) parses as a
  PipelineDeploymentConfig, and the platform document as a PlatformSpec whose executors
  parse as KubernetesExecutorConfig;
- every container argument and command goes through kfp.local's placeholder resolution
  (what the launcher does) with an executor input holding distinct sentinel values: only
  the exporter's own placeholders change, so no text of the program can act as one;
- each expected value is found, unchanged, at its pointer (with `~args:N` steps parsing
  the Nth argument as JSON).
Prints one line per problem and exits 1 if there is any.
"""

import json
import sys

import yaml
from google.protobuf import json_format
from kfp.kubernetes import kubernetes_executor_config_pb2
from kfp.local import placeholder_utils
from kfp.pipeline_spec import pipeline_spec_pb2

SENTINEL = "@@resolved@@"


def parse(doc, message):
    json_format.ParseDict(doc, message, ignore_unknown_fields=False)


def resolve_args(container):
    """kfp.local's resolution of every placeholder of a container, with sentinels."""
    executor_input = {
        "inputs": {"parameterValues": {}, "artifacts": {}},
        "outputs": {"parameters": {}, "artifacts": {}, "outputFile": SENTINEL},
    }
    text = "\n".join(container.get("command", []) + container.get("args", []))
    import re

    for kind, name in re.findall(r"\{\{\$\.(inputs|outputs)\.(?:parameters|artifacts)\['([^']*)'\]", text):
        if kind == "inputs":
            executor_input["inputs"]["parameterValues"][name] = SENTINEL
            executor_input["inputs"]["artifacts"][name] = {
                "artifacts": [{"uri": SENTINEL, "metadata": {}}]
            }
        else:
            executor_input["outputs"]["parameters"][name] = {"outputFile": SENTINEL}
            executor_input["outputs"]["artifacts"][name] = {
                "artifacts": [{"uri": SENTINEL, "metadata": {}}]
            }
    out = []
    for element in container.get("command", []) + container.get("args", []):
        resolved = placeholder_utils.resolve_struct_placeholders(element, list(executor_input["inputs"]["parameterValues"]))
        for piece in resolved if isinstance(resolved, list) else [resolved]:
            if piece is None:
                continue
            try:
                value = placeholder_utils.resolve_individual_placeholder(
                    element=piece,
                    executor_input_dict=executor_input,
                    pipeline_resource_name="p",
                    task_resource_name="t",
                    pipeline_root="/root",
                    pipeline_job_id="j",
                    pipeline_task_id="i",
                )
            except KeyError as e:
                # An artifact path placeholder: kfp.local maps URIs to local paths; a
                # sentinel URI has none, which only our own placeholders reach.
                value = SENTINEL if "{{$." in piece else (_ for _ in ()).throw(e)
            out.append((piece, value))
    return out


def pointer(doc, path):
    at = doc
    for step in path.split("/")[1:]:
        step = step.replace("~1", "/").replace("~0", "~")
        if step.startswith("~args:"):
            at = json.loads(at["args"][int(step[len("~args:"):])])
        elif isinstance(at, list):
            at = at[int(step)]
        else:
            at = at[step]
    return at


def conditions(doc):
    dags = [doc["root"]] + list(doc.get("components", {}).values())
    for dag in dags:
        for task in dag.get("dag", {}).get("tasks", {}).values():
            cond = task.get("triggerPolicy", {}).get("condition")
            if cond:
                yield cond


def cel_strings(cond):
    """The string literals of a CEL expression, decoded."""
    import ast
    import io
    import tokenize

    tokens = tokenize.generate_tokens(io.StringIO(cond.replace("&&", " and ").replace("||", " or ")).readline)
    return [ast.literal_eval(t.string) for t in tokens if t.type == tokenize.STRING]


def check(case):
    problems = []
    name = case["yaml"]
    with open(name, encoding="utf-8") as f:
        docs = list(yaml.safe_load_all(f))
    spec, platform = case["json"]
    expected_docs = [spec] + ([platform] if platform is not None else [])
    if docs != expected_docs:
        problems.append(f"{name}: the YAML does not read back as the documents built")
    try:
        parse(docs[0], pipeline_spec_pb2.PipelineSpec())
        parse(docs[0]["deploymentSpec"], pipeline_spec_pb2.PipelineDeploymentConfig())
    except Exception as e:  # the parse's own message says what is wrong
        problems.append(f"{name}: PipelineSpec: {e}")
    if len(docs) > 1:
        try:
            parse(docs[1], pipeline_spec_pb2.PlatformSpec())
            for label, config in docs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"].items():
                parse(config, kubernetes_executor_config_pb2.KubernetesExecutorConfig())
        except Exception as e:
            problems.append(f"{name}: PlatformSpec: {e}")
    for label, executor in docs[0]["deploymentSpec"]["executors"].items():
        container = executor.get("container")
        if container is None:
            continue
        for piece, value in resolve_args(container):
            if piece == "{{$}}":
                if "inputs" not in json.loads(value):
                    problems.append(f"{name}: {label}: the executor input did not resolve")
                continue
            ours = piece.startswith("{{$.") and piece.endswith("}}") and piece.count("{{$") == 1
            if ours and value != SENTINEL:
                problems.append(f"{name}: {label}: the placeholder {piece!r} did not resolve")
            if not ours and value != piece:
                problems.append(f"{name}: {label}: KFP would rewrite the argument {piece[:80]!r}")
    for path, value in case.get("expect", []):
        if path.startswith("~body:"):
            # The body as the task runtime in the command renders it (no slots to fill).
            container = docs[0]["deploymentSpec"]["executors"][path[len("~body:"):]]["container"]
            runtime = {"__name__": "mlforge_task"}
            exec(compile(container["command"][3], "mlforge_task.py", "exec"), runtime)
            spec = json.loads(container["args"][1])
            found = runtime["render"](spec["body"]["template"], {})
            if found != value:
                problems.append(f"{name}: the body renders as {found!r}, not {value!r}")
            continue
        if path == "~cel-strings":
            # Every condition, tokenized as Python (CEL's string escapes are a subset of
            # Python's): the value must come back as one whole string literal.
            found = [s for cond in conditions(docs[0]) for s in cel_strings(cond)]
            if value not in found:
                problems.append(f"{name}: no condition holds {value!r} as one string: {found!r}")
            continue
        try:
            found = pointer(docs[0], path)
        except (KeyError, IndexError, TypeError, ValueError) as e:
            problems.append(f"{name}: nothing at {path}: {e!r}")
            continue
        if found != value:
            problems.append(f"{name}: at {path}: {found!r} is not {value!r}")
    return problems


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    problems = [p for case in cases for p in check(case)]
    for p in problems:
        print(p)
    print(f"{len(cases)} export(s) checked, {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
