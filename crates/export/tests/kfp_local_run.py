"""Runs an exported PipelineSpec with kfp.local on this machine (crates/export/tests/kfp.rs).

Usage: python kfp_local_run.py PIPELINE.yaml PIPELINE_ROOT OUT.json [ARGUMENTS.json]

Writes every task's outputs to OUT.json as {task: {output: value or artifact path}} (a
task in a loop: a list, one entry per iteration in the order they ran).

kfp.local runs pipelines built with the KFP SDK; three test-only adjustments let it run
an MLForge export, none changing what a task does:
1. its SubprocessRunner refuses container components (it runs them on the host, where an
   image means nothing); MLForge's executors need only python3, so the refusal is lifted;
2. it records output artifacts only from the executor output file that KFP's Python
   executor writes; KFP's launcher records a container's output artifacts at their
   paths, which is what this does;
3. it finds a condition's values by guessing from the KFP SDK's channel names; KFP's
   driver takes them from the condition task's inputs, which is what this does.
"""

import json
import sys

import yaml
from kfp import components, local
from kfp.local import executor_output_utils as eou
from kfp.local import io as kfp_io
from kfp.local import subprocess_task_handler as sth
from kfp.local.orchestrator import enhanced_dag_orchestrator as edo

spec_path, pipeline_root, out_path = sys.argv[1:4]
arguments = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}

sth.SubprocessTaskHandler.validate_not_container_component = lambda self, cmd: None
sth.SubprocessTaskHandler.validate_not_containerized_python_component = lambda self, cmd: None


def outputs_for_task(executor_input, component_spec):
    out = eou.load_executor_output(executor_input.outputs.output_file)
    for key, artifacts in executor_input.outputs.artifacts.items():
        if key not in out.artifacts:
            out.artifacts[key].CopyFrom(artifacts)
    return eou.get_outputs_from_executor_output(out, executor_input, component_spec)


eou.get_outputs_for_task = outputs_for_task

with open(spec_path, encoding="utf-8") as f:
    spec = list(yaml.safe_load_all(f))[0]
condition_inputs = {}
for comp in [spec["root"]] + list(spec["components"].values()):
    for task in comp.get("dag", {}).get("tasks", {}).values():
        if "triggerPolicy" in task:
            condition_inputs.update(task.get("inputs", {}).get("parameters", {}))


def resolve(channel_ref, io_store):
    source = condition_inputs[channel_ref]
    if "taskOutputParameter" in source:
        o = source["taskOutputParameter"]
        return io_store.get_task_output(o["producerTask"], o["outputParameterKey"])
    return io_store.get_parent_input(source["componentInputParameter"])


edo.ConditionEvaluator._resolve_pipeline_channel = staticmethod(resolve)

# Record what every task produced.
recorded = {}
put = kfp_io.IOStore.put_task_output


def record(self, task_name, key, value):
    if not task_name.startswith(("for-", "if-", "else-")):
        plain = getattr(value, "path", value)
        recorded.setdefault(task_name, {}).setdefault(key, []).append(plain)
    return put(self, task_name, key, value)


kfp_io.IOStore.put_task_output = record

# Caching on, as a KFP deployment has it: a step must never be handed another's result
# (kfp.local keys a task as KFP does, and a custom `cacheKey` replaces that key).
local.init(
    runner=local.SubprocessRunner(use_venv=False),
    pipeline_root=pipeline_root,
    enable_caching=True,
)
components.load_component_from_file(spec_path)(**arguments)
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(recorded, f, indent=1, sort_keys=True, default=str)
